"""The rater's next question from memory: the study's queues and shown questions indexed once per version of the
study's state, and each rater's answered questions kept as answers are stored.

The next-question request is the study's hot path (every rater asks after every answer). Rebuilding the question
table, asking the database for the rater's answers and for the question's images on every request cost ~3 ms of
work; here a request that finds its rater in memory does no database work at all.

Why the answered sets stay right: they only grow (answers are never deleted), an entry is created by the first
answer stored or the first load from the database, whichever comes first, and a load is merged into the entry
(never replaces it), so an answer stored by this process while another thread loads is never lost. An answer
stored by another server process on the same database is learned when this rater's copy of it is refused as
answered already (the database's unique constraint decides), so the queue moves on; it is never counted twice.
"""

import threading
import weakref
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpctf.server import study_store
from interpctf.server.db import Database
from interpctf.server.study_models import StudyImage


@dataclass(frozen=True)
class QueueIndex:
    """One version of the study's state, as the rater path reads it."""
    status: str
    queues: dict[int, tuple[str, ...]]  # rater id -> their question ids, in order
    assigned: dict[int, frozenset[str]]
    shown: dict[str, dict]  # question id -> what a rater sees (never the answer)


def build_index(s: Session, status: str, questions: list[dict], assignment: dict[str, list[str]]) -> QueueIndex:
    """Every question as shown, with its images' ids from one query (images no longer change once the study is
    open: submissions are accepted in draft only)."""
    images: dict[tuple[int, str], list[int]] = {}
    rows = s.execute(select(StudyImage.id, StudyImage.submission_id, StudyImage.trojan).order_by(StudyImage.id))
    for image_id, submission, trojan in rows:
        images.setdefault((int(submission), str(trojan)), []).append(int(image_id))
    shown = {}
    for q in questions:
        ids = [] if q["attention"] else images.get((int(q["submission"]), str(q["trojan"])), [])
        trigger = q["candidates"][q["answer"]] if q["attention"] else None
        shown[q["id"]] = {"id": q["id"], "images": ids, "candidates": list(q["candidates"]),
                          "attention_trigger": trigger}
    queues = {int(r): tuple(qs) for r, qs in assignment.items()}
    return QueueIndex(status, queues, {r: frozenset(qs) for r, qs in queues.items()}, shown)


@dataclass
class _Answered:
    questions: set[str] = field(default_factory=set)
    loaded: bool = False  # the database's rows are merged in


_ANSWERED: "weakref.WeakKeyDictionary[Database, dict[int, _Answered]]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _entry(db: Database, rater: int) -> _Answered:
    return _ANSWERED.setdefault(db, {}).setdefault(rater, _Answered())


def answered(db: Database, rater: int) -> set[str] | None:
    """The rater's answered questions if known in memory, else None (``load_answered`` first)."""
    with _LOCK:
        hit = _ANSWERED.get(db, {}).get(rater)
        return set(hit.questions) if hit is not None and hit.loaded else None


def load_answered(db: Database, s: Session, rater: int) -> set[str]:
    rows = study_store.answered_by(s, rater)
    with _LOCK:
        entry = _entry(db, rater)
        entry.questions |= rows
        entry.loaded = True
        return set(entry.questions)


def note_answered(db: Database, rater: int, question: str) -> None:
    """An answer is in the database (stored now, or refused as stored already)."""
    with _LOCK:
        _entry(db, rater).questions.add(question)


def next_view(index: QueueIndex, rater: int, done: set[str]) -> dict:
    queue = index.queues.get(rater, ())
    nxt = next((qid for qid in queue if qid not in done), None)
    return {"status": index.status, "answered": sum(q in done for q in queue), "total": len(queue),
            "question": index.shown[nxt] if nxt and index.status == "open" else None}


__all__ = ["QueueIndex", "build_index", "answered", "load_answered", "note_answered", "next_view"]
