"""Re-run a study submission's code in the sandbox and compare the images it writes with the submitted ones.

The admin asks for it from the submission's page. The code runs in the lab profile of the sandbox
(:func:`interpctf.sandbox.lab_profile.run_lab_job`: no network, its own uid, a wall clock, memory, CPU and disk
budgets) over a workspace holding the code and a copy of the *public* bundle of the team's own variant (the one it
was given and made its images from), never the key. Each
submitted image is then looked for under its own file name in what the run wrote: byte-equal, equal within a
pixel tolerance (re-encoding or a float's last bit), different, or missing. The outcome is a JSON file beside the
study's other files, shown on the submission's page; a new re-run replaces it.
"""

import json
import os
import secrets
import shutil
import threading
from pathlib import Path

import numpy as np
from sqlalchemy import select

from interpctf.errors import InterpctfError, one_line
from interpctf.intake.png import check_png
from interpctf.server.errors import not_found
from interpctf.server.models import utcnow
from interpctf.server.state import ServerState, variant_for
from interpctf.server.study_models import StudyImage, StudySubmission

FOLDER = "study-reruns"
JOB_MODULE = "interpctf.sandbox.rerun_job"
PACKAGE_FILES = ["__init__.py", "errors.py", "sandbox/confine.py", "sandbox/worker.py", "sandbox/rerun_job.py"]
EMPTY_FILES = ["sandbox/__init__.py"]
TOLERANCE = 2  # the largest per-channel difference (0-255) still counted as the same image
WALL_SECONDS, MEMORY_BYTES, DISK_BYTES = 120.0, 2 << 30, 256 << 20


def _result_path(st: ServerState, submission_id: int) -> Path:
    return st.data_dir / FOLDER / f"{submission_id}.json"


def result(st: ServerState, submission_id: int) -> dict | None:
    path = _result_path(st, submission_id)
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def _write(st: ServerState, submission_id: int, body: dict) -> None:
    path = _result_path(st, submission_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps(body), "utf-8")
    os.replace(tmp, path)


def _pixels(data: bytes) -> np.ndarray:
    import io

    from PIL import Image
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"), dtype=np.int16)


def compare(submitted: bytes, rerun: bytes | None, tolerance: int = TOLERANCE) -> dict:
    """One image: ``identical`` (byte-equal), ``within tolerance``, ``different`` or ``missing``, and why."""
    if rerun is None:
        return {"verdict": "missing", "why": "the re-run wrote no file of this name"}
    if rerun == submitted:
        return {"verdict": "identical", "why": "byte-equal"}
    try:
        check_png(rerun, "re-run image")
        a, b = _pixels(submitted), _pixels(rerun)
    except (InterpctfError, OSError, ValueError) as exc:
        return {"verdict": "different", "why": one_line(exc)[:200]}
    if a.shape != b.shape:
        return {"verdict": "different", "why": f"size {b.shape[1]}x{b.shape[0]}, submitted {a.shape[1]}x{a.shape[0]}"}
    worst = int(np.abs(a - b).max())
    if worst <= tolerance:
        return {"verdict": "within tolerance", "why": f"pixels differ by at most {worst}"}
    return {"verdict": "different", "why": f"pixels differ by up to {worst} (tolerance {tolerance})"}


def _workspace(st: ServerState, s, row: StudySubmission) -> Path:
    variant = variant_for(s, row.challenge_id, row.team_id)  # the variant the team's code ran against
    work = st.data_dir / FOLDER / f".work-{row.id}-{secrets.token_hex(4)}"
    work.mkdir(parents=True)
    shutil.copytree(st.data_dir / variant.bundle_path, work / "bundle", symlinks=True)  # links stay links
    (work / "code.py").write_text(row.code, "utf-8")
    (work / "out").mkdir()
    return work


def _outputs(out: Path) -> dict[str, bytes]:
    """What the run wrote under ``out/``, regular files only, read within the disk budget it had."""
    files = {}
    for path in sorted(out.iterdir()) if out.is_dir() else []:
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= DISK_BYTES:
            files[path.name] = path.read_bytes()
    return files


def rerun(st: ServerState, submission_id: int) -> dict:
    """Run the code, compare, store and return the result (blocking: the caller is a background thread)."""
    from interpctf.sandbox.lab_profile import LabBudget, LabJobFailed, run_lab_job

    with st.db.read() as s:
        row = s.get(StudySubmission, submission_id)
        if row is None:
            raise not_found(f"no visualization submission {submission_id}")
        images = [(i.trojan, i.name, bytes(i.data)) for i in
                  s.scalars(select(StudyImage).where(StudyImage.submission_id == submission_id)
                            .order_by(StudyImage.id))]
        work = _workspace(st, s, row)
    budget = LabBudget(wall_seconds=WALL_SECONDS, memory_bytes=MEMORY_BYTES, cpu_seconds=WALL_SECONDS,
                       disk_bytes=DISK_BYTES)
    error = ""
    try:
        try:
            outcome = run_lab_job(work, {"cpu_seconds": budget.cpu_seconds, "memory_bytes": budget.memory_bytes,
                                         "processes": budget.processes, "file_bytes": DISK_BYTES},
                                  budget, package_files=PACKAGE_FILES, empty_files=EMPTY_FILES, module=JOB_MODULE)
            error = str(json.loads(outcome.report or b"{}").get("error", ""))[:500]
        except (LabJobFailed, ValueError) as exc:
            error = one_line(exc)[:500]
        written = _outputs(work / "out")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [{"trojan": t, "name": n, **compare(data, written.get(n))} for t, n, data in images]
    body = {"status": "done", "error": error, "images": rows, "at": utcnow().isoformat(),
            "reproduced": bool(rows) and all(r["verdict"] in ("identical", "within tolerance") for r in rows)}
    _write(st, submission_id, body)
    return body


def start(st: ServerState, submission_id: int) -> threading.Thread:
    """Mark the re-run running and start it in the background (the sandbox does the work; this thread waits)."""
    _write(st, submission_id, {"status": "running", "at": utcnow().isoformat()})

    def work() -> None:
        try:
            rerun(st, submission_id)
        except Exception as exc:  # no bubblewrap, a missing bundle: shown on the page, never left running
            _write(st, submission_id, {"status": "failed", "error": one_line(exc)[:500], "images": [],
                                       "reproduced": False, "at": utcnow().isoformat()})

    thread = threading.Thread(target=work, daemon=True, name=f"study-rerun-{submission_id}")
    thread.start()
    return thread


__all__ = ["compare", "rerun", "result", "start"]
