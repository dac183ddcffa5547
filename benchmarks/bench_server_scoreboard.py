"""Scoreboard JSON at 1,000 teams x 50 challenges x 20,000 solves on SQLite, served by `interpctf serve` in its
own process, loaded from this process over loopback. Prints p50/p95 and req/s for 1 and N concurrent clients,
and the ratio of the cached p95 to the uncached board computation measured in the same run. The load generator
is one asyncio loop with N keep-alive connections sending `Accept-Encoding: gzip` (as browsers do), so that it
spends little CPU of the two cores it shares with the server.

    .venv/bin/python benchmarks/bench_server_scoreboard.py [--teams 1000 --challenges 50 --solves 20000]

Reference (docs/design.md, CTFd 3.8.7 on a 2-core machine): 55 req/s at 16 clients with p95 913 ms; 435 ms uncached.
"""

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _server_common import percentile, raw_load, rss_mb, start_server  # noqa: E402


def populate(data_dir: Path, teams: int, challenges: int, solves: int, seed: int = 0) -> str:
    from sqlalchemy import insert

    from interpctf.server.auth import hash_password
    from interpctf.server.db import Database, migrate
    from interpctf.server.models import Challenge, Event, Submission, Team, User, Variant, utcnow

    url = f"sqlite:///{data_dir / 'event.db'}"
    migrate(url)
    db = Database(url)
    rng = random.Random(seed)
    now = utcnow()
    start = now - timedelta(hours=24)
    pw = hash_password("password123")
    with db.write() as s:
        s.execute(insert(Event), [dict(id=1, title="Benchmark CTF", description="", starts_at=start,
                                       ends_at=now + timedelta(hours=24), freeze_at=None, mode="team", team_size=4,
                                       rules={"partial_credit": True, "first_blood": [30, 20, 10]},
                                       revealed_at=None, board_version=1)])
        s.execute(insert(Challenge), [dict(id=c + 1, slug=f"c{c}", title=f"Challenge {c}", kind="labelfn",
                                           category="", statement="", answer_help="", max_attempts=0, position=c,
                                           hidden=False, value={"function": "linear", "initial": 500,
                                                                "minimum": 100, "decay": 10})
                                      for c in range(challenges)])
        s.execute(insert(Variant), [dict(challenge_id=c + 1, number=0, bundle_path="x", key_path="x",
                                         commitment="0" * 64, revealed=False, reveal_problems="")
                                    for c in range(challenges)])
        s.execute(insert(Team), [dict(id=t + 1, name=f"team-{t:04d}", invite_code=f"code{t}", solo=False,
                                      hidden=False, created_at=start) for t in range(teams)])
        s.execute(insert(User), [dict(id=t + 1, name=f"user-{t:04d}", password_hash=pw, role="participant",
                                      account_type="agent" if t % 5 == 0 else "human", team_id=t + 1,
                                      created_at=start) for t in range(teams)])
        pairs = set()
        while len(pairs) < solves:
            pairs.add((rng.randrange(teams) + 1, rng.randrange(challenges) + 1))
        rows = []
        for i, (team, chal) in enumerate(sorted(pairs, key=lambda p: rng.random())):
            at = start + timedelta(seconds=i * 4)
            rows.append(dict(challenge_id=chal, user_id=team, team_id=team, variant=0, filename="a.py", data=b"x",
                             status="graded", created_at=at, graded_at=at, grade_count=1, score=1.0, solved=True,
                             public_score=1.0, public_solved=True, details={}))
        for i in range(0, len(rows), 5000):
            s.execute(insert(Submission), rows[i:i + 5000])
    db.dispose()
    return url


def uncached_ms(url: str, repeats: int = 5) -> float:
    from interpctf.server.db import Database
    from interpctf.server.models import Event
    from interpctf.server.scoreboard import compute_board
    from interpctf.server.state import phase
    import json
    db = Database(url)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        with db.read() as s:
            event = s.get(Event, 1)
            board = compute_board(s, event, phase(event), False)
            json.dumps(board)
        times.append((time.perf_counter() - t) * 1000)
    db.dispose()
    return statistics.median(times)


def load(url: str, clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run():
        with httpx.Client(base_url=url, timeout=30) as client:
            mine = []
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = client.get("/api/v1/scoreboard")
                mine.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    errors[0] += 1
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, errors[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teams", type=int, default=1000)
    ap.add_argument("--challenges", type=int, default=50)
    ap.add_argument("--solves", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        t = time.perf_counter()
        url = populate(data, args.teams, args.challenges, args.solves)
        print(f"populated {args.teams} teams x {args.challenges} challenges x {args.solves} solves "
              f"in {time.perf_counter() - t:.1f}s")
        base_ms = uncached_ms(url)
        proc, server = start_server(data)
        try:
            first = httpx.get(f"{server}/api/v1/scoreboard", timeout=60)
            board = first.json()
            assert len(board["standings"]) == args.teams, len(board["standings"])
            print(f"board: {len(first.content) / 1024:.0f} KiB, leader {board['standings'][0]['team']} "
                  f"{board['standings'][0]['score']}")
            results = {}
            for clients in (1, args.clients):
                lat, errors = raw_load(server, "/api/v1/scoreboard", clients, args.seconds)
                rps = len(lat) / args.seconds
                results[clients] = (percentile(lat, 0.5), percentile(lat, 0.95), rps, errors)
                print(f"{clients:>3} client(s): {rps:7.1f} req/s  p50 {results[clients][0]:7.2f} ms  "
                      f"p95 {results[clients][1]:7.2f} ms  errors {errors}")
            rss = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(15)
    p95 = results[args.clients][1]
    print(f"uncached board computation (query + rules + JSON), median of 5: {base_ms:.1f} ms")
    print(f"ratio p95 under {args.clients}-client load / uncached: {p95 / base_ms:.3f}  "
          f"(target p95 <= 50 ms: {'PASS' if p95 <= 50 else 'FAIL'})")
    print(f"server RSS after load: {rss:.0f} MB")


if __name__ == "__main__":
    main()
