"""Agent raters: the study's questions answered by LLMs through Inspect (interpctf.inspect.study_task), recorded
apart from the human raters' answers and graded apart, so the two are never mixed; the results page shows them
side by side.

The admin exports the questions (each with its images and candidates as data, never the answer), runs the
``interpctf_study`` task on them, and posts the choices the task's log holds, under the model's name. Each model
is one rater of kind ``agent``; its answers live in a JSON file beside the study's state (the humans' are rows of
study_answers), replaced atomically.
"""

import base64
import json
import os
import secrets
import threading

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from interpctf.rules.study import grade_study
from interpctf.server import study, study_pictures
from interpctf.server.errors import ApiError, conflict
from interpctf.server.state import ServerState
from interpctf.server.study_models import StudyImage

ANSWERS_FILE = "study-agent-answers.json"
_LOCK = threading.Lock()


class AgentAnswersIn(BaseModel):
    """One agent rater's choices: question id -> the index of the chosen candidate (0-based)."""
    model_config = ConfigDict(extra="forbid")
    model: str = Field(min_length=1, max_length=120)
    answers: dict[str, int] = Field(max_length=100_000)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def export(st: ServerState, s) -> dict:
    """The open (or closed) study's questions for agents: images and candidates as data; attention checks are
    left out (they catch careless humans) and so is every answer."""
    state = study.load(st)
    if state.status == "draft":
        raise conflict("the study has not opened: there are no questions yet")
    index = study_pictures.tokens(st)
    folder = st.data_dir / study_pictures.FOLDER
    images: dict[tuple[int, str], list[str]] = {}
    for row in s.scalars(select(StudyImage).order_by(StudyImage.id)):
        images.setdefault((row.submission_id, row.trojan), []).append(_data_uri(bytes(row.data)))
    out = []
    for q in state.questions:
        if q["attention"]:
            continue
        pictures = [_data_uri((folder / f"{index[c]}.png").read_bytes()) if c in index else None
                    for c in q["candidates"]]
        out.append({"id": q["id"], "images": images.get((q["submission"], q["trojan"]), []),
                    "candidates": [None if p else c for c, p in zip(q["candidates"], pictures)],
                    "candidate_pictures": pictures})
    return {"questions": out}


def _path(st: ServerState):
    return st.data_dir / ANSWERS_FILE


def stored(st: ServerState) -> dict[str, dict[str, int]]:
    path = _path(st)
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def record(st: ServerState, body: AgentAnswersIn) -> int:
    """Store (replace) one model's choices; a question it was not asked, or a choice out of range: 422."""
    state = study.load(st)
    sizes = {q["id"]: len(q["candidates"]) for q in state.questions if not q["attention"]}
    for qid, choice in body.answers.items():
        if qid not in sizes:
            raise ApiError(422, f"answers: no question {qid[:120]!r} in this study")
        if not 0 <= choice < sizes[qid]:
            raise ApiError(422, f"answers: choice {choice} for {qid!r} is not in 0..{sizes[qid] - 1}")
    with _LOCK:
        everything = {**stored(st), body.model: dict(body.answers)}
        tmp = _path(st).with_name(f".{ANSWERS_FILE}.{secrets.token_hex(4)}")
        tmp.write_text(json.dumps(everything), "utf-8")
        os.replace(tmp, _path(st))
    return len(body.answers)


def results(st: ServerState) -> dict[str, dict]:
    """Model -> its rates per submission, graded by the same rule as the humans' but on its answers alone."""
    state = study.load(st)
    questions = study.questions(state)
    out = {}
    for model, answers in sorted(stored(st).items()):
        grades = grade_study([(0, qid, choice) for qid, choice in answers.items()], questions,
                             state.settings.target)
        out[model] = {sid: {"right": g.overall.right, "answers": g.overall.n, "rate": g.overall.rate,
                            "low": g.overall.low, "high": g.overall.high, "beats": g.overall.beats}
                      for sid, g in sorted(grades.items())}
    return out


__all__ = ["AgentAnswersIn", "export", "record", "results", "stored"]
