"""Code runs: an agent's SAE module is trained in the sandbox, and the trusted side measures what comes back.

Each attack really runs in the sandbox and must end as a failed run with its one-line reason, the leaderboard and
the other runs untouched. The runs are tiny (a few steps): the tests are about containment and bookkeeping, not about
what the SAE learns (``benchmarks/bench_lab_code.py`` measures that).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from interpctf import lab
from interpctf.testing.sandbox import require_sandbox
from interpctf.lab.code import host
from interpctf.lab.code.host import CodeRunFailed, CodesSAE
from interpctf.lab.store import RunStore

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "recipes" / "lab" / "code" / "relu_threshold.py"
TINY = {"width": 64, "sparsity_coefficient": 0.1, "steps": 5, "batch_size": 64, "dead_latents": "none"}

HEAD = """
import torch
from interpctf.lab.saes.custom import CustomSAE, LossParts, fired_of, sum_sq


class Attack(CustomSAE):
    def encode(self, x):
        return torch.relu(self.pre_acts(x))

    def train_step_loss(self, x, y, sparsity_coefficient, dead_mask):
        codes = self.encode(x)
        mse = sum_sq(self.decode(codes), y)
        return LossParts(mse + sparsity_coefficient * codes.sum(-1).mean(), {"mse": mse}, fired_of(codes))
"""


@pytest.fixture(scope="module", autouse=True)
def _sandbox():
    require_sandbox("code runs need the sandbox")


def _module(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    path = tmp_path / "attack.py"
    path.write_text(head + textwrap.dedent(body))
    return path


def _fails(tmp_path, lab_dir, body: str, match: str, head: str = HEAD, config=None) -> str:
    """Run the module; it must fail with ``match`` in its reason, recorded, and leave the leaderboard as it was."""
    store = RunStore(lab_dir)
    before = [(r.id, r.score) for r in store.list("sae-toy")]
    with pytest.raises(CodeRunFailed) as info:
        lab.run("sae-toy", config or TINY, code=_module(tmp_path, body, head))
    reason = str(info.value)
    assert "\n" not in reason and match in reason, reason
    failed = store.failed("sae-toy")[0]
    assert failed.failure and match in failed.failure and failed.artifacts_path == ""
    assert [(r.id, r.score) for r in store.list("sae-toy")] == before
    assert not list((lab_dir / "work").iterdir())  # the workspace is gone
    return reason


def test_codes_sae_answers_only_the_inputs_it_was_given():
    x = torch.randn(10, 4)
    codes = torch.rand(10, 3)
    sae = CodesSAE(torch.randn(3, 4), torch.zeros(4), [(x, codes)])
    assert sae.encode(x) is codes
    assert torch.equal(sae.encode(x[:6].clone()), codes[:6]) and torch.equal(sae.encode(x[6:].clone()), codes[6:])
    assert torch.allclose(sae(x), codes @ sae.W_dec)
    with pytest.raises(CodeRunFailed, match="not given"):
        sae.encode(torch.randn(10, 4))


def test_code_run_is_measured_outside_and_submits_in_the_sandbox(tmp_path, lab_dir):
    """A module whose ``decode`` returns its input exactly would score a perfect reconstruction if it were asked;
    the trusted side decodes the returned codes itself, so the lie changes nothing."""
    cheat = _module(tmp_path, """
        def decode(self, codes):
            return getattr(self, "_last_x", codes @ self.W_dec + self.b_dec)

        def forward(self, x):
            self._last_x = x
            return x
        """, head=EXAMPLE.read_text())
    result = lab.run("sae-toy", TINY, code=cheat)
    assert result.steps == TINY["steps"] and result.config["architecture"] == "code"
    assert result.metrics["explained_variance"] < 0.99
    saved = Path(result.artifacts_path) / "sae"
    assert (saved / host.CODE_FILE).is_file() and (saved / "cfg.json").is_file()
    # the stored weights reproduce the recorded reconstruction here, with no code of the agent's run
    weights = host.load_code_sae(saved)[1]
    assert weights["W_dec"].shape == (TINY["width"], 128)
    sub = lab.submit(result.run_id)
    assert sub.first_submission and set(sub.test_metrics) >= {"mmcs", "explained_variance", "l0"}
    assert [r.id for r in RunStore(lab_dir).list("sae-toy")] == [result.run_id]


def test_ground_truth_host_files_and_the_network_are_out_of_reach(tmp_path, lab_dir):
    """The module tries to rebuild the ground truth (the task and generator modules), read the package's scoring
    code and the host's files by path, and open a socket; it reports what it reached through its failure."""
    import interpctf

    package = Path(interpctf.__file__).resolve().parent
    body = f"""
        reached = []
        for name in ("interpctf.lab.tasks.toy", "interpctf.lab.synthetic", "interpctf.lab.metrics",
                     "interpctf.lab.runner"):
            try:
                __import__(name)
                reached.append(name)
            except Exception:
                pass
        for path in ({str(package / 'lab' / 'synthetic.py')!r}, {str(package / 'lab' / 'tasks' / 'toy.py')!r},
                     "/etc/passwd", "/root", "/work/../etc/hostname", {str(REPO / 'README.md')!r}):
            try:
                open(path).read(1)
                reached.append(path)
            except Exception:
                pass
        import socket
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("127.0.0.1", 80))
            reached.append("socket")
        except Exception:
            pass
        raise RuntimeError("reached: " + (",".join(reached) or "nothing"))
        """
    _fails(tmp_path, lab_dir, body, "reached: nothing")


def test_an_absent_import_fails_the_run_in_one_line_on_the_command_line(tmp_path, lab_dir):
    import json

    from typer.testing import CliRunner

    from interpctf.cli import app

    config = tmp_path / "c.yaml"
    config.write_text(json.dumps(TINY))
    result = CliRunner().invoke(app, ["lab", "run", "sae-toy", "--config", str(config), "--code",
                                      str(_module(tmp_path, "import not_a_module_anyone_has\n"))])
    # the CLI's main() prints an InterpctfError as one line and exits 2; CliRunner hands us the exception
    assert result.exit_code != 0 and isinstance(result.exception, CodeRunFailed)
    assert "\n" not in str(result.exception) and "not_a_module_anyone_has" in str(result.exception)
    failed = RunStore(lab_dir).failed("sae-toy")
    assert len(failed) == 1 and "No module named 'not_a_module_anyone_has'" in failed[0].failure
    assert RunStore(lab_dir).list("sae-toy") == []


def test_nan_weights_fail_the_run(tmp_path, lab_dir):
    _fails(tmp_path, lab_dir, """
        def after_step(self):
            with torch.no_grad():
                self.W_dec.fill_(float("nan"))
        Attack.after_step = after_step
        """, "W_dec has NaN")


def test_codes_of_the_wrong_shape_fail_the_run(tmp_path, lab_dir):
    _fails(tmp_path, lab_dir, """
        def encode(self, x):
            codes = torch.relu(self.pre_acts(x))
            return codes if self.training else codes[:, :10]
        Attack.encode = encode
        """, "expected")


@pytest.mark.slow
def test_a_run_past_its_wall_clock_is_killed(tmp_path, lab_dir, monkeypatch):
    monkeypatch.setattr(host, "GRACE_SECONDS", 20.0)
    with pytest.raises(CodeRunFailed, match="wall-clock budget"):
        lab.run("sae-toy", TINY, code=_module(tmp_path, """
            def train_step_loss(self, x, y, sparsity_coefficient, dead_mask):
                while True:
                    pass
            Attack.train_step_loss = train_step_loss
            """), max_seconds=1)
    assert RunStore(lab_dir).failed("sae-toy")[0].failure
    assert RunStore(lab_dir).list("sae-toy") == []


@pytest.mark.slow
def test_a_run_over_its_memory_budget_fails(tmp_path, lab_dir, monkeypatch):
    from interpctf.lab.tasks.toy import ToyTask

    monkeypatch.setattr(ToyTask, "budget", ToyTask.budget.model_copy(update={"max_memory_bytes": 2 << 30}))
    _fails(tmp_path, lab_dir, """
        hog = []
        for _ in range(64):
            hog.append(bytearray(64 << 20))  # touched: 4 GiB in all, over the 2 GiB budget
        """, "memory")


def test_a_non_editable_install_is_hidden_in_site_packages(monkeypatch, tmp_path):
    """Where the package lives inside site-packages, the sandbox's copy of site-packages must not show it."""
    from interpctf.sandbox import lab_profile

    site = tmp_path / "site"
    (site / "interpctf").mkdir(parents=True)
    monkeypatch.setattr(lab_profile, "_venv_site", lambda: site)
    monkeypatch.setattr(lab_profile, "_package_dir", lambda: site / "interpctf")
    cmd = lab_profile.command(tmp_path, ["__init__.py"], [], "m", lab_profile.LabBudget(1, 1 << 30, 1), 3, 4)
    at = cmd.index("--tmpfs")
    assert cmd[at + 1] == "/opt/site/interpctf" and cmd.index(str(site)) < at
