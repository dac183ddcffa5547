"""Inside the sandbox (lab profile): re-run a study submission's code against the challenge's public bundle.

The workspace holds ``code.py`` (the team's code, as submitted), ``bundle/`` (the public bundle; never the key)
and an empty ``out/``; the code runs with the workspace as its working directory and writes its images into
``out/`` (``OUT_DIR`` and ``BUNDLE_DIR`` in its environment say where). Budgets (CPU, memory, processes, file
size) are set on this process before the code runs; the host decides the outcome from the files, not from the
one-line report written here.
"""

import json
import os
import runpy
import sys


def main() -> None:
    from interpctf.sandbox.confine import confine, exit_when_the_host_goes, read_spec_line

    spec = json.loads(read_spec_line(1 << 16))
    confine(spec["uid"], cpu_seconds=spec["cpu_seconds"], memory_bytes=spec["memory_bytes"],
            processes=spec["processes"], file_bytes=spec["file_bytes"])
    exit_when_the_host_goes()
    report = os.fdopen(spec["report_fd"], "w", buffering=1)
    os.dup2(2, 1)  # the code's prints go to the host's log tail, never onto the report channel
    os.environ.update(BUNDLE_DIR=os.path.abspath("bundle"), OUT_DIR=os.path.abspath("out"))
    error = ""
    try:
        runpy.run_path("code.py", run_name="__main__")
    except BaseException as exc:  # noqa: BLE001  (SystemExit from the code too: reported, not fatal)
        text = " ".join(str(exc).split())
        error = f"{type(exc).__name__}: {text}"[:500]
    report.write(json.dumps({"error": error}) + "\n")
    report.flush()
    sys.stderr.flush()
    os._exit(0)
