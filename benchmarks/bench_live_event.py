"""A live event: 16 clients read the scoreboard while answers are offered at 200/s and graded, on a board of
1,000 teams x 50 challenges x 20,000 solves (SQLite, `interpctf serve --no-worker` and one
`interpctf grading-worker` with 2 grading processes; a fast kind: a tiny labelfn challenge).

Mechanism under test (``interpctf.server.scoreboard.BoardRefresher`` over
``interpctf.server.live_board.LiveStandings``): the web process keeps every graded attempt in memory, reads only
the grades stored since its last refresh (every ``board_poll_seconds``), and recomputes the standings from the
whole table with numpy (a few ms, against ~0.2-0.5 s for the from-scratch rules here); requests are served the
last complete board from memory, while it reflects every grade stored more than ``board_lag_seconds`` ago.

Printed, all from the same run: the idle board's p95 (no submissions), the live board's p95 and their ratio;
answers offered (sent) and accepted per second against the target rate, and graded per second; the staleness of
every grade made during the run, as (time a board reader first saw the grade) - (the grade's stored time,
``graded_at``); the machine's load average (1 min) sampled through the live phase; and the CPU seconds each
part used in the live phase (web process, grading worker with its pool and sandboxes, this load generator),
so that what limits the rates can be read off. Every answer is the right one for a team and challenge not yet
solved, so each grade adds exactly one solve to the board's solve counts: the k-th grade is in the board once the
total solve count reaches (solves before the run) + k.

The submitters are open loop: each of ``--submit-connections`` keep-alive connections sends its share at a fixed
pace, waiting for each answer; 64 connections keep 200/s offered while the server answers within 320 ms.

    nice .venv/bin/python benchmarks/bench_live_event.py [--seconds 20 --rate 200 --clients 16]

Targets (issue 12): live p95 <= 50 ms; staleness never over 2 s.
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "server"))
from _server_common import kill_group, percentile, raw_load, start_server, start_worker  # noqa: E402

ENV = {"INTERPCTF_WRONG_PER_MINUTE": "1000000", "INTERPCTF_GRADING_WORKERS": "2"}


def populate(tmp: Path, teams: int, challenges: int, solves: int, submitters: int, seed: int = 0):
    """A real event (the tiny challenge's files) widened to ``challenges`` challenges and ``teams`` teams with
    ``solves`` graded solves; returns (data folder, tokens of the first ``submitters`` teams, free pairs)."""
    from sqlalchemy import insert, select, update

    from tiny import tiny_challenge

    from interpctf.server.auth import TOKEN_PREFIX, digest
    from interpctf.server.db import Database
    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.models import ApiToken, Challenge, Event, Submission, Team, User, Variant, utcnow
    from interpctf.server.setup import create_event

    now = utcnow()
    start = now - timedelta(hours=24)
    data = tmp / "data"
    url = f"sqlite:///{data / 'event.db'}"
    spec = parse_event_spec({"title": "Live", "starts_at": start.isoformat(),
                             "ends_at": (now + timedelta(hours=24)).isoformat(), "mode": "team", "team_size": 4,
                             "rules": {"partial_credit": True, "first_blood": [30, 20, 10]},
                             "challenges": [{"slug": "c0", "forged": str(tiny_challenge()),
                                             "value": {"function": "linear", "initial": 500, "minimum": 100,
                                                       "decay": 10}}]})
    create_event(spec, tmp, data, url).dispose()
    db = Database(url)
    rng = random.Random(seed)
    tokens = []
    with db.write() as s:
        base = s.scalar(select(Challenge).where(Challenge.slug == "c0"))
        variants = list(s.scalars(select(Variant).where(Variant.challenge_id == base.id)))
        for c in range(1, challenges):
            chal = Challenge(slug=f"c{c}", title=f"Challenge {c}", kind=base.kind, category="", statement="",
                             answer_help="", max_attempts=0, position=c, hidden=False, value=base.value)
            s.add(chal)
            s.flush()
            for v in variants:
                s.add(Variant(challenge_id=chal.id, number=v.number, bundle_path=v.bundle_path,
                              key_path=v.key_path, commitment=v.commitment, revealed=False, reveal_problems=""))
        s.flush()
        chal_ids = list(s.scalars(select(Challenge.id).order_by(Challenge.position)))
        s.execute(insert(Team), [dict(id=t + 1, name=f"team-{t:04d}", invite_code=f"code{t}", solo=False,
                                      hidden=False, created_at=start) for t in range(teams)])
        s.execute(insert(User), [dict(name=f"user-{t:04d}", password_hash="x", role="participant",
                                      account_type="human", team_id=t + 1, created_at=start) for t in range(teams)])
        users = dict(s.execute(select(User.team_id, User.id).where(User.team_id.is_not(None))).all())
        for t in range(1, submitters + 1):
            token = TOKEN_PREFIX + secrets.token_urlsafe(24)
            s.add(ApiToken(token_hash=digest(token), user_id=users[t], label="bench"))
            tokens.append((t, token))
        pairs = set()
        while len(pairs) < solves:
            pairs.add((rng.randrange(teams) + 1, rng.choice(chal_ids)))
        rows = []
        for i, (team, chal) in enumerate(sorted(pairs, key=lambda p: rng.random())):
            at = start + timedelta(seconds=i * 4)
            rows.append(dict(challenge_id=chal, user_id=users[team], team_id=team, variant=0, filename="a.py",
                             data=b"x", status="graded", created_at=at, graded_at=at, grade_count=1, score=1.0,
                             solved=True, public_score=1.0, public_solved=True, details={}))
        for i in range(0, len(rows), 5000):
            s.execute(insert(Submission), rows[i:i + 5000])
        s.execute(update(Event).values(board_version=Event.board_version + 1))
        slugs = dict(s.execute(select(Challenge.id, Challenge.slug)).all())
    db.dispose()
    free = [(t, token, slugs[c]) for t, token in tokens for c in chal_ids if (t, c) not in pairs]
    rng.shuffle(free)
    return data, free


async def _submitter(host, port, jobs, rate_per_conn, stop, out):
    """One keep-alive connection sending its share of the answers at a fixed pace (open loop)."""
    from tiny import SECRET_ANSWER
    reader, writer = await asyncio.open_connection(host, port)
    loop = asyncio.get_running_loop()
    due = loop.time()
    for team, token, slug in jobs:
        if loop.time() >= stop:
            break
        due += 1 / rate_per_conn
        await asyncio.sleep(max(0.0, due - loop.time()))
        body = json.dumps({"filename": "answer.py", "content": SECRET_ANSWER.decode()}).encode()
        writer.write((f"POST /api/v1/challenges/{slug}/submissions/json HTTP/1.1\r\nHost: {host}\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        await reader.readexactly(length)
        out.append(int(head.split(b" ", 2)[1]))
    writer.close()


async def _monitor(url, finished, seen):
    """Reads the board every 20 ms until ``finished``: (wall time, total solve count)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        while not finished.is_set():
            board = (await c.get("/api/v1/scoreboard")).json()
            seen.append((time.time(), sum(ch["solves"] for ch in board["challenges"])))
            await asyncio.sleep(0.02)


async def _loads(loop, stop, out):
    while loop.time() < stop:
        out.append(os.getloadavg()[0])
        await asyncio.sleep(1.0)


def _pending(data: Path) -> int:
    from sqlalchemy import func, select

    from interpctf.server.db import Database
    from interpctf.server.models import Submission
    db = Database(f"sqlite:///{data / 'event.db'}")
    with db.read() as s:
        n = s.scalar(select(func.count(Submission.id)).where(Submission.status.in_(("queued", "grading"))))
    db.dispose()
    return n


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time of a process tree (its children reaped so far included)."""
    total = 0.0
    for p in _tree(pid):
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def live(url, data, free, seconds, rate, conns, clients, loads):
    from urllib.parse import urlparse
    u = urlparse(url)
    statuses: list[int] = []
    seen: list[tuple[float, int]] = []
    readers: dict = {}

    async def run():
        loop = asyncio.get_running_loop()
        stop = loop.time() + seconds
        share = [free[i::conns] for i in range(conns)]
        board_task = loop.run_in_executor(None, lambda: readers.update(
            zip(("lat", "errors"), raw_load(url, "/api/v1/scoreboard", clients, seconds))))
        finished = asyncio.Event()
        monitor = asyncio.ensure_future(_monitor(url, finished, seen))
        sampler = asyncio.ensure_future(_loads(loop, stop, loads))
        await asyncio.gather(*[_submitter(u.hostname, u.port, share[i], rate / conns, stop, statuses)
                               for i in range(conns)], board_task, sampler)
        # Keep watching until every answer is graded, and 3 s more (past the lag bound), so that each grade's
        # first appearance on the board is seen.
        deadline = loop.time() + 120
        while loop.time() < deadline and await loop.run_in_executor(None, _pending, data):
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)
        finished.set()
        await monitor

    t0 = time.time()
    asyncio.run(run())
    return t0, statuses, seen, readers["lat"], readers["errors"]


def grades_since(data: Path, t0: float) -> list[float]:
    """Stored times (epoch seconds) of the solves graded after ``t0``, in order."""
    from sqlalchemy import select

    from interpctf.server.db import Database
    from interpctf.server.models import Submission
    db = Database(f"sqlite:///{data / 'event.db'}")
    with db.read() as s:
        times = [r[0].replace(tzinfo=timezone.utc).timestamp() for r in s.execute(
            select(Submission.graded_at).where(Submission.status == "graded", Submission.public_solved.is_(True),
                                               Submission.data != b"x"))]
    db.dispose()
    return sorted(t for t in times if t >= t0 - 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teams", type=int, default=1000)
    ap.add_argument("--challenges", type=int, default=50)
    ap.add_argument("--solves", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--submit-connections", type=int, default=64)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        submitters = min(args.teams, int(args.rate * args.seconds * 1.5 / args.challenges) + 16)
        data, free = populate(Path(tmp), args.teams, args.challenges, args.solves, submitters)
        print(f"populated {args.teams} teams x {args.challenges} challenges x {args.solves} solves in "
              f"{time.perf_counter() - t:.1f}s; {len(free)} unsolved pairs for {submitters} submitting teams")
        proc, url = start_server(data, ENV)  # web process; grading in its own process, as docs/deploy.md advises
        worker = start_worker(data, None, ENV)
        try:
            base_solves = sum(ch["solves"] for ch in httpx.get(f"{url}/api/v1/scoreboard", timeout=60)
                              .json()["challenges"])
            idle, idle_errors = raw_load(url, "/api/v1/scoreboard", args.clients, args.seconds / 2)
            loads: list[float] = []
            cpu0 = (cpu_seconds(proc.pid), cpu_seconds(worker.pid), time.process_time())
            t0, statuses, seen, lat, errors = live(url, data, free, args.seconds, args.rate,
                                                   args.submit_connections, args.clients, loads)
            cpu1 = (cpu_seconds(proc.pid), cpu_seconds(worker.pid), time.process_time())
            stored = grades_since(data, t0)
        finally:
            kill_group(proc, 15)
            kill_group(worker, 15)
    accepted = statuses.count(202)
    idle_p95, live_p95 = percentile(idle, 0.95), percentile(lat, 0.95)
    stale = []
    for k, graded_at in enumerate(stored, start=1):
        first = next((when for when, total in seen if total >= base_solves + k), None)
        stale.append(float("inf") if first is None else max(0.0, first - graded_at))
    print(f"idle board: {len(idle) / (args.seconds / 2):.0f} req/s, p50 {percentile(idle, 0.5):.2f} ms, "
          f"p95 {idle_p95:.2f} ms, errors {idle_errors}")
    print(f"live board: {len(lat) / args.seconds:.0f} req/s, p50 {percentile(lat, 0.5):.2f} ms, "
          f"p95 {live_p95:.2f} ms, errors {errors}; ratio live/idle p95 {live_p95 / idle_p95:.2f}")
    sent = len(statuses)
    print(f"answers: offered {args.rate:.0f}/s, sent {sent / args.seconds:.0f}/s, accepted {accepted / args.seconds:.0f}/s "
          f"({accepted}), other statuses {sorted((s, statuses.count(s)) for s in set(statuses) if s != 202)}; "
          f"graded {sum(at <= t0 + args.seconds for at in stored) / args.seconds:.0f}/s in the window "
          f"({len(stored)} in all, the queue drained {max(stored, default=t0) - t0 - args.seconds:.1f} s after it)")
    web, grading, bench = (b - a for a, b in zip(cpu0, cpu1))
    print(f"CPU seconds over the live phase and its drain (2 cores = 2 s/s): web {web:.1f} "
          f"({1000 * web / max(accepted, 1):.1f} ms per answer incl. the readers), grading worker tree {grading:.1f} "
          f"({1000 * grading / max(len(stored), 1):.1f} ms per grade), load generator {bench:.1f}")
    if loads:
        print(f"load average (1 min) during the live phase: min {min(loads):.2f}, mean {sum(loads) / len(loads):.2f}, "
              f"max {max(loads):.2f} ({len(loads)} samples); at the end {os.getloadavg()}")
    if seen:
        print(f"board solve count: {base_solves} before the run, {seen[0][1]} at the first live read, "
              f"{seen[-1][1]} at the last ({len(seen)} reads by the monitor)")
    if stale:
        print(f"staleness (board first shows a grade - grade stored): p50 {percentile(stale, 0.5):.2f} s, "
              f"p95 {percentile(stale, 0.95):.2f} s, max {max(stale):.2f} s over {len(stale)} grades")
        during = [x for x, at in zip(stale, stored) if at <= t0 + args.seconds]
        if during and len(during) < len(stale):  # the rest were graded while the queue drained, readers gone
            print(f"  of which graded during the live window (readers and intake running): p50 "
                  f"{percentile(during, 0.5):.2f} s, p95 {percentile(during, 0.95):.2f} s, max {max(during):.2f} s "
                  f"over {len(during)} grades")
    ok = live_p95 <= 50 and stale and max(stale) <= 2.0
    print(f"targets: live p95 <= 50 ms and staleness <= 2 s: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
