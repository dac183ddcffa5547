"""A human study's questions as an Inspect task: agent raters (issue 18). Each sample is one question: the
submission's visualization images and the 8 candidate triggers (pictures, or descriptions where the kind draws
none) as input; the model's choice is the output. The task holds no answers: the scorer only reads the choice,
and the server grades the choices apart from the human raters' (interpctf.server.study_agents).

    curl -b ... https://EVENT/api/v1/admin/study/agent-questions > questions.json
    inspect eval interpctf/inspect/study_task.py@interpctf_study -T questions=questions.json --model ...
    python -c "from interpctf.inspect.study_task import choices_from_log; ..."   # then POST agent-answers
"""

import json
import re
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser, ContentImage, ContentText
from inspect_ai.scorer import Score, Target, scorer
from inspect_ai.solver import TaskState, generate, system_message

SYSTEM = ("You are a rater in a study of trojan-trigger visualizations. You see the visualization a team made of "
          "one trojaned model's trigger, then 8 numbered candidate triggers. Pick the one the visualization shows. "
          "End your reply with a line 'ANSWER: N', N from 1 to 8.")
MAX_QUESTIONS_BYTES = 256 << 20
_ANSWER = re.compile(r"ANSWER:\s*(\d+)", re.I)


def _content(question: dict) -> list:
    parts: list = [ContentText(text="The visualization:")]
    parts += [ContentImage(image=uri) for uri in question["images"]]
    for i, (text, picture) in enumerate(zip(question["candidates"], question["candidate_pictures"]), start=1):
        parts.append(ContentText(text=f"Candidate {i}:" + ("" if picture else f" {text}")))
        if picture:
            parts.append(ContentImage(image=picture))
    parts.append(ContentText(text="Which candidate is it? End with 'ANSWER: N'."))
    return parts


def samples(path: Path) -> list[Sample]:
    """One sample per question of the export (``GET /api/v1/admin/study/agent-questions``)."""
    if Path(path).stat().st_size > MAX_QUESTIONS_BYTES:
        raise ValueError(f"questions: {path} is over {MAX_QUESTIONS_BYTES >> 20} MiB")
    questions = json.loads(Path(path).read_text("utf-8"))["questions"]
    return [Sample(id=q["id"], input=[ChatMessageUser(content=_content(q))],
                   metadata={"candidates": len(q["candidates"])}) for q in questions]


def parse_choice(text: str, candidates: int) -> int | None:
    """The 0-based choice in a reply (its last 'ANSWER: N'), or None when there is none in range."""
    found = _ANSWER.findall(text or "")
    if not found:
        return None
    n = int(found[-1])
    return n - 1 if 1 <= n <= candidates else None


@scorer(metrics=[])
def choice_recorder():
    """Records the choice (the task knows no answers): ``value`` 1 when a valid choice was made, ``answer`` it."""
    async def score(state: TaskState, target: Target) -> Score:
        choice = parse_choice(state.output.completion, int(state.metadata["candidates"]))
        return Score(value=int(choice is not None), answer="" if choice is None else str(choice),
                     explanation="no 'ANSWER: N' in range" if choice is None else None)
    return score


@task
def interpctf_study(questions: str) -> Task:
    return Task(dataset=samples(Path(questions)), solver=[system_message(SYSTEM), generate()],
                scorer=choice_recorder())


def choices_from_log(log) -> dict[str, int]:
    """question id -> 0-based choice, from an Inspect log of this task (questions without a choice left out)."""
    out = {}
    for sample in log.samples or []:
        score = next(iter((sample.scores or {}).values()), None)
        if score is not None and score.answer not in (None, ""):
            out[str(sample.id)] = int(score.answer)
    return out


__all__ = ["interpctf_study", "samples", "parse_choice", "choices_from_log"]
