"""The compiled kind's card: how to load and run the model, the two answer formats, a circuit example."""

from interpctf.kinds.compiled.facts import CompiledPublic

CARD = """## The model

{origin}{n_layers} layers, each one attention block ({n_heads} heads) then one ReLU MLP, no LayerNorm, residual width
{d_model}{rotated}. Its input is `[BOS, t1, ..., tn]` with n <= {max_seq_len}, token ids in the order of the
vocabulary `{vocab}` and BOS = {bos}; its output at each position after BOS is the argmax over the output
values `{outputs}`. It computes the program exactly on every one of the {n_inputs:,} inputs.{carried}

```python
import interpctf, torch
model = interpctf.load("bundle")  # a torch module; or read model/model.safetensors (TransformerLens names)
ids = torch.tensor([[{bos}, 0, 1, 0]])
print(model(ids)[:, 1:].argmax(-1))  # indices into the output values
```

Every block's write into the residual stream passes through a hook module: `model.blocks[l].attn.hook_result`
(shape [batch, pos, head, d_model]) and `model.blocks[l].mlp.hook_out` ([batch, pos, d_model]). The weights
carry TransformerLens's names and shapes (`blocks.0.attn.W_Q` [heads, d_model, d_head], ...). TransformerLens 4
has no `HookedTransformer`; its native `TransformerBridge` (no LayerNorm, bidirectional attention) loads them:

```python
from interpctf.kinds.compiled.lens import to_bridge
bridge = to_bridge(model)  # same logits; run_with_cache, hook_z, hook_mlp_out, ...
```

## Answers

- `program.py` defining `program(tokens) -> list` (one output value per token): graded by agreement on every
  input; behaviour only, it never earns mechanism credit.
- `circuit.yaml` (or `.json`): a program whose intermediate variables pass through `v(name, value)`, and for
  each variable the site that computes it. Graded by agreement *and* by interchange intervention accuracy
  (IIA): for random base/source pairs of one length, the site's activation (its projection on `basis`, if
  given) is patched from the source run into the base run, and the model's output must become what your program
  gives with that variable's value taken from the source run. The grade shows `behaviour_solved` and
  `mechanism_solved` separately; `solved` needs both and every variable of the compiled program located.

```yaml
program: |
  def program(tokens, v):
      hist = v("hist", [sum(1 for u in tokens if u == t) for t in tokens])
      return hist
variables:
  hist: {{layer: 0, component: mlp}}          # or {{layer: 1, component: attn, head: 0}}
  # basis: [[...d_model numbers...], ...]   optional rows spanning the variable's subspace
```
"""


COMPILED = ("A transformer compiled by [Tracr](https://github.com/google-deepmind/tracr) from a secret RASP "
            "program: ")
DISTILLED = ("A dense transformer trained to imitate one that [Tracr](https://github.com/google-deepmind/tracr) "
             "compiled from a secret RASP program (it agrees with it on every input), with a narrower residual "
             "stream: ")


def carried_text(public: CompiledPublic) -> str:
    if not public.distilled:
        return ""
    if not public.not_carried_over:
        return ("\n\nEvery variable of the program has a site in this model where interchange interventions "
                "confirm it (IIA 1.0 at the forge); those sites are the ground truth a circuit answer is graded on.")
    return ("\n\nThe compiled mechanism did not carry over for variable" + ("s " if len(public.not_carried_over) > 1
            else " ") + ", ".join(public.not_carried_over) + ": no single head or MLP of this model passes "
            "interchange interventions for it, so no site counts as its ground truth (the other variables have one).")


def card_text(public: CompiledPublic) -> str:
    return CARD.format(origin=DISTILLED if public.distilled else COMPILED, carried=carried_text(public),
                       n_layers=public.n_layers, n_heads=public.n_heads, d_model=public.d_model,
                       rotated=" (the residual stream is in a random orthogonal basis)" if public.obfuscate == "rotate"
                       else "", max_seq_len=public.max_seq_len, vocab=public.vocab, bos=len(public.vocab),
                       outputs=public.output_values, n_inputs=public.n_inputs)
