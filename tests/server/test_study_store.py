"""Study storage: bad visualizations refused before anything is stored; answers counted exactly once under
concurrent requests; unassigned, repeated and late answers refused with a status and one line."""

import struct
import threading
import zlib

import pytest
from sqlalchemy import select

from server_support import event_spec, tiny_challenge
from interpctf.server.db import Database
from interpctf.server.event_spec import parse_event_spec
from interpctf.server.models import Challenge, Team, User
from interpctf.server.setup import create_event
from interpctf.server.study_store import StudyRefused, answer_count, answer_rows, record_answer, save_submission


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + b"\x10" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture
def study_db(tmp_path):
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'event.db'}"
    create_event(parse_event_spec(event_spec(tiny_challenge())), tmp_path, data, url).dispose()
    db = Database(url)
    with db.write() as s:
        s.add(Team(name="t1", invite_code="x" * 12))
    with db.read() as s:
        ids = (s.scalars(select(Challenge.id)).first(), s.scalars(select(Team.id)).first(),
               s.scalars(select(User.id)).first())
    yield db, ids
    db.dispose()


def test_visualizations_are_checked_before_storing(study_db):
    db, (challenge, team, user) = study_db
    sid = save_submission(db, challenge, team, user, {"m00": {"a.png": _png(4, 4)}}, "print('hi')", {"m00"})
    assert sid > 0
    for images, status in [({"m00": {"a.png": b"GIF89a"}}, 422), ({"m99": {"a.png": _png(2, 2)}}, 422),
                           ({"m00": {f"{i}.png": _png(2, 2) for i in range(9)}}, 422)]:
        with pytest.raises(StudyRefused) as err:
            save_submission(db, challenge, team, user, images, "", {"m00"})
        assert err.value.status == status and "\n" not in str(err.value)


def test_answers_count_once_under_concurrency_and_bad_ones_are_refused(study_db):
    db, (_, _, rater) = study_db
    assigned = {f"q{i}" for i in range(5)}
    refused: list[int] = []

    def send(qid: str) -> None:
        try:
            record_answer(db, rater, qid, 3, assigned, closed=False)
        except StudyRefused as exc:
            refused.append(exc.status)

    threads = [threading.Thread(target=send, args=(f"q{i % 5}",)) for i in range(40)]  # 8 copies of each
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answer_count(db) == 5 and sorted(q for _, q, _ in answer_rows(db)) == sorted(assigned)
    assert refused == [409] * 35  # every duplicate refused, none lost
    for qid, closed, status in [("other", False, 403), ("q0", True, 409)]:
        with pytest.raises(StudyRefused) as err:
            record_answer(db, rater, qid, 1, assigned, closed=closed)
        assert err.value.status == status
    with pytest.raises(StudyRefused, match="choice"):
        record_answer(db, rater, "q1", 8, {"q1"}, closed=False)
