"""sae-lm: tokens carry the right labels; splicing a perfect and an empty reconstruction gives the metric's ends;
a short run returns every metric in range, reproducibly; test metrics are computed once."""

import numpy as np
import pytest
import torch

from interpctf.data.world import World
from interpctf.data.world_tokenizer import build_tokenizer
from interpctf.errors import InterpctfError
from interpctf.lab import metrics as M
from interpctf.lab import run
from interpctf.lab.config import BadLabConfig
from interpctf.lab.runner import submit
from interpctf.lab.tasks import get_task
from interpctf.lab.tasks.lm_corpus import annotate
from interpctf.lab.tasks.lm_data import LMData
from interpctf.nets.tiny_gpt_reference import REFERENCE_CONFIG

METRICS = ("ce_loss_recovered", "kl_score", "l0", "explained_variance", "dead_fraction", "relation_purity",
           "entity_purity")


def test_tokens_are_labelled_with_their_relation_and_entities():
    world = World.generate(REFERENCE_CONFIG.world)
    tok = build_tokenizer(world)
    city, job, sport = world.relations[:3]  # relation indices 0, 1, 2
    s = world.subjects[0]
    texts = [f"{s} lives in {city.objects[0]} . The job of {s} is {job.objects[0]} .",
             f"{s} plays {sport.objects[3]} ."]
    docs = annotate(world, tok, texts)
    assert docs.lengths.tolist() == [13, 5]  # BOS + words
    assert docs.relation.tolist() == [0] * 5 + [1] * 7 + [2] * 4
    assert np.flatnonzero(docs.entity).tolist() == [0, 3, 8, 10, 12, 14]  # subjects and objects
    assert docs.targets.tolist() == [i for t in texts for i in tok(t)["input_ids"][1:]]
    with pytest.raises(ValueError, match="object"):
        annotate(world, tok, [f"{s} lives in nowhere ."])


class _Fixed(torch.nn.Module):
    """A stand-in SAE whose code is the activation itself (a perfect reconstruction) or nothing at all."""

    def __init__(self, zero: bool):
        super().__init__()
        self.zero = zero

    def encode(self, x):
        return torch.zeros_like(x) if self.zero else x

    def decode(self, codes):
        return codes


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory):
    """One runs dir for the module, so its runs reuse the activations the ``lm_data`` fixture cached."""
    return tmp_path_factory.mktemp("lm-lab")


@pytest.fixture(scope="module")
def lm_data(lab_root):
    return LMData(lab_root / "cache", transcoder=False)


@pytest.fixture
def shared_lab(lab_root, monkeypatch):
    monkeypatch.setenv("INTERPCTF_LAB_DIR", str(lab_root))


def test_perfect_reconstruction_recovers_everything_and_zero_nothing(lm_data):
    task = get_task("sae-lm")
    perfect, _ = task.evaluate(_Fixed(zero=False), lm_data, "val")
    assert perfect["ce_loss_recovered"] == pytest.approx(1.0, abs=1e-6)
    assert perfect["kl_score"] == pytest.approx(1.0, abs=1e-6)
    assert perfect["explained_variance"] == pytest.approx(1.0)
    assert perfect["ce_spliced"] == pytest.approx(perfect["ce_clean"], abs=1e-6)
    empty, _ = task.evaluate(_Fixed(zero=True), lm_data, "val")
    assert empty["ce_loss_recovered"] == pytest.approx(0.0, abs=1e-6)
    assert empty["kl_score"] == pytest.approx(0.0, abs=1e-6)
    assert empty["l0"] == 0 and empty["dead_fraction"] == 1.0 and empty["relation_purity"] == 0.0
    # The model is worth splicing into: it predicts far better than with the site zeroed.
    assert perfect["ce_clean"] < empty["ce_spliced"] - 1.0


def test_activations_are_cached_and_splits_are_disjoint(lm_data, lab_root):
    cache = lab_root / "cache"
    assert len(list(cache.glob("lm_acts_*.safetensors"))) == 1
    again = LMData(cache, transcoder=False)
    assert torch.equal(again.split("val").x, lm_data.split("val").x)
    assert lm_data.split("val").x.shape == (len(lm_data.split("val").extras["token"]), 128)
    val, test = ({tuple(row[:n].tolist()) for row, n in zip(lm_data.docs[s].ids, lm_data.docs[s].lengths)}
                 for s in ("val", "test"))
    assert len(val & test) < 0.05 * len(val)  # different documents (a one-fact document may recur by chance)


def test_bad_config_names_the_field():
    with pytest.raises(BadLabConfig, match="k"):
        run("sae-lm", {"k": 0}, record=False)
    with pytest.raises(InterpctfError, match="width"):
        run("sae-lm", {"width": 4096}, record=False)


def test_short_run_in_range_reproducible_and_submitted_once(lm_data, shared_lab):
    cfg = {"width": 256, "k": 8, "steps": 200, "batch_size": 512}
    first = run("sae-lm", cfg)
    m = first.metrics
    assert set(METRICS) <= set(m)
    assert m["l0"] <= 8 and 0 <= m["dead_fraction"] < 1
    assert 0.9 < m["ce_loss_recovered"] <= 1.0 and 0.9 < m["kl_score"] <= 1.0
    assert 0.9 < m["explained_variance"] <= 1.0
    assert 0.1 < m["relation_purity"] <= 1.0 and 0.0 < m["entity_purity"] <= 1.0
    assert run("sae-lm", cfg, record=False).metrics == m
    sub = submit(first.run_id)
    assert sub.first_submission and set(METRICS) <= set(sub.test_metrics)
    assert submit(first.run_id).test_metrics == sub.test_metrics and not submit(first.run_id).first_submission


def test_transcoder_maps_mlp_input_to_output(lab_root, shared_lab):
    tc = run("sae-lm", {"width": 256, "k": 8, "steps": 200, "batch_size": 512, "transcoder": True}, record=False)
    assert tc.metrics["explained_variance"] > 0.9 and tc.metrics["ce_loss_recovered"] > 0.8
    s = LMData(lab_root / "cache", transcoder=True).split("val")  # cached by the run
    assert M.explained_variance(s.y, s.x) < 0  # the MLP's input is no reconstruction of its output: it was learned
