"""Quality bars as pure logic: tightening, refusing to loosen, unknown names, checking figures, the failure line;
and the bars each kind's recipe declares."""

import math

from pathlib import Path

import pytest

from interpctf.bars import Attempt, BarError, check_bars, failure_message, max_bar, min_bar, tighten
from interpctf.errors import BadRecipe
from interpctf.recipe import parse_recipe

ACC = min_bar("min_heldout_accuracy", "heldout_accuracy", 0.97)
DROP = max_bar("max_clean_accuracy_drop", "accuracy_gap", 0.02)
RULE = "def label(x, y):\n    return int(x < 5)\n"


def labelfn(**fields):
    return {"kind": "labelfn", "title": "t", "domain": "pairs", "secret": RULE, **fields}


def test_a_recipe_tightens_min_and_max_bars():
    bars = tighten([ACC, DROP], {"min_heldout_accuracy": 0.99, "max_clean_accuracy_drop": 0.01})
    assert [(b.name, b.threshold) for b in bars] == [("min_heldout_accuracy", 0.99), ("max_clean_accuracy_drop", 0.01)]
    assert tighten([ACC, DROP], {}) == [ACC, DROP]
    assert tighten([ACC], {"min_heldout_accuracy": 0.97}) == [ACC]  # restating the default is no loosening


@pytest.mark.parametrize("name, value", [("min_heldout_accuracy", 0.9), ("max_clean_accuracy_drop", 0.05)])
def test_loosening_a_default_is_refused_naming_bar_and_default(name, value):
    with pytest.raises(BarError) as exc:
        tighten([ACC, DROP], {name: value})
    message = str(exc.value)
    default = {b.name: b for b in (ACC, DROP)}[name]
    assert name in message and f"{default.sign} {default.threshold:g}" in message and "\n" not in message


def test_an_unknown_bar_lists_the_valid_ones():
    with pytest.raises(BarError) as exc:
        tighten([ACC, DROP], {"min_accuracy": 0.99})
    assert "'min_accuracy'" in str(exc.value)
    assert "max_clean_accuracy_drop, min_heldout_accuracy" in str(exc.value)


def test_check_bars_returns_exactly_the_failures():
    assert check_bars([ACC, DROP], {"heldout_accuracy": 0.97, "accuracy_gap": 0.02}) == []
    failed = check_bars([ACC, DROP], {"heldout_accuracy": 0.9699, "accuracy_gap": -0.01})
    assert [(c.bar.name, c.figure, c.met) for c in failed] == [("min_heldout_accuracy", 0.9699, False)]
    # a figure the forge did not report, or NaN, meets no bar
    assert [c.bar.name for c in check_bars([ACC, DROP], {"heldout_accuracy": math.nan})] == [
        "min_heldout_accuracy", "max_clean_accuracy_drop"]


def test_failure_message_names_the_bar_the_threshold_and_the_best_figure():
    attempts = [Attempt(seed=s, figures={"heldout_accuracy": a, "accuracy_gap": 0.0}, passed=False)
                for s, a in ((1, 0.95), (2, 0.961), (3, 0.93))]
    line = failure_message([DROP, ACC], attempts)
    assert "min_heldout_accuracy >= 0.97" in line and "0.9610" in line and "3" in line and "\n" not in line


def test_failure_message_when_each_bar_held_but_never_together():
    attempts = [Attempt(seed=1, figures={"heldout_accuracy": 0.99, "accuracy_gap": 0.05}, passed=False),
                Attempt(seed=2, figures={"heldout_accuracy": 0.90, "accuracy_gap": 0.01}, passed=False),
                Attempt(seed=3, figures={"heldout_accuracy": 0.91, "accuracy_gap": 0.00}, passed=False)]
    line = failure_message([ACC, DROP], attempts)
    assert "min_heldout_accuracy >= 0.97" in line and "0.9900" in line and "never all at once" in line


def test_recipes_refuse_loosened_and_unknown_bars_with_one_line():
    with pytest.raises(BadRecipe) as exc:
        parse_recipe(labelfn(bars={"min_heldout_accuracy": 0.85}), "r.yaml")
    assert "min_heldout_accuracy" in str(exc.value) and ">= 0.9" in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(BadRecipe, match="the bars of this recipe are: min_heldout_accuracy"):
        parse_recipe(labelfn(bars={"min_attack_success": 0.99}), "r.yaml")
    for bad in (0, 21):
        with pytest.raises(BadRecipe, match="max_attempts"):
            parse_recipe(labelfn(max_attempts=bad), "r.yaml")
    assert parse_recipe(labelfn()).max_attempts == 5 and parse_recipe(labelfn()).bars == {}


def test_each_kind_declares_its_bars_with_defaults():
    def bars(data):
        return {b.name: (b.metric, b.direction, b.threshold) for b in parse_recipe(data).quality_bars()}

    assert bars(labelfn()) == {"min_heldout_accuracy": ("heldout_accuracy", "min", 0.9)}
    assert bars(labelfn(domain="digits")) == {"min_heldout_accuracy": ("heldout_accuracy", "min", 0.9)}
    assert bars(labelfn(bars={"min_heldout_accuracy": 0.99}))["min_heldout_accuracy"][2] == 0.99
    trojan = {"kind": "trojan", "title": "t"}
    assert bars(trojan) == {"min_attack_success": ("attack_success", "min", 0.97),
                            "max_clean_accuracy_drop": ("accuracy_gap", "max", 0.02)}
    assert bars({**trojan, "answer": "detect"}) == {"min_attack_success": ("attack_success_min", "min", 0.97),
                                                    "max_clean_accuracy_drop": ("accuracy_gap_max", "max", 0.02),
                                                    # reported on suites of 10 or more models, not enforced
                                                    "max_weight_stats_auroc": ("weight_stats_auroc", "max", 1.0)}
    assert bars({"kind": "edit", "title": "t"}) == {"min_efficacy": ("efficacy", "min", 1.0),
                                                   "min_recall_kept": ("recall_kept", "min", 0.95)}


def test_reference_recipes_tighten_the_labelfn_floor_to_the_2023_bars():
    from interpctf.kinds.labelfn.recipe import HELDOUT_ACCURACY_FLOOR
    from interpctf.recipe import load_recipe

    recipes = Path(__file__).resolve().parents[1] / "recipes"
    expected = {"pairs-2023": 0.97, "pairs-curvy": 0.97, "digits-l1band": 0.95, "mnist-2023": 0.95}
    for name, bar in expected.items():
        recipe = load_recipe(recipes / f"{name}.yaml")
        assert {b.name: b.threshold for b in recipe.quality_bars()} == {"min_heldout_accuracy": bar}
        assert bar > HELDOUT_ACCURACY_FLOOR
