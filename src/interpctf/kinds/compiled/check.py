"""The converted model against the RASP program on every input up to the maximum length.

Tracr's own tests check a handful of inputs; a float32 MLP approximation can still be wrong on a few. Here the
torch model runs on every sequence of every length (one batch per length and chunk), the batch evaluator gives
the program's output, and any disagreement, or an input where the program itself is undefined, fails the forge
with one line naming the first such input. ``sample_against_rasp`` ties the batch evaluator to
``rasp.evaluate`` itself.
"""

from typing import Any, Iterator

import numpy as np
import torch

from interpctf.errors import BadRecipe
from interpctf.kinds.compiled.net import CompiledTransformer
from interpctf.kinds.compiled.rasp_eval import BatchEvaluator
from interpctf.nets.threads import single_thread

CHUNK = 1 << 15


def all_inputs(n_vocab: int, length: int, chunk: int = CHUNK) -> Iterator[np.ndarray]:
    """Every sequence of ``length`` vocabulary indices, in chunks of at most ``chunk`` rows."""
    total = n_vocab ** length
    powers = n_vocab ** np.arange(length - 1, -1, -1)
    for start in range(0, total, chunk):
        ids = np.arange(start, min(total, start + chunk))
        yield (ids[:, None] // powers) % n_vocab


@torch.inference_mode()
def model_outputs(model: CompiledTransformer, ids: np.ndarray) -> np.ndarray:
    """Indices into the output values, [batch, n], for vocabulary-index inputs [batch, n] (in chunks: a whole
    length's inputs at once would hold gigabytes of activations)."""
    outs = [model(model.with_bos(torch.from_numpy(ids[i:i + CHUNK])))[:, 1:].argmax(-1).numpy()
            for i in range(0, len(ids), CHUNK)]
    return np.concatenate(outs) if outs else np.zeros(ids.shape, dtype=np.int64)


def output_map(ev: BatchEvaluator, sink: str, output_values: list[Any]) -> np.ndarray:
    """Evaluator value index of the sink -> model output index (-1 -> -1)."""
    where = {v: i for i, v in enumerate(output_values)}
    return np.array([where.get(v, -2) for v in ev.values[sink]] + [-1], dtype=np.int64)


@single_thread()  # tiny ops: a second thread only spins, and on a loaded machine costs ~3x (measured)
def exhaustive_check(model: CompiledTransformer, ev: BatchEvaluator, sink: str, vocab: list[Any],
                     max_len: int, on_chunk: Any = None) -> int:
    """Raise BadRecipe on the first disagreement; returns how many inputs were checked."""
    to_model = output_map(ev, sink, model.cfg.output_values)
    checked = 0
    for length in range(1, max_len + 1):
        for ids in all_inputs(len(vocab), length):
            want = to_model[ev.run(ids)[sink]]
            got = model_outputs(model, ids)
            bad = np.flatnonzero((want != got).any(1))
            if len(bad):
                row = ids[bad[0]]
                tokens = [vocab[i] for i in row]
                what = "the program is undefined (None) there" if (want[bad[0]] < 0).any() else \
                    f"model {[model.cfg.output_values[i] for i in got[bad[0]]]}"
                raise BadRecipe(f"program: the compiled model disagrees with the RASP program on {tokens}: {what}; "
                                f"{len(bad)} of {len(ids)} inputs of length {length} in this batch disagree")
            checked += len(ids)
            if on_chunk is not None:
                on_chunk(len(ids))
    return checked


def sample_against_rasp(program: Any, ev: BatchEvaluator, vocab: list[Any], max_len: int,
                        rng: np.random.Generator, n: int = 64) -> None:
    """The batch evaluator must give what ``rasp.evaluate`` gives, on random inputs of every length."""
    from tracr.rasp import rasp

    for length in range(1, max_len + 1):
        ids = rng.integers(len(vocab), size=(max(1, n // max_len), length))
        mine = ev.decode(program.label, ev.run(ids)[program.label])
        for row, got in zip(ids, mine):
            tokens = [vocab[i] for i in row]
            # a value outside the SOp's value set (a categorical mean such as 0.5) is undefined, as None is
            known = ev.index[program.label]
            want = [w if w is not None and w in known else None for w in rasp.evaluate(program, tokens)]
            if want != got:
                raise BadRecipe(f"program: the exhaustive checker and rasp.evaluate differ on {tokens} "
                                f"({got} vs {list(want)}); this program uses something the checker gets wrong")
