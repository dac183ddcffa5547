"""Circuit answers on the pairs domain: graded by interchange intervention accuracy against the model itself.

The assertions rest on exact facts, not on one trained model's luck. Patching the last layer's residual stream
at SEP from the source run gives the source run's label, so a hypothesis putting the label there scores exactly
the model's accuracy on the source inputs. Patching x's embedding is running the model on (source x, base y), so
"x lives in x's embedding" scores exactly the model's accuracy on those pairs (the forge guarantees held-out
accuracy >= 0.9 and the model fits its training half). Claiming x at y's embedding asks the model's label on
(base x, source y) to be the rule's on (source x, base y), which for x < y holds on about half the pairs, as
does claiming the label at x's embedding (about two thirds).
"""

import json

import pytest

from interpctf.bundle import open_challenge
from interpctf.errors import BadAnswer
from interpctf.schema import AnswerFile

RECIPE = {"kind": "labelfn", "title": "less", "domain": "pairs", "p": 31, "seed": 3,
          "model": {"d_model": 32, "heads": 4, "d_mlp": 64},
          "training": {"steps": 400, "batch_size": 256, "lr": 0.003, "weight_decay": 0.5},
          "secret": "def label(x, y):\n    return int(x < y)\n"}

PROGRAM = ("def label(x, y, v):\n    x = v('x', x)\n    y = v('y', y)\n    return v('out', int(x < y))\n")


@pytest.fixture(scope="module")
def less(tmp_path_factory):
    from interpctf.forge import forge
    from interpctf.kinds import get_kind

    kind = get_kind("labelfn")
    out = tmp_path_factory.mktemp("less") / "out"
    forge(kind.recipe_model.model_validate(RECIPE), out, "less", run_baselines=False)
    return kind, open_challenge(out / "bundle", out / "key.json")


def grade(kind, ch, variables, program=PROGRAM, name="circuit.json"):
    data = json.dumps({"program": program, "variables": variables}).encode()
    return kind.grade(kind.parse_answer(AnswerFile(name, data), ch), ch)


def accuracy(ch, pairs) -> float:
    """The model's accuracy on ``pairs`` against the rule x < y."""
    import numpy as np

    from interpctf.kinds.labelfn.domains import DOMAINS

    domain = DOMAINS["pairs"]
    model = domain.load(ch.bundle_dir / "model")
    return float(np.mean(domain.predict(model, pairs) == (pairs[:, 0] < pairs[:, 1])))


def test_faithful_hypothesis_scores_high(less):
    kind, ch = less
    g = grade(kind, ch, {"x": {"component": "embed", "position": "x"}, "y": {"component": "embed", "position": "y"},
                         "out": {"component": "resid", "layer": 0}})
    import numpy as np

    from interpctf.kinds.labelfn.circuit_grader import interchange_pairs

    base, source = interchange_pairs(ch, 31)
    per = g.details["iia_per_variable"]
    assert per["out"]["iia"] == pytest.approx(accuracy(ch, source), abs=1e-6) and per["out"]["informative"] > 0
    x_from_source = np.stack([source[:, 0], base[:, 1]], 1)
    assert per["x"]["iia"] == pytest.approx(accuracy(ch, x_from_source), abs=1e-6), g.details
    assert min(v["iia"] for v in per.values()) >= 0.9, g.details  # the model is that accurate (forge bar 0.9)
    assert g.details["behaviour_solved"] and g.solved


def test_wrong_sites_score_clearly_lower(less):
    kind, ch = less
    g = grade(kind, ch, {"x": {"component": "embed", "position": "y"}, "y": {"component": "embed", "position": "x"},
                         "out": {"component": "embed", "position": "x"}})
    per = g.details["iia_per_variable"]
    assert all(v["iia"] < 0.8 for v in per.values()), g.details
    assert not g.details["mechanism_solved"] and g.details["behaviour_solved"]


def test_mlp_neurons_and_basis_sites_are_graded(less):
    """Every site shape runs; the whole MLP at SEP vs one neuron: more of the MLP carries more of the label."""
    kind, ch = less
    d_mlp = 64
    all_units = grade(kind, ch, {"out": {"component": "mlp", "layer": 0, "neurons": list(range(d_mlp))}})
    basis = grade(kind, ch, {"out": {"component": "mlp", "layer": 0,
                                     "basis": [[1.0 if i == j else 0.0 for i in range(d_mlp)] for j in range(d_mlp)]}})
    assert all_units.details["iia_per_variable"] == basis.details["iia_per_variable"]
    head = grade(kind, ch, {"out": {"component": "attn", "layer": 0, "head": 1}})
    assert 0.0 <= head.details["iia"] <= 1.0


@pytest.mark.parametrize("site, message", [
    ({"component": "mlp", "layer": 3}, "layer"),
    ({"component": "attn", "layer": 0, "head": 4}, "head"),
    ({"component": "mlp", "neurons": [64]}, "out of range"),
    ({"component": "mlp", "basis": [[1.0, 0.0]]}, "width 64"),
    ({"component": "mlp", "basis": "rank"}, "independent"),
    ({"component": "embed", "position": "sep"}, "position x or y"),
    ({"component": "embed", "position": "z"}, "positions are"),
    ({"component": "attn", "head": 0, "neurons": [1]}, "neurons"),
    ({"component": "logits"}, "component"),
])
def test_bad_sites_are_one_line(less, site, message):
    kind, ch = less
    if site.get("basis") == "rank":
        site = {**site, "basis": [[1.0] * 64, [2.0] * 64]}
    with pytest.raises(BadAnswer, match=message) as err:
        grade(kind, ch, {"out": site})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("program, message", [
    ("def label(x, y):\n    return 1\n", "label\\(x, y, v\\)"),
    ("def label(x, y, v):\n    return 1\n", "never appears"),
])
def test_bad_programs_are_one_line(less, program, message):
    kind, ch = less
    with pytest.raises(BadAnswer, match=message):
        grade(kind, ch, {"out": {"component": "resid"}}, program=program)


def test_raising_program_is_graded_not_crashed(less):
    kind, ch = less
    program = "def label(x, y, v):\n    v('out', 1)\n    raise ValueError('no')\n"
    g = grade(kind, ch, {"out": {"component": "resid"}}, program=program)
    assert g.score == 0.0 and not g.solved and "ValueError" in g.details["first_error"]
    assert g.details["iia_per_variable"]["out"]["iia"] == 0.0


def test_the_cards_example_is_a_valid_circuit(less):
    kind, ch = less
    card = (ch.bundle_dir / "README.md").read_text()
    example = card.split("```yaml\n", 1)[1].split("```", 1)[0]
    g = kind.grade(kind.parse_answer(AnswerFile("circuit.yaml", example.encode()), ch), ch)
    assert set(g.details["iia_per_variable"]) == {"s", "out"} and not g.details["behaviour_solved"]
