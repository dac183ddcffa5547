"""The challenge agents' stateful sandboxed ``python`` tool: variables kept across calls, the bundle readable, the
key, the network and the rest of the host not; budgets per call (kill, then a clear message on the next call), per
task and for memory; the process gone when the sample ends. Driven through Inspect's mock model too."""

import json
import tempfile
import time
from pathlib import Path

import pytest

from interpctf.testing.sandbox import require_sandbox
from interpctf.inspect.repl import PythonBudget, PythonToolError, SandboxedPython


@pytest.fixture(scope="module", autouse=True)
def _sandbox():
    require_sandbox("the python tool needs the sandbox")


def _gone(pid: int) -> bool:
    """No such process, or a zombie waiting for init to reap it: either way nothing runs any more."""
    for _ in range(50):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "bundle"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "config.json").write_text('{"width": 3}')
    (tmp_path / "key.json").write_text('{"salt": "SECRET-SALT"}')
    return folder


def test_state_kept_bundle_read_only_key_and_network_absent(bundle, tmp_path):
    key = tmp_path / "key.json"
    with SandboxedPython(bundle, PythonBudget(call_seconds=20)) as py:
        assert py.run("import json\ncfg = json.load(open('/bundle/model/config.json'))\nprint('read')") == "read"
        assert py.run("cfg['width'] * 2") == "6"  # the variable survived the call
        for path in (key, key.parent, "/work/../key.json"):
            out = py.run(f"open({str(path)!r}).read()")
            assert "FileNotFoundError" in out or "IsADirectoryError" in out, out
        assert "SECRET-SALT" not in py.run(f"import os\nos.listdir({str(tmp_path)!r})")
        assert "PermissionError" in py.run("import socket\nsocket.socket(socket.AF_INET, socket.SOCK_STREAM)")
        assert "Read-only file system" in py.run("open('/bundle/new.txt', 'w')")
        assert py.run("open('/work/notes.txt', 'w').write('ok')") == "2"  # scratch is writable
        assert "Traceback" in py.run("import os; os.execv('/bin/sh', ['sh'])")  # no exec: seccomp refuses it


def test_call_budget_kills_and_next_call_is_told(bundle):
    with SandboxedPython(bundle, PythonBudget(call_seconds=2, total_seconds=60)) as py:
        py.run("x = 1")
        pid = py._pid1
        with pytest.raises(PythonToolError, match=r"time budget \(2 s\).*variables are lost"):
            py.run("while True:\n    pass")
        assert _gone(pid)  # the whole sandbox is gone, not just interrupted
        out = py.run("'x' in globals()")
        assert out.startswith("[a fresh Python process: the previous one was stopped") and out.endswith("False")
        assert "fresh" not in py.run("1")  # said once


def test_total_budget_and_memory_budget(bundle):
    with SandboxedPython(bundle, PythonBudget(call_seconds=2, total_seconds=2, memory_bytes=1 << 30)) as py:
        assert "MemoryError" in py.run("b = bytearray(3 << 30)")  # over RLIMIT_AS: refused, the process lives
        with pytest.raises(PythonToolError, match="budget for this task .* ran out during the call"):
            py.run("import time\ntime.sleep(5)")
        with pytest.raises(PythonToolError, match="time budget for this task"):
            py.run("1")


def test_output_is_capped_and_close_cleans_up(bundle):
    py = SandboxedPython(bundle, PythonBudget(output_chars=1000))
    out = py.run("print('a' * 5000)\n'b' * 5000")
    assert "cut at 1000 characters" in out and len(out) < 2200
    work, pid = py._root, py._pid1
    py.close()
    py.close()
    assert not work.exists() and _gone(pid)


def test_challenge_agent_uses_python_then_submits(small_pairs, tmp_path):
    """The scripted agent loads the bundle's weights in the python tool, keeps a variable across calls, submits
    the rule; the key stays out of reach, the grader scores the answer, and the process ends with the sample."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import ModelOutput, get_model
    from safetensors import safe_open

    from interpctf.bundle import read_key
    from interpctf.inspect.task import interpctf_challenge
    from tests.inspect.test_task import _offline

    rule = read_key(small_pairs / "key.json").reference_answer.file().data.decode()
    weights = next((small_pairs / "bundle" / "model").glob("*.safetensors"))
    with safe_open(str(weights), "pt") as f:
        n_params = sum(f.get_tensor(k).numel() for k in f.keys())
    m = "mockllm/model"
    load = (f"from safetensors.torch import load_file\nw = load_file('/bundle/model/{weights.name}')\n"
            "n = sum(t.numel() for t in w.values())\nprint('loaded', len(w))")
    outputs = [ModelOutput.for_tool_call(m, "python", {"code": load}),
               ModelOutput.for_tool_call(m, "python", {"code": "n"}),
               ModelOutput.for_tool_call(m, "python", {"code": f"open({str(small_pairs / 'key.json')!r}).read()"}),
               ModelOutput.for_tool_call(m, "submit_answer", {"filename": "rule.py", "content": rule}),
               ModelOutput.from_content(m, "Done.")]
    task = interpctf_challenge(bundle=str(small_pairs / "bundle"), key=str(small_pairs / "key.json"),
                               python_call_seconds=60)
    scratch = Path(tempfile.gettempdir())
    before = set(scratch.glob("interpctf-python-*"))
    logs = inspect_eval(task, model=get_model(m, custom_outputs=_offline(outputs)), log_dir=str(tmp_path),
                        display="none")
    assert set(scratch.glob("interpctf-python-*")) == before  # the sample's process was closed, its scratch gone
    assert logs[0].status == "success", logs[0].error
    sample = logs[0].samples[0]
    tools = [msg for msg in sample.messages if msg.role == "tool"]
    assert tools[0].content.startswith("loaded")
    assert tools[1].content == str(n_params)
    assert "FileNotFoundError" in tools[2].content
    assert sample.scores["grader"].value == 1.0
    assert json.dumps(sample.scores["grader"].metadata)  # the grade's details are plain data
