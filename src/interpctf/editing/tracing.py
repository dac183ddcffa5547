"""Causal tracing (ROME §2.1): which hidden states carry a fact from the subject to the prediction.

Three runs: clean; corrupted (Gaussian noise of ``noise`` × σ added to the subject tokens' embeddings, σ the
standard deviation of the subject embeddings, ROME uses 3σ); corrupted-with-restoration, where one site
(block output, MLP output or attention output) at one layer and one token is set back to its clean value.
The indirect effect of that site is P_restored(object) − P_corrupted(object), averaged over noise samples.

What it shows on the world model (unlike GPT-2 XL): restoring anything at the subject token after the
embedding does nothing, restoring the layer-0 attention output at the last token restores everything, and
the MLPs at the last token carry the effect: layer-0 attention copies the single-token subject to the end of
the prompt and the lookup happens there. The editors therefore read keys at the last token by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from interpctf.data.world import World
from interpctf.editing.families import embedding, hidden_size
from interpctf.editing.hooks import edit_site, n_layers, record_sites, subject_span
from interpctf.nets.tiny_gpt_eval import token_id

SITES = ("hidden", "mlp", "attn")


@dataclass
class TraceResult:
    prompt: str
    tokens: list[str]
    subject_range: tuple[int, int]   # [start, end) token positions of the subject (BOS is position 0)
    target: str
    p_clean: float
    p_corrupt: float
    effects: dict[str, np.ndarray] = field(default_factory=dict)  # site -> [tokens, layers] indirect effects

    def best(self, site: str) -> tuple[int, int]:
        """(token position, layer) with the largest indirect effect at ``site``."""
        pos, layer = np.unravel_index(int(np.argmax(self.effects[site])), self.effects[site].shape)
        return int(pos), int(layer)


@torch.no_grad()
def trace_ids(model, prompt: list[int], span: tuple[int, int], target: list[int], sigma: float, samples: int = 10,
              noise: float = 3.0, seed: int = 0) -> tuple[float, float, dict[str, np.ndarray]]:
    """(P_clean, P_corrupt, effects) for token ids: ``prompt`` (special tokens included), the subject's [start,
    end) ``span`` in it, the ``target``'s ids. P(target) is the product of its token probabilities (the prompt is
    followed by the target's first T−1 tokens, as CounterFact scores a target); sites are restored at the
    prompt's tokens."""
    model.eval()
    start, end = span
    ids = torch.tensor([list(prompt) + list(target[:-1])])
    n_tok, layers = len(prompt), n_layers(model)
    gen = torch.Generator().manual_seed(seed)
    noise_t = noise * sigma * torch.randn(samples, end - start, hidden_size(model), generator=gen)
    batch = ids.repeat(samples, 1)
    pos = torch.arange(n_tok - 1, n_tok - 1 + len(target))
    tgt = torch.tensor(list(target))

    def corrupt(x: torch.Tensor) -> torch.Tensor:
        x = x.clone()
        x[:, start:end] += noise_t.to(x.dtype)
        return x

    def prob(logits: torch.Tensor) -> float:
        logp = torch.log_softmax(logits[:, pos].float(), -1)[:, torch.arange(len(target)), tgt]   # [batch, T]
        return float(logp.sum(-1).exp().mean())

    all_sites = [(s, layer) for s in SITES for layer in range(layers)]
    with record_sites(model, all_sites) as clean:
        p_clean = prob(model(input_ids=ids).logits)
    with edit_site(model, "embed", 0, corrupt):
        p_corrupt = prob(model(input_ids=batch).logits)
        effects = {s: np.zeros((n_tok, layers)) for s in SITES}
        for site, layer in all_sites:
            for at in range(n_tok):
                def restore(x: torch.Tensor, v=clean[(site, layer)][0, at], at=at) -> torch.Tensor:
                    x = x.clone()
                    x[:, at] = v
                    return x
                with edit_site(model, site, layer, restore):
                    effects[site][at, layer] = prob(model(input_ids=batch).logits) - p_corrupt
    return p_clean, p_corrupt, effects


def causal_trace(model, tokenizer, world: World, subject: str, relation: str, template: int | str | None = None,
                 samples: int = 10, noise: float = 3.0, seed: int = 0) -> TraceResult:
    """The trace of a world fact; σ is the standard deviation of all subjects' embeddings (ROME's choice)."""
    if template is None:
        template = world.templates(relation, "train")[0].text
    prompt = world.prompt(subject, relation, template)
    target = world.object_of(subject, relation)
    ids = tokenizer(prompt)["input_ids"]
    span = subject_span(tokenizer, prompt, subject)
    subject_ids = torch.tensor([token_id(tokenizer, s) for s in world.subjects])
    sigma = float(embedding(model).weight[subject_ids].std())
    p_clean, p_corrupt, effects = trace_ids(model, ids, span, [token_id(tokenizer, target)], sigma, samples, noise,
                                            seed)
    return TraceResult(prompt, tokenizer.convert_ids_to_tokens(ids), span, target, p_clean, p_corrupt, effects)


def trace_record(model, tokenizer, record, target: str | None = None, samples: int = 10, noise: float = 3.0,
                 seed: int = 0) -> TraceResult:
    """The trace of a CounterFact record on any causal LM: P(``target``, by default the record's ``target_true``,
    any number of tokens) after its prompt; σ is the standard deviation of the whole token embedding (there is
    no list of subjects)."""
    from interpctf.editing.counterfact import prompt_ids, subject_end, target_ids

    rw = record.requested_rewrite
    prompt = record.prompt
    ids = prompt_ids(tokenizer, prompt)
    end = subject_end(tokenizer, prompt, rw.subject) + 1
    start = end - len(tokenizer(rw.subject, add_special_tokens=False)["input_ids"])
    span = (max(start, 0), end)
    sigma = float(embedding(model).weight.std())
    text = rw.target_true.text if target is None else target
    p_clean, p_corrupt, effects = trace_ids(model, ids, span, target_ids(tokenizer, prompt, text), sigma, samples,
                                            noise, seed)
    return TraceResult(prompt, tokenizer.convert_ids_to_tokens(ids), span, text, p_clean, p_corrupt, effects)


def plot_trace(result: TraceResult, path: str | Path) -> Path:
    """Three heatmaps (block output, MLP, attention): tokens down, layers across; subject tokens starred."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = {"hidden": "restore block output", "mlp": "restore MLP output", "attn": "restore attention output"}
    cmaps = {"hidden": "Purples", "mlp": "Greens", "attn": "Reds"}
    labels = [t + ("*" if result.subject_range[0] <= i < result.subject_range[1] else "")
              for i, t in enumerate(result.tokens)]
    vmax = max(max(float(e.max()) for e in result.effects.values()), 1e-6)
    fig, axes = plt.subplots(1, 3, figsize=(12, 0.45 * len(labels) + 2.0), constrained_layout=True)
    for ax, site in zip(axes, SITES):
        im = ax.imshow(result.effects[site], cmap=cmaps[site], vmin=0.0, vmax=vmax, aspect="auto")
        ax.set_title(titles[site], fontsize=10)
        ax.set_xlabel("layer")
        ax.set_xticks(range(result.effects[site].shape[1]))
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels if site == "hidden" else [""] * len(labels))
        fig.colorbar(im, ax=ax, shrink=0.8, label=f"P({result.target}) − P(corrupt)")
    fig.suptitle(f"Causal trace: \"{result.prompt}\" → {result.target}   "
                 f"(clean p={result.p_clean:.2f}, corrupted p={result.p_corrupt:.2f}; * = subject)", fontsize=10)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
