"""recipes/pairs-2023.yaml is the 2023 transformer challenge: its published rule exactly, its setting, its bar."""

import numpy as np

from interpctf.bundle import read_key
from interpctf.kinds.labelfn.domains import DOMAINS
from interpctf.kinds.labelfn.rule import apply_rule, compile_rule
from interpctf.recipe import load_recipe
from interpctf.reference import recipe_path

# The rule as published when the 2023 challenge closed, copied here independently of the recipe.
PUBLISHED = '''
import numpy as np
p = 113
def label_fn(x, y):
    z = 0
    if x ** 2 < np.sqrt(y) * 200:
        z += 3
    if y ** 2 < np.sqrt(x) * 600:
        z -= 2
    z += int(x ** 1.5) % 8 - 5
    if y < (p - x + 20) and z < -3:
        z += 5.5
    if z < 0:
        return 0
    else:
        return 1
'''


def _published_labels() -> np.ndarray:
    namespace: dict = {}
    exec(PUBLISHED, namespace)
    return np.array([namespace["label_fn"](x, y) for x in range(113) for y in range(113)])


def test_recipe_has_the_2023_setting():
    recipe = load_recipe(recipe_path("pairs-2023"))
    cfg = DOMAINS["pairs"]._config(recipe)
    assert (recipe.domain, recipe.p, recipe.train_fraction) == ("pairs", 113, 0.5)
    assert (cfg.d_model, cfg.n_heads, cfg.d_mlp) == (128, 8, 1024)


def test_rule_is_the_published_one_on_all_12769_pairs():
    recipe = load_recipe(recipe_path("pairs-2023"))
    inputs = DOMAINS["pairs"].inputs(recipe)
    ours = apply_rule(compile_rule(recipe.secret), inputs, unpack=True)
    published = _published_labels()
    assert len(ours) == 12769
    assert (ours == published).all()
    assert 0.4 < published.mean() < 0.45  # 42.8% ones: a sanity check of the copy above


def test_forged_challenge_is_the_published_rule_and_meets_the_2023_bar(pairs_challenge, forge_guarantees):
    """The forge guarantees the recipe's bar (min_heldout_accuracy 0.97); the key's rule is the published one."""
    key = read_key(pairs_challenge / "key.json")
    assert forge_guarantees(key) == {"min_heldout_accuracy": 0.97}
    assert key.metrics["heldout_accuracy"] >= 0.97
    inputs = DOMAINS["pairs"].inputs(load_recipe(recipe_path("pairs-2023")))
    assert (apply_rule(compile_rule(key.secret["rule_source"]), inputs, unpack=True) == _published_labels()).all()
    card = (pairs_challenge / "bundle" / "README.md").read_text()
    assert "Unlike the 2023 model, which had no LayerNorm" in card
