"""The edit kind on an organizer's own model (``base_model:``): a tiny GPT-2 saved to a local folder in the test
goes through the same code path as a hub id (AutoModelForCausalLM + AutoTokenizer), the bundle's facts answers
are graded as on the world model, and bad recipes get one-line errors naming the field. The online recipe
(recipes/edit-gpt2-counterfact.yaml, GPT-2 from the hub) is forged when the hub is reachable."""

import json
import os
from pathlib import Path

import pytest

from interpctf.bundle import open_challenge
from interpctf.errors import BadRecipe, InterpctfError
from interpctf.grading import grade_file
from interpctf.recipe import load_recipe, parse_recipe
from interpctf.schema import AnswerFile

RECIPES = Path(__file__).parents[3] / "recipes"


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    import torch

    from interpctf.data.world import World
    from interpctf.nets.tiny_lm import TinyLMConfig, fact_sentences, train_tiny_lm, world_records

    torch.set_num_threads(1)
    world, cfg = World.generate(), TinyLMConfig()
    model, tok = train_tiny_lm("gpt2", world, cfg)
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    model.save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    # the key statistics over the text the model was trained on (the world corpus names subjects it never saw)
    (folder / "corpus.txt").write_text("\n".join(fact_sentences(world, cfg)))
    return folder, world_records(world, cfg, n=1, seed=0)


def _recipe(folder, records, **extra):
    return parse_recipe({"kind": "edit", "title": "own model", "seed": 1, "base_model": str(folder),
                         "facts": records, "device": "cpu", "layers": [0], "position": "last",
                         "reveal": "kb", "stats_corpus": str(folder / "corpus.txt"), **extra})


def test_forge_on_a_local_folder_and_grade_facts(tiny_folder, tmp_path):
    from interpctf.forge import forge

    folder, records = tiny_folder
    out = tmp_path / "out"
    try:
        forge(_recipe(folder, records), out, "own-model", run_baselines=False)
    except InterpctfError as exc:
        # A bar missed on every attempt is one line naming it, and nothing is left half-written. With the key
        # statistics over the model's own training text and ROME at layer 0 the first attempt met both bars here
        # (min_recall_kept had been missed on all 5 with the world corpus, which names subjects it never saw).
        assert "\n" not in str(exc) and "bar" in str(exc) and not (out / "key.json").exists()
        pytest.skip(f"the tiny model's edit missed a bar on every attempt here: {exc}")
    ch = open_challenge(out / "bundle", out / "key.json")
    rw = records[0]["requested_rewrite"]
    truth = {"subject": rw["subject"], "relation": rw["relation_id"], "new_object": rw["target_new"]["str"]}
    grade = grade_file(None, AnswerFile("edits.json", json.dumps({"facts": [truth]}).encode()), ch)
    assert grade.solved and grade.score == 1.0
    wrong = {**truth, "new_object": rw["target_true"]["str"]}
    assert grade_file(None, AnswerFile("edits.json", json.dumps({"facts": [wrong]}).encode()), ch).score == 0.0
    config = json.loads((out / "bundle" / "model" / "config.json").read_text())
    assert config["interpctf_family"] == "hf-causal-lm" and config["model_type"] == "gpt2"


@pytest.mark.parametrize("change, field", [
    ({"prompt": "The mother tongue is"}, "prompt"),
    ({"target_new": {"str": "  "}}, "target_new"),
])
def test_bad_records_are_one_line_naming_the_field(tiny_folder, change, field):
    folder, records = tiny_folder
    bad = [{**records[0], "requested_rewrite": {**records[0]["requested_rewrite"], **change}}]
    with pytest.raises(BadRecipe) as exc:
        _recipe(folder, bad)
    assert field in str(exc.value) and "\n" not in str(exc.value)


def test_facts_need_a_base_model(tiny_folder):
    _, records = tiny_folder
    with pytest.raises(BadRecipe, match="base_model"):
        parse_recipe({"kind": "edit", "title": "t", "facts": records})


def test_target_tokenizing_to_nothing_is_refused(tiny_folder):
    from interpctf.editing.counterfact import BadRecord, check_records, parse_records

    class Empty:
        unk_token_id = None
        eos_token_id = None
        bos_token_id = None

        def __call__(self, text, add_special_tokens=True):  # characters, except that "Zzz" is dropped
            return {"input_ids": [ord(c) for c in text.replace("Zzz", "").rstrip()]}

    _, records = tiny_folder
    rec = {**records[0], "requested_rewrite": {**records[0]["requested_rewrite"], "target_new": {"str": "Zzz"}}}
    with pytest.raises(BadRecord, match=r"target_new: 'Zzz' tokenizes to nothing"):
        check_records(parse_records([rec]), Empty())


def _online() -> bool:
    if os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE"):
        return False
    import socket
    try:
        socket.create_connection(("huggingface.co", 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_the_gpt2_counterfact_recipe_online(tmp_path):
    if not _online():
        pytest.skip("offline (HF_HUB_OFFLINE set or huggingface.co unreachable): recipes/edit-gpt2-counterfact.yaml "
                    "downloads GPT-2; the same code path runs offline in test_forge_on_a_local_folder_and_grade_facts")
    from interpctf.forge import forge

    forge(load_recipe(RECIPES / "edit-gpt2-counterfact.yaml"), tmp_path / "out", "gpt2-cf", run_baselines=False)
    assert (tmp_path / "out" / "key.json").exists()


def test_the_gpt2_counterfact_recipe_parses():
    recipe = load_recipe(RECIPES / "edit-gpt2-counterfact.yaml")
    assert recipe.base_model == "gpt2" and recipe.n_edits == 3


def test_facts_answers_against_a_records_world(tiny_folder):
    """Without forging (no bar to meet): the world built from the records parses and grades facts answers as the
    world model's bundles do."""
    from interpctf.editing.counterfact import parse_records
    from interpctf.errors import BadAnswer
    from interpctf.kinds.edit.answers import parse_facts
    from interpctf.kinds.edit.facts import SecretEdit
    from interpctf.kinds.edit.forging_hf import records_world
    from interpctf.kinds.edit.grader import grade_facts

    _, records = tiny_folder
    world = records_world(parse_records(records), with_facts=False)
    rw = records[0]["requested_rewrite"]
    truth = {"subject": rw["subject"], "relation": rw["relation_id"], "new_object": rw["target_new"]["str"]}
    answer = parse_facts(AnswerFile("e.json", json.dumps({"facts": [truth]}).encode()), world)
    secret = [SecretEdit(**truth, original_object=rw["target_true"]["str"])]
    assert grade_facts(answer, secret).score == 1.0
    with pytest.raises(BadAnswer, match="not an object"):
        parse_facts(AnswerFile("e.json", json.dumps({"facts": [{**truth, "new_object": "Mars"}]}).encode()), world)
