"""The grading job: a module-level function the executor runs in a worker process (local pool or Ray).

It receives only paths and the answer bytes (picklable), opens the challenge with its key, and runs the kind's
grader (which runs the answer's code in the sandbox). It never touches the database.
"""

import time
from functools import lru_cache

from interpctf.bundle import open_challenge
from interpctf.errors import BadAnswer, InterpctfError, one_line
from interpctf.grading import grade_file
from interpctf.schema import AnswerFile
from interpctf.schema import Grade


@lru_cache(maxsize=64)
def _challenge(bundle_dir: str, key_path: str):
    return open_challenge(bundle_dir, key_path)


def grade_job(bundle_dir: str, key_path: str, filename: str, data: bytes, delay: float = 0.0) -> dict:
    """``{"grade": Grade as JSON}``, or ``{"error": reason}`` when grading itself could not run."""
    if delay:
        time.sleep(delay)
    try:
        grade = grade_file(None, AnswerFile(filename, data), _challenge(bundle_dir, key_path))
    except BadAnswer as exc:  # validated at intake, so only a changed kind gets here: a zero grade, reported
        grade = Grade.failed(one_line(exc))
    except InterpctfError as exc:
        return {"error": one_line(exc)}
    except Exception as exc:  # a broken grader must not take the queue down; the admin can re-grade
        return {"error": f"grader failed: {type(exc).__name__}: {one_line(exc)}"}
    return {"grade": grade.model_dump(mode="json")}
