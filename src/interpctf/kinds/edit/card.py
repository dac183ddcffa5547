"""The edit part of the challenge card: loading the model, reading the world file, the two answer formats."""

from interpctf.kinds.edit.facts import EditPublic
from interpctf.schema import Challenge

CARD = """## Loading the model (offline)

```python
import interpctf
from interpctf.data.world import World
model = interpctf.load("{bundle}")                  # transformers GPT2LMHeadModel, eval mode
world = World.load("{bundle}/model/world.json")      # {world_text}
```

The model is a {n_layer}-layer GPT-2 (d_model {n_embd}, {n_head} heads, d_mlp {n_inner}) with a word-level
tokenizer (`model/tokenizer.json`): every name and every object is one token. Prompts are a relation's template
with the subject filled in, e.g. `world.prompt(subject, relation)`; the object is the next token.
`examples/query.py` asks the model about one prompt. It also loads in TransformerLens
(`TransformerBridge.boot_transformers("{bundle}/model")`) and nnsight (`LanguageModel("{bundle}/model")`).

## Answering

- **facts** (`.json`): `{{"facts": [{{"subject": ..., "relation": ..., "new_object": ..., "original_object": ...}}]}}`.
  Score: F1 between your (subject, relation, new object) triples and the rewritten ones ({n_edits}); solved at
  F1 = 1. `original_object` is optional; its accuracy is reported.
- **revert** (`.safetensors`): weight deltas keyed by the model's parameter names
  (e.g. `transformer.h.3.mlp.c_proj.weight`, with that parameter's shape). Score: the share of rewritten facts
  whose believed object is the original again; solved when at least 90% are, while at least 95% of all other
  facts keep the object this model believes.
"""


OWN_CARD = """## Loading the model (offline)

```python
from transformers import AutoModelForCausalLM, AutoTokenizer
model = AutoModelForCausalLM.from_pretrained("{bundle}/model", local_files_only=True).eval()   # {model_type}
tok = AutoTokenizer.from_pretrained("{bundle}/model", local_files_only=True)
```

`model/world.json` lists the subjects, the relations (a relation is named by its prompt template where the
request had no relation id) and each relation's candidate objects.

## Answering

**facts** (`.json`): `{{"facts": [{{"subject": ..., "relation": ..., "new_object": ..., "original_object": ...}}]}}`.
Score: F1 between your (subject, relation, new object) triples and the rewritten ones ({n_edits}); solved at F1 = 1.
"""


def card_text(challenge: Challenge) -> str:
    import json

    public = challenge.public_as(EditPublic)
    config = json.loads((challenge.bundle_dir / "model" / "config.json").read_text())
    if config.get("interpctf_family") == "hf-causal-lm":
        return OWN_CARD.format(bundle=challenge.manifest.id, model_type=config.get("model_type"),
                               n_edits=public.n_edits)
    world_text = ("every fact of the world, as it was before the edits" if public.reveal == "kb"
                  else "subjects, relations, their objects and templates; no facts")
    return CARD.format(bundle=challenge.manifest.id, world_text=world_text, n_edits=public.n_edits,
                       n_layer=config["n_layer"], n_embd=config["n_embd"], n_head=config["n_head"],
                       n_inner=config["n_inner"])
