"""Fault campaign: submissions in flight from concurrent clients against `interpctf serve` (no in-process worker)
and separate `interpctf grading-worker` processes; `kill -9` of the server and the grading workers (with their
grading pools) twice during the run, restarted at once; on PostgreSQL also the database stopped the hard way and
restarted mid-run. Then every submission the server accepted (answered 2xx with an id) is looked up in the
database: graded exactly once (one stored grade, ``grade_count == 1``), none lost.

Also `interpctf event export` run during the load and imported into a fresh folder: once the imported copy has
graded what was still queued in the snapshot, its standings equal the source's standings over the same
submissions; and an export after the run imports to a board identical to the source's.

Scenarios: ``sqlite`` (one web process, one grading worker) and ``postgres`` (one web process and three grading
workers sharing the queue: the scale-out set-up, PostgreSQL restarted once).

    nice .venv/bin/python benchmarks/bench_faults.py [--submissions 2000 --clients 16 --scenario both]

The answers are wrong programs on a tiny labelfn challenge (a fast kind: ~5 ms to grade), so that no team ever
solves and every answer is accepted. Workers declare a dead peer after 3 s (INTERPCTF_WORKER_STALE_SECONDS) so
that the claims of a killed worker go back to the queue within the run. Clients retry on connection errors and
5xx (the API has no idempotency key: a request whose answer was lost may be stored without being acknowledged;
such rows are counted apart, and must be graded exactly once too).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "server"))
from _server_common import PostgresCluster, free_port, kill_group, start_server, start_worker  # noqa: E402

ANSWER = "def label(x, y):\n    return int((x * y) % 7 < 3)\n"
ENV = {"INTERPCTF_WRONG_PER_MINUTE": "1000000", "INTERPCTF_AUTH_PER_MINUTE": "100000",
       "INTERPCTF_WORKER_STALE_SECONDS": "3"}


def make_event(tmp: Path, url: str | None) -> Path:
    from tiny import tiny_challenge

    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.models import utcnow
    from interpctf.server.setup import create_event
    now = utcnow()
    spec = parse_event_spec({"title": "faults", "starts_at": (now - timedelta(hours=1)).isoformat(),
                             "ends_at": (now + timedelta(hours=2)).isoformat(), "mode": "team",
                             "challenges": [{"slug": "tiny", "forged": str(tiny_challenge()),
                                             "value": {"function": "linear", "initial": 500, "minimum": 100,
                                                       "decay": 10}}]})
    data = tmp / "data"
    create_event(spec, tmp, data, url or f"sqlite:///{data / 'event.db'}").dispose()
    return data


def accounts(url: str, n: int) -> list[str]:
    tokens = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for i in range(n):
            r = c.post("/api/v1/register", json={"name": f"client{i}", "password": "password123"})
            r.raise_for_status()
            c.post("/api/v1/teams", json={"name": f"team{i}"},
                   headers={"X-CSRF-Token": r.json()["csrf_token"]}).raise_for_status()
            c.cookies.clear()
            tokens.append(c.post("/api/v1/tokens", json={"name": f"client{i}", "password": "password123"})
                          .json()["token"])
    return tokens


class Load:
    """``clients`` threads submitting until ``total`` answers were accepted; retry on errors and 5xx."""

    def __init__(self, url: str, tokens: list[str], total: int):
        self.url, self.tokens, self.total = url, tokens, total
        self.accepted: list[int] = []
        self.retries = 0
        self.refused: dict[int, int] = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, args=(t,), daemon=True) for t in tokens]

    def start(self) -> "Load":
        for th in self.threads:
            th.start()
        return self

    def done(self) -> bool:
        return len(self.accepted) >= self.total

    def join(self) -> None:
        for th in self.threads:
            th.join()

    def _client(self, token: str) -> None:
        body = {"filename": "answer.py", "content": ANSWER}
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=self.url, timeout=10, headers=headers) as c:
            while True:
                with self.lock:
                    if len(self.accepted) >= self.total:
                        return
                try:
                    r = c.post("/api/v1/challenges/tiny/submissions/json", json=body)
                except httpx.HTTPError:
                    r = None
                if r is not None and r.status_code == 202:
                    with self.lock:
                        self.accepted.append(r.json()["id"])
                    continue
                with self.lock:
                    if r is None or r.status_code >= 500:
                        self.retries += 1
                    else:
                        self.refused[r.status_code] = self.refused.get(r.status_code, 0) + 1
                time.sleep(0.2)  # the server is down or restarting: back off, then send again


def _rows(url: str) -> dict[int, tuple[str, int]]:
    from sqlalchemy import select

    from interpctf.server.db import Database
    from interpctf.server.models import Submission
    db = Database(url)
    try:
        with db.read() as s:
            return {r.id: (r.status, r.grade_count) for r in s.execute(
                select(Submission.id, Submission.status, Submission.grade_count))}
    finally:
        db.dispose()


def _wait_drained(url: str, timeout: float, log=None) -> bool:
    deadline = time.monotonic() + timeout
    said = time.monotonic()
    while time.monotonic() < deadline:
        try:
            statuses = [st for st, _ in _rows(url).values()]
        except Exception:  # the database restarting
            statuses = ["unknown"]
        pending = sum(1 for st in statuses if st in ("queued", "grading", "unknown"))
        if not pending:
            return True
        if log and time.monotonic() - said > 10:
            said = time.monotonic()
            log(f"  waiting for grading: {pending} pending")
        time.sleep(0.5)
    return False


def standings(url: str, only: set[int] | None = None) -> list[tuple[int, int, int]]:
    """(pos, team, score) from the rules over graded submissions (those in ``only``, if given)."""
    from sqlalchemy import select

    from interpctf.rules import Attempt, EventRules, ValueRule, compute_standings
    from interpctf.server.db import Database
    from interpctf.server.models import Event, Submission
    from interpctf.server.scoreboard import gather
    db = Database(url)
    try:
        with db.read() as s:
            event = s.get(Event, 1)
            chals, _, awards, teams, _ = gather(s, event, False, None)
            rows = s.execute(select(Submission.id, Submission.team_id, Submission.challenge_id,
                                    Submission.public_score, Submission.public_solved, Submission.created_at)
                             .where(Submission.status == "graded")).all()
            rules = EventRules.model_validate(event.rules or {})
    finally:
        db.dispose()
    attempts = [Attempt(team=r.team_id, challenge=r.challenge_id, score=float(r.public_score or 0.0),
                        solved=bool(r.public_solved), at=r.created_at) for r in rows if only is None or r.id in only]
    values = {c.id: ValueRule.model_validate(c.value) for c in chals}
    return [(x.pos, x.team, x.score) for x in compute_standings([t.id for t in teams], values, attempts, awards,
                                                                rules)]


def board(url: str) -> dict:
    from interpctf.server.db import Database
    from interpctf.server.models import Event
    from interpctf.server.scoreboard import compute_board
    from interpctf.server.state import phase
    db = Database(url)
    try:
        with db.read() as s:
            event = s.get(Event, 1)
            return compute_board(s, event, phase(event), False)
    finally:
        db.dispose()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "interpctf.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ, **ENV))


def _export(out: Path, data: Path, url: str | None, counts: dict) -> None:
    r = cli("event", "export", str(out), "--data", str(data), *(["--db", url] if url else []))
    counts["export_during_load"] = r.returncode == 0 or r.stderr.strip()[-300:]


def run_campaign(tmp: Path, total: int, clients: int, kills: int, workers: int, pg: PostgresCluster | None,
                 export: bool = True, log=print) -> dict:
    """One campaign; returns its counts (and ``ok``: every check held)."""
    url = pg.new_database(f"faults_{os.getpid()}_{int(time.time() * 1000) % 10**8}") if pg else None
    data = make_event(tmp, url)
    db_url = url or f"sqlite:///{(data / 'event.db').resolve()}"
    port = free_port()
    server, web = start_server(data, ENV, port=port, db=url)
    pool = [start_worker(data, url, ENV) for _ in range(workers)]
    counts: dict = {"workers": workers, "kills": 0, "pg_restarts": 0}
    try:
        load = Load(web, accounts(web, clients), total).start()
        t0 = time.monotonic()
        marks = [(k + 1) / (kills + 1) for k in range(kills)]  # kill at even fractions of the run
        pg_mark = 0.45 if pg else None
        export_mark = 0.5 if export else None
        exporter = None
        exported = tmp / "export-live"
        while not load.done():
            done = len(load.accepted) / total
            if marks and done >= marks[0]:
                marks.pop(0)
                kill_group(server)
                for w in pool[:1]:  # one grading worker (with its pool) dies with the web process
                    kill_group(w)
                counts["kills"] += 1
                log(f"  kill -9 web + grading worker at {len(load.accepted)} accepted")
                pool[0] = start_worker(data, url, ENV)
                server, _ = start_server(data, ENV, port=port, db=url, wait=False)  # clients retry meanwhile
            if pg_mark is not None and done >= pg_mark:
                pg_mark = None
                log(f"  PostgreSQL stopped (immediate) and restarted at {len(load.accepted)} accepted")
                threading.Thread(target=pg.restart, args=(2.0,), daemon=True).start()  # the load goes on
                counts["pg_restarts"] += 1
            if export_mark is not None and done >= export_mark:
                export_mark = None
                log(f"  event export started during load at {len(load.accepted)} accepted")
                exporter = threading.Thread(target=_export, args=(exported, data, url, counts), daemon=True)
                exporter.start()
            time.sleep(0.05)
        load.join()
        if exporter is not None:
            exporter.join(300)
        elapsed = time.monotonic() - t0
        drained = _wait_drained(db_url, 120, log)
        rows = _rows(db_url)
    finally:
        kill_group(server, 15)
        for w in pool:
            kill_group(w, 15)
    accepted = set(load.accepted)
    counts.update(accepted=len(load.accepted), accepted_unique=len(accepted), stored=len(rows),
                  seconds=round(elapsed, 1), rate=round(len(load.accepted) / elapsed, 1), retries=load.retries,
                  refused=load.refused, drained=drained)
    counts["lost"] = len(accepted - set(rows))
    counts["graded_once"] = sum(1 for i in accepted if rows.get(i) == ("graded", 1))
    counts["not_exactly_once"] = sorted(i for i in accepted if i in rows and rows[i] != ("graded", 1))[:10]
    extra = set(rows) - accepted  # stored, but the answer never reached the client
    counts["unacknowledged_stored"] = len(extra)
    counts["unacknowledged_graded_once"] = sum(1 for i in extra if rows[i] == ("graded", 1))
    ok = (drained and counts["lost"] == 0 and counts["graded_once"] == len(accepted) == len(load.accepted)
          and counts["unacknowledged_graded_once"] == len(extra))
    if export and counts.get("export_during_load") is True:
        ok &= _check_export(tmp, data, db_url, url, exported, counts, log)
    counts["ok"] = bool(ok)
    return counts


def _check_export(tmp: Path, data: Path, db_url: str, url: str | None, exported: Path, counts: dict, log) -> bool:
    snapshot = json.loads((exported / "event.json").read_text())["tables"]["submissions"]
    ids = {row["id"] for row in snapshot}
    live = tmp / "import-live"
    r = cli("event", "import", str(exported), "--data", str(live))
    if r.returncode != 0:
        counts["import_live"] = r.stderr.strip()[-300:]
        return False
    live_url = f"sqlite:///{(live / 'event.db').resolve()}"
    worker = start_worker(live, None, ENV)  # grades what the snapshot still had queued (or claimed)
    try:
        drained = _wait_drained(live_url, 180)
    finally:
        kill_group(worker, 15)
    same = standings(live_url) == standings(db_url, only=ids)
    counts["export_live"] = {"submissions": len(ids), "pending_in_snapshot":
                             sum(1 for row in snapshot if row["status"] in ("queued", "grading")),
                             "drained": drained, "standings_identical": same}
    final = tmp / "export-final"
    r1 = cli("event", "export", str(final), "--data", str(data), *(["--db", url] if url else []))
    r2 = cli("event", "import", str(final), "--data", str(tmp / "import-final"))
    final_url = f"sqlite:///{(tmp / 'import-final' / 'event.db').resolve()}"
    identical = r1.returncode == 0 and r2.returncode == 0 and board(final_url) == board(db_url)
    counts["export_final_board_identical"] = identical
    log(f"  export during load: {len(ids)} submissions in the snapshot; after grading the import, standings "
        f"identical to the source's over them: {same}; final export/import board identical: {identical}")
    return drained and same and identical


def main() -> None:
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a timeout still stops our servers and database
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--kills", type=int, default=2)
    ap.add_argument("--scenario", choices=["sqlite", "postgres", "both"], default="both")
    args = ap.parse_args()
    results = {}
    scenarios = ["sqlite", "postgres"] if args.scenario == "both" else [args.scenario]
    for name in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            pg = PostgresCluster() if name == "postgres" else None
            try:
                print(f"{name}: {args.submissions} submissions, {args.clients} clients, "
                      f"{3 if pg else 1} grading worker(s), {args.kills} kills")
                results[name] = run_campaign(Path(tmp), args.submissions, args.clients, args.kills,
                                             3 if pg else 1, pg)
            finally:
                if pg:
                    pg.close()
        c = results[name]
        print(f"  accepted {c['accepted']} ({c['rate']}/s over {c['seconds']} s, {c['retries']} retried requests, "
              f"refused {c['refused']}); stored {c['stored']}; lost {c['lost']}; graded exactly once "
              f"{c['graded_once']}/{c['accepted_unique']}; not exactly once {c['not_exactly_once']}")
        print(f"  stored without acknowledgement (the answer was lost in a kill): {c['unacknowledged_stored']}, "
              f"graded exactly once {c['unacknowledged_graded_once']}")
        print(f"  {name}: {'PASS' if c['ok'] else 'FAIL'}  {json.dumps(c)}")
    sys.exit(0 if all(c["ok"] for c in results.values()) else 1)


if __name__ == "__main__":
    main()
