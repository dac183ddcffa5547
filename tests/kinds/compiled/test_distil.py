"""``distil: true``: a dense student of the compiled histogram, held to agreement on every input by the forge's
bar, with each variable's mechanism kept as ground truth only where interchange tests confirm it.

What is asserted is what the forge guarantees (the student agrees on every input, else it retrains or fails)
and what follows from how the key is written, whatever the student learnt: each variable's IIA is recorded,
the carried-over ones are the key's variables, the others are named on the card, and the reference answer
solves. During development the student reached agreement 1.0 within 800-1400 steps on 3 of 3 seeds (d_model
11, d_mlp 64), and the histogram variable carried over at the MLP with IIA 1.0 on seed 1.
"""

import pytest

from interpctf.recipe import parse_recipe

pytest.importorskip("tracr")


@pytest.fixture(scope="module")
def distilled(tmp_path_factory):
    from pathlib import Path

    from interpctf.bundle import open_challenge
    from interpctf.forge import forge
    from interpctf.kinds import get_kind

    import yaml

    recipe = parse_recipe(yaml.safe_load((Path(__file__).parents[3] / "recipes" /
                                          "compiled-histogram-distil.yaml").read_text()))
    out = tmp_path_factory.mktemp("distil") / "out"
    forge(recipe, out, "distil", run_baselines=False)
    return get_kind("compiled"), open_challenge(out / "bundle", out / "key.json")


@pytest.mark.slow
def test_student_agrees_everywhere_and_records_where_the_mechanism_carried_over(distilled):
    from interpctf.grading import grade_file

    kind, ch = distilled
    bars = {b.name: b.threshold for b in ch.key.quality.bars}
    assert bars["distil_agreement"] == 1.0 and ch.key.metrics["distil_agreement"] == 1.0
    public, secret = ch.public_as(kind.public_model), ch.secret_as(kind.secret_model)
    assert public.distilled and public.d_model == 11
    assert set(secret.distil_iia) == set(secret.variables) | set(public.not_carried_over)
    assert all(secret.distil_iia[name]["iia"] == 1.0 for name in secret.variables)
    assert all(secret.distil_iia[name]["iia"] < 1.0 for name in public.not_carried_over)
    card = (ch.bundle_dir / "README.md").read_text()
    assert "trained to imitate" in card
    assert all(name in card for name in public.not_carried_over)
    g = grade_file(None, ch.key.reference_answer.file(), ch)
    assert g.solved, g.details
