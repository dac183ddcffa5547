"""Submission intake: answers accepted per second by `interpctf serve` (its own process, SQLite, grading worker
off so that intake alone is measured), from concurrent clients on loopback; then every accepted submission is
counted in the database (zero lost) and the server's RSS is read.

    .venv/bin/python benchmarks/bench_server_intake.py [--seconds 15 --clients 16 --accounts 32]

The per-account limit (10 per minute by default) is raised for the run (INTERPCTF_WRONG_PER_MINUTE) so that a
few accounts can load the server; each answer is a real labelfn program validated by the kind at intake.
Reference (docs/design.md): CTFd 3.8.7 accepts wrong answers at 26.7/s with 16 clients; worker RSS 130 MB.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "server"))
from _server_common import percentile, rss_mb, start_server  # noqa: E402

ANSWER = "def label(x, y):\n    return int((x * y) % 7 < 3)\n"


def make_event(tmp: Path) -> Path:
    from tiny import tiny_challenge

    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.models import utcnow
    from interpctf.server.setup import create_event
    now = utcnow()
    spec = parse_event_spec({"title": "intake", "starts_at": (now - timedelta(hours=1)).isoformat(),
                             "ends_at": (now + timedelta(hours=1)).isoformat(),
                             "challenges": [{"slug": "tiny", "forged": str(tiny_challenge())}]})
    data = tmp / "data"
    create_event(spec, tmp, data, f"sqlite:///{data / 'event.db'}").dispose()
    return data


async def client(host, port, token, stop, latencies, codes):
    reader, writer = await asyncio.open_connection(host, port)
    body = json.dumps({"filename": "answer.py", "content": ANSWER}).encode()
    head = (f"POST /api/v1/challenges/tiny/submissions/json HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    while loop.time() < stop:
        t = time.perf_counter()
        writer.write(head + body)
        response = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":", 1)[1] for line in response.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - t) * 1000)
        status = int(response.split(b" ", 2)[1])
        codes[status] = codes.get(status, 0) + 1
    writer.close()


def main() -> None:
    import httpx
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--accounts", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = make_event(Path(tmp))
        proc, url = start_server(data, {"INTERPCTF_WRONG_PER_MINUTE": "1000000", "INTERPCTF_AUTH_PER_MINUTE": "1000"})
        try:
            tokens = []
            for i in range(args.accounts):
                r = httpx.post(f"{url}/api/v1/register", json={"name": f"bench{i}", "password": "password123"})
                csrf = r.json()["csrf_token"]
                httpx.post(f"{url}/api/v1/teams", json={"name": f"team{i}"}, cookies=r.cookies,
                           headers={"X-CSRF-Token": csrf}).raise_for_status()
                tokens.append(httpx.post(f"{url}/api/v1/tokens", json={"name": f"bench{i}",
                                                                       "password": "password123"}).json()["token"])
            rss_before = rss_mb(proc.pid)
            latencies: list[float] = []
            codes: dict[int, int] = {}
            port = int(url.rsplit(":", 1)[1])

            async def run():
                stop = asyncio.get_running_loop().time() + args.seconds
                await asyncio.gather(*[client("127.0.0.1", port, tokens[i % len(tokens)], stop, latencies, codes)
                                       for i in range(args.clients)])

            t = time.perf_counter()
            asyncio.run(run())
            elapsed = time.perf_counter() - t
            rss_after = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(15)
        from sqlalchemy import func, select

        from interpctf.server.db import Database
        from interpctf.server.models import Submission
        db = Database(f"sqlite:///{data / 'event.db'}")
        with db.read() as s:
            stored = s.scalar(select(func.count(Submission.id)))
            queued = s.scalar(select(func.count(Submission.id)).where(Submission.status == "queued"))
        db.dispose()
    accepted = codes.get(202, 0)
    rate = accepted / elapsed
    print(f"{args.clients} clients, {args.accounts} accounts, {elapsed:.1f}s: {accepted} accepted "
          f"({rate:.1f}/s), other statuses {dict((k, v) for k, v in codes.items() if k != 202)}")
    print(f"latency p50 {percentile(latencies, 0.5):.1f} ms  p95 {percentile(latencies, 0.95):.1f} ms")
    print(f"stored after the run: {stored} (queued {queued}); lost: {accepted - stored}")
    print(f"server RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after (target <= 300 MB)")
    print(f"ratio to CTFd's 26.7 accepted/s: {rate / 26.7:.1f}x  (target >= 200/s: "
          f"{'PASS' if rate >= 200 and stored == accepted and rss_after <= 300 else 'FAIL'})")


if __name__ == "__main__":
    main()
