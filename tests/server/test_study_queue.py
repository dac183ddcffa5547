"""The rater's queue from memory (server/study_queue.py): an answer stored behind this process's back (another
server process on the same database) is learned when the rater's copy is refused, so the queue moves on and
the answer counts once; a process that starts afresh reads the answers from the database."""

from sqlalchemy import select

from test_study_api import _open_study, _rater

from interpctf.server import study, study_queue, study_store
from interpctf.server.models import User
from interpctf.server.study_store import answer_count


def test_an_answer_stored_elsewhere_moves_the_queue_on_and_counts_once(server_factory):
    server, _, _ = _open_study(server_factory)
    client = _rater(server, "rater1")
    first = client.get("/api/v1/study/next").json()
    qid = first["question"]["id"]
    with server.state.db.read() as s:
        rater = s.scalars(select(User).where(User.name == "rater1")).one()
    # another server process stores the rater's answer: this one's memory does not know it yet
    study_store.record_answer(server.state.db, rater.id, qid, 0, {qid}, closed=False)
    again = client.post("/api/v1/study/answers", json={"question": qid, "choice": 3})
    assert again.status_code == 409 and "once" in again.json()["detail"]
    after = client.get("/api/v1/study/next").json()
    assert after["answered"] == 1 and after["question"]["id"] != qid
    assert answer_count(server.state.db) == 1


def test_a_fresh_process_reads_the_answers_from_the_database(server_factory):
    server, _, _ = _open_study(server_factory)
    client = _rater(server, "rater2")
    q = client.get("/api/v1/study/next").json()["question"]
    assert client.post("/api/v1/study/answers", json={"question": q["id"], "choice": 0}).status_code == 201
    study_queue._ANSWERED.clear()  # what a restarted server holds
    study._INDEX.clear()
    after = client.get("/api/v1/study/next").json()
    assert after["answered"] == 1 and after["question"]["id"] != q["id"]
    assert after["question"]["images"] or after["question"]["attention_trigger"]
