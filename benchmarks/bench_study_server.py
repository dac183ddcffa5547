"""The rater's next question under load: ``GET /api/v1/study/next`` for an open study of 50 submissions x 12
trojans (600 questions, 100 raters, k = 3), served by `interpctf serve` in its own process on SQLite, over
loopback; the ratio is against the static page (``/static/style.css``) measured the same way in the same run.

    .venv/bin/python benchmarks/bench_study_server.py [--mode raters|closed|both --rater-seconds 30 --think 2 6]

Target (issue #18): p95 <= 50 ms under 100 concurrent raters. Two modes:

- ``raters`` (the target's figure): 100 raters, each with its own API token, each looping GET next, GET the
  static page, think (seeded, uniform in --think seconds), POST an answer (_rater_load.py). Also checked: no
  error, and the database holds exactly the answers acknowledged (none lost, none counted twice). Exits 1 when
  any of it fails.
- ``closed``: saturation, 1 and --clients keep-alive connections sharing one token with no think time. Its p95
  is about clients / throughput, so it measures throughput, not what a rater waits.

Measured (2 cores shared by ~6 engineers, load average 3.6-3.9, ``--mode both --rater-seconds 30 --seconds 5``):
raters: next 727 requests p50 6.6 ms, p95 19.0 ms, max 124 ms; static p95 17.5 ms (ratio 1.09); answer p95
21.6 ms; 727 answers acknowledged, 727 stored, 0 errors. Closed loop, 100 clients: next 357 req/s p95 424 ms vs
static 483 req/s p95 358 ms (ratio 1.18). The next question costs about what the static page costs: what is
left per request is the framework's, not the study's.
"""

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _rater_load import rater_load  # noqa: E402
from _server_common import percentile, raw_load, start_server  # noqa: E402

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010800000000"
                    "3a7e9b550000000a49444154789c63600000000200015e0ff3fb0000000049454e44ae426082")


def populate(data: Path, submissions: int, trojans: int, raters: int, k: int) -> list[str]:
    """The event, its teams and raters, the submissions and the open study's state file; returns each rater's
    own API token, in rater order."""
    from sqlalchemy import insert

    from interpctf.rules.study import assign_raters, attention_questions, make_questions
    from interpctf.server.auth import hash_password, new_api_token
    from interpctf.server.db import Database, migrate
    from interpctf.server.models import Challenge, Event, Team, User, utcnow
    from interpctf.server.study import StudySettings, StudyState
    from interpctf.server.study_models import StudyImage, StudySubmission

    url = f"sqlite:///{data / 'event.db'}"
    migrate(url)
    db = Database(url)
    now = utcnow()
    pw = hash_password("password123")
    triggers = {f"m{i:02d}": f"trigger {i}" for i in range(trojans)}
    with db.write() as s:
        s.execute(insert(Event), [dict(id=1, title="Study bench", description="", starts_at=now - timedelta(hours=1),
                                       ends_at=now + timedelta(hours=24), freeze_at=None, mode="team", team_size=4,
                                       rules={}, revealed_at=None, board_version=1)])
        s.execute(insert(Challenge), [dict(id=1, slug="trojans", title="Trojans", kind="trojan", category="",
                                           statement="", answer_help="", max_attempts=0, position=0, hidden=False,
                                           value={"initial": 100})])
        s.execute(insert(Team), [dict(id=t + 1, name=f"team-{t}", invite_code=f"code{t}", solo=False, hidden=False,
                                      created_at=now) for t in range(submissions)])
        s.execute(insert(User), [dict(id=t + 1, name=f"user-{t}", password_hash=pw, role="participant",
                                      account_type="human", team_id=t + 1, created_at=now)
                                 for t in range(submissions)])
        s.execute(insert(User), [dict(id=1000 + r, name=f"rater-{r}", password_hash=pw, role="rater",
                                      account_type="human", team_id=None, created_at=now) for r in range(raters)])
        s.execute(insert(StudySubmission), [dict(id=t + 1, challenge_id=1, team_id=t + 1, user_id=t + 1, code="",
                                                 created_at=now) for t in range(submissions)])
        s.execute(insert(StudyImage), [dict(submission_id=t + 1, trojan=m, name="a.png", width=1, height=1,
                                            data=PNG) for t in range(submissions) for m in triggers])
        tokens = [new_api_token(s, s.get(User, 1000 + r), "bench") for r in range(raters)]
    pool = [f"distractor {i}" for i in range(20)]
    asked = make_questions({t + 1: (t + 1, list(triggers)) for t in range(submissions)}, triggers, pool, seed=1)
    checks = attention_questions(triggers, pool, 3, seed=1)
    plan = assign_raters({1000 + r: None for r in range(raters)}, asked, k, seed=1, attention=checks)
    state = StudyState(settings=StudySettings(challenge="trojans", triggers=triggers, pool=pool,
                                              raters_per_question=k), status="open",
                       questions=[{**q.__dict__, "candidates": list(q.candidates)} for q in asked + checks],
                       assignment={str(r): qs for r, qs in plan.items()})
    (data / "study.json").write_text(state.model_dump_json(), "utf-8")
    db.dispose()
    return tokens


def closed_loop(server: str, token: str, clients: int, seconds: float) -> dict:
    """Saturation: ``clients`` connections sharing one token, no think time (throughput, not a rater's wait)."""
    auth = f"Authorization: Bearer {token}\r\n"
    figures = {}
    for name, path, headers in [("static", "/static/style.css", ""), ("next", "/api/v1/study/next", auth)]:
        for n in (1, clients):
            lat, errors = raw_load(server, path, n, seconds, headers)
            figures[name, n] = percentile(lat, 0.95)
            print(f"closed {name:>6} {n:>3} client(s): {len(lat) / seconds:7.1f} req/s  "
                  f"p50 {percentile(lat, 0.5):7.2f} ms  p95 {figures[name, n]:7.2f} ms  errors {errors}")
    print(f"closed-loop ratio p95 next / static at {clients} clients: "
          f"{figures['next', clients] / figures['static', clients]:.2f}")
    return figures


def raters(server: str, data: Path, tokens: list[str], seconds: float, think: tuple[float, float],
           seed: int) -> bool:
    """Every rater with its own token, thinking between questions; True when the p95 target holds, nothing
    failed and the database holds exactly the answers acknowledged."""
    from interpctf.server import study_store
    from interpctf.server.db import Database

    tally = rater_load(server, tokens, seconds, think, seed)
    db = Database(f"sqlite:///{data / 'event.db'}")
    stored = study_store.answer_count(db)
    db.dispose()
    for name, lat in [("next", tally.next_ms), ("static", tally.static_ms), ("answer", tally.answer_ms)]:
        print(f"raters {name:>6}: {len(lat):5d} requests  p50 {percentile(lat, 0.5):7.2f} ms  "
              f"p95 {percentile(lat, 0.95):7.2f} ms  max {max(lat, default=float('nan')):7.2f} ms")
    p95 = percentile(tally.next_ms, 0.95)
    unique = len(set(tally.answered))
    print(f"raters: {len(tokens)} with their own tokens, think {think[0]:g}-{think[1]:g} s; answers acknowledged "
          f"{len(tally.answered)} ({unique} distinct), stored {stored}; errors {len(tally.errors)}"
          + (f" (first: {tally.errors[0]})" if tally.errors else ""))
    ok = p95 <= 50 and not tally.errors and stored == unique == len(tally.answered)
    print(f"raters ratio p95 next / static: {p95 / percentile(tally.static_ms, 0.95):.2f}  "
          f"(target p95 <= 50 ms, no errors, stored == acknowledged: {'PASS' if ok else 'FAIL'})")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--trojans", type=int, default=12)
    ap.add_argument("--raters", type=int, default=100)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--mode", choices=["raters", "closed", "both"], default="both")
    ap.add_argument("--clients", type=int, default=100, help="closed loop: connections")
    ap.add_argument("--seconds", type=float, default=10, help="closed loop: seconds per measurement")
    ap.add_argument("--rater-seconds", type=float, default=30)
    ap.add_argument("--think", type=float, nargs=2, default=(2.0, 6.0), metavar=("MIN", "MAX"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        tokens = populate(data, args.submissions, args.trojans, args.raters, args.k)
        proc, server = start_server(data)
        try:
            first = httpx.get(f"{server}/api/v1/study/next", headers={"Authorization": f"Bearer {tokens[0]}"})
            assert first.status_code == 200 and first.json()["question"], first.text
            print(f"queue of {first.json()['total']} questions; a question: {len(first.content)} bytes")
            if args.mode in ("raters", "both"):  # first, on a fresh server: every queue unanswered
                ok = raters(server, data, tokens, args.rater_seconds, tuple(args.think), args.seed)
            if args.mode in ("closed", "both"):
                closed_loop(server, tokens[-1], args.clients, args.seconds)
        finally:
            proc.terminate()
            proc.wait(15)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t0:.0f} s")
