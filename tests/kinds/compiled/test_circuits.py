"""Circuit answers on a forged compiled sort (rotated residual stream): the compiled ground truth scores IIA 1.0,
perturbed hypotheses clearly lower, bad answers are one-line refusals, and the patching solver finds the sites.

Everything here is exact (a compiled model, not a trained one): IIA 1.0 for the truth holds for every seed."""

import json

import numpy as np
import pytest

from interpctf.errors import BadAnswer, BadRecipe
from interpctf.schema import AnswerFile

pytest.importorskip("tracr")

SORT = {"kind": "compiled", "title": "sort", "seed": 5, "vocab": [0, 1, 2, 3], "max_seq_len": 4,
        "obfuscate": "rotate", "n_pairs": 300,
        "program": "from tracr.compiler import lib\nfrom tracr.rasp import rasp\n"
                   "program = lib.make_sort(rasp.tokens, rasp.tokens, max_seq_len=4, min_key=1)\n"}


@pytest.fixture(scope="module")
def sort(tmp_path_factory):
    from interpctf.bundle import open_challenge
    from interpctf.forge import forge
    from interpctf.kinds import get_kind

    kind = get_kind("compiled")
    out = tmp_path_factory.mktemp("sort") / "out"
    forge(kind.recipe_model.model_validate(SORT), out, "sort", run_baselines=False)
    return kind, open_challenge(out / "bundle", out / "key.json")


def truth(kind, ch):
    secret = ch.secret_as(kind.secret_model)
    return secret.reference_source, {k: v.model_dump() for k, v in secret.variables.items()}


def grade(kind, ch, program, variables):
    data = json.dumps({"program": program, "variables": variables}).encode()
    return kind.grade(kind.parse_answer(AnswerFile("circuit.json", data), ch), ch)


def test_ground_truth_scores_iia_one(sort):
    kind, ch = sort
    g = grade(kind, ch, *truth(kind, ch))
    assert g.solved and g.details["mechanism_solved"] and g.details["behaviour_solved"]
    assert all(v["iia"] == 1.0 and v["informative"] > 0 for v in g.details["iia_per_variable"].values())


def test_swapped_variables_and_moved_site_score_lower(sort):
    kind, ch = sort
    program, variables = truth(kind, ch)
    # Not the sort key and target_pos: target_pos is a function of the key alone and nothing else reads the key,
    # so interchanging either has the same effect and IIA rightly cannot tell them apart (it scores 1.0 swapped).
    a = next(n for n in variables if n.startswith("target_pos"))
    b = next(n for n in variables if n.startswith("sort"))
    swapped = {**variables, a: variables[b], b: variables[a]}
    g = grade(kind, ch, program, swapped)
    assert not g.details["mechanism_solved"] and g.details["iia"] < 0.8, g.details
    out = next(n for n in variables if n.startswith("sort"))
    moved = {**variables, out: {"layer": 0, "component": "mlp"}}
    g = grade(kind, ch, program, moved)
    assert not g.solved and g.details["iia_per_variable"][out]["iia"] < 0.5, g.details


def test_program_answer_is_behaviour_only(sort):
    kind, ch = sort
    program, _ = truth(kind, ch)
    g = kind.grade(kind.parse_answer(AnswerFile("p.py", program.encode()), ch), ch)
    assert g.solved and g.details["behaviour_solved"] and not g.details["mechanism_solved"]


def test_raising_program_is_graded_not_crashed(sort):
    kind, ch = sort
    g = kind.grade(kind.parse_answer(AnswerFile("p.py", b"def program(tokens):\n    raise ValueError('no')\n"), ch),
                   ch)
    assert g.score == 0.0 and not g.solved and "ValueError" in g.details["first_error"]


@pytest.mark.parametrize("site, message", [
    ({"layer": 99, "component": "mlp"}, "layer"),
    ({"layer": 0, "component": "attn", "head": 9}, "head"),
    ({"layer": 0, "component": "mlp", "basis": [[1.0, 0.0]]}, "width"),
    ({"layer": 0, "component": "mlp", "basis": "rank"}, "independent"),
])
def test_bad_sites_are_one_line(sort, site, message):
    kind, ch = sort
    program, variables = truth(kind, ch)
    name = next(iter(variables))
    if site.get("basis") == "rank":
        row = variables[name]["basis"][0]
        site = {**site, "basis": [row, row]}
    with pytest.raises(BadAnswer, match=message) as err:
        kind.parse_answer(AnswerFile("c.json", json.dumps({"program": program, "variables": {name: site}}).encode()),
                          ch)
    assert "\n" not in str(err.value)


def test_patching_solver_finds_the_sites_given_the_program(sort):
    from interpctf.kinds.compiled.baselines import propose_sites

    kind, ch = sort
    program, variables = truth(kind, ch)
    proposed = propose_sites(ch, program, list(variables), n_pairs=50)
    # Sites tie where a variable has one reader (the sort key's reader, target_pos's attention): the solver
    # answers the earliest, so the property is that its sites are causally faithful, not that they are Tracr's.
    g = grade(kind, ch, program, {k: v.model_dump(exclude_none=True) for k, v in proposed.items()})
    assert all(v["iia"] == 1.0 for v in g.details["iia_per_variable"].values()), g.details


def test_model_loads_and_matches_the_reference_program(sort):
    import interpctf
    import torch

    from interpctf.kinds.compiled.rasp_source import run_source

    kind, ch = sort
    model = interpctf.load(ch.bundle_dir)
    program = run_source(truth(kind, ch)[0])
    rng = np.random.default_rng(0)
    ids = rng.integers(4, size=(50, 4))
    got = model(model.with_bos(torch.from_numpy(ids)))[:, 1:].argmax(-1).numpy()
    values = model.cfg.output_values
    assert [[values[i] for i in row] for row in got] == [program(row.tolist()) for row in ids]


def test_uncompilable_program_is_one_line():
    from interpctf.kinds import get_kind
    from interpctf.kinds.compiled.compiler import compile_recipe

    recipe = get_kind("compiled").recipe_model.model_validate({**SORT, "program": (
        "from tracr.rasp import rasp\n"
        "both = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.EQ) & "
        "rasp.Select(rasp.indices, rasp.tokens, rasp.Comparison.LT)\n"
        "program = rasp.SelectorWidth(both)\n")})
    with pytest.raises(BadRecipe, match="Tracr cannot compile") as err:
        compile_recipe(recipe)
    assert "\n" not in str(err.value)


def test_forge_fails_where_the_model_and_program_disagree(tmp_path):
    """A categorical Aggregate that selects several tokens compiles, but the program is undefined there (its
    mean is not a token) and Tracr's model outputs something: the exhaustive check refuses it in one line."""
    from interpctf.forge import forge
    from interpctf.kinds import get_kind

    recipe = get_kind("compiled").recipe_model.model_validate({**SORT, "max_seq_len": 3, "program": (
        "from tracr.rasp import rasp\n"
        "program = rasp.Aggregate(rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.LT), rasp.tokens)\n")})
    with pytest.raises(BadRecipe, match="disagrees with the RASP program") as err:
        forge(recipe, tmp_path / "out", "bad", run_baselines=False)
    assert "\n" not in str(err.value)


def test_distil_options_without_distil_are_refused_in_one_line():
    from pydantic import ValidationError

    from interpctf.kinds import get_kind

    with pytest.raises(ValidationError, match="apply with distil: true only"):
        get_kind("compiled").recipe_model.model_validate({**SORT, "distil_d_model": 8})


def test_intake_accepts_the_forged_model_and_counts_its_parameters(sort):
    from interpctf.intake.models import check_models

    kind, ch = sort
    model = __import__("interpctf").load(ch.bundle_dir)
    assert check_models(ch.bundle_dir, "compiled") == sum(p.numel() for p in model.parameters())


def test_transformer_bridge_loads_the_model_with_the_same_outputs(sort):
    """TransformerLens 4 has no HookedTransformer; its native TransformerBridge takes the weights as they are."""
    pytest.importorskip("transformer_lens")
    import interpctf
    import torch

    from interpctf.kinds.compiled.check import all_inputs
    from interpctf.kinds.compiled.lens import to_bridge

    kind, ch = sort
    model = interpctf.load(ch.bundle_dir)
    bridge = to_bridge(model)
    ids = model.with_bos(torch.from_numpy(next(all_inputs(4, 4))))
    with torch.no_grad():
        ours, theirs = model(ids), bridge(ids)
    assert torch.equal(ours[:, 1:].argmax(-1), theirs[:, 1:].argmax(-1))
    assert torch.allclose(ours, theirs, rtol=1e-4, atol=1e-3 * float(ours.abs().max()))
