"""Shared helpers for the server benchmarks: a served event in a subprocess, latency statistics."""

import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir, env_extra: dict | None = None, worker: bool = False, port: int | None = None,
                 db: str | None = None, wait: bool = True) -> tuple[subprocess.Popen, str]:
    """``interpctf serve`` in its own process group (so that ``kill_group`` takes its grading pool too); returns
    once ``/healthz`` answers (at once with ``wait=False``)."""
    port = port or free_port()
    env = dict(os.environ, **(env_extra or {}))
    args = [sys.executable, "-m", "interpctf.cli", "serve", "--data", str(data_dir), "--port", str(port)]
    if db:
        args += ["--db", db]
    if not worker:
        args.append("--no-worker")
    # The log goes to a file: a pipe nobody reads fills up and blocks the server in its next log line.
    log = tempfile.NamedTemporaryFile(prefix="ictf-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    proc.log_path = log.name
    url = f"http://127.0.0.1:{port}"
    if not wait:
        return proc, url
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start: {open(log.name).read()[-2000:]}")
        time.sleep(0.2)


def start_worker(data_dir, db: str | None = None, env_extra: dict | None = None,
                 grading_workers: int = 2) -> subprocess.Popen:
    """``interpctf grading-worker`` in its own process group."""
    args = [sys.executable, "-m", "interpctf.cli", "grading-worker", "--data", str(data_dir),
            "--grading-workers", str(grading_workers)]
    if db:
        args += ["--db", db]
    return subprocess.Popen(args, env=dict(os.environ, **(env_extra or {})), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def kill_group(proc: subprocess.Popen, sig: int = 9) -> None:
    """``kill -9`` a process and everything it started (its grading pool)."""
    try:
        os.killpg(proc.pid, sig)
        proc.wait(15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:  # a graceful stop that hangs: stop it the hard way
        os.killpg(proc.pid, 9)
        proc.wait(15)
    if getattr(proc, "log_path", None) and sig != 9:  # a final stop: the server's log is no longer needed
        os.unlink(proc.log_path)


class PostgresCluster:
    """A throwaway PostgreSQL cluster from Debian's packages on loopback (as the tests start one); ``restart``
    stops it the hard way (``-m immediate``: no shutdown checkpoint, like a crash) and starts it again."""

    BIN = "/usr/lib/postgresql/15/bin"

    def __init__(self):
        import tempfile
        if not os.path.exists(f"{self.BIN}/initdb"):
            raise SystemExit(f"PostgreSQL server binaries not found in {self.BIN} (apt-get install postgresql)")
        self.root = tempfile.mkdtemp(prefix="ictf-pg-")  # in /tmp: the postgres user must reach it
        os.chmod(self.root, 0o777)
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(self.as_user + [f"{self.BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                                       "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        self.start()

    def start(self) -> None:
        subprocess.run(self.as_user + [f"{self.BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "log"),
                                       "-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.root} -F "
                                       "-c max_connections=300", "start"], check=True, capture_output=True)

    def stop(self, mode: str = "immediate") -> None:
        subprocess.run(self.as_user + [f"{self.BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"],
                       capture_output=True)

    def restart(self, down_seconds: float = 2.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def new_database(self, name: str) -> str:
        subprocess.run(self.as_user + ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                                       f"CREATE DATABASE {name}"], check=True, capture_output=True)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        import shutil
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return values[k]


def rss_mb(pid: int) -> float:
    try:
        import psutil
        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    return float("nan")


async def exchange(reader, writer, request: bytes) -> tuple[int, bytes, float]:
    """One HTTP/1.1 request on a keep-alive connection: (status, body, milliseconds)."""
    t = time.perf_counter()
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    return int(head.split(b" ", 2)[1]), body, (time.perf_counter() - t) * 1000


async def _raw_client(host: str, port: int, path: str, stop: float, out: list, headers: str) -> int:
    """One keep-alive HTTP/1.1 connection issuing GETs back to back; returns the count of non-200 answers."""
    import asyncio
    reader, writer = await asyncio.open_connection(host, port)
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n").encode()
    bad = 0
    loop = asyncio.get_running_loop()
    while loop.time() < stop:
        status, _, ms = await exchange(reader, writer, request)
        out.append(ms)
        bad += status != 200
    writer.close()
    return bad


def raw_load(url: str, path: str, clients: int, seconds: float, headers: str = "Accept-Encoding: gzip\r\n"):
    """Closed-loop load with ``clients`` connections from one asyncio loop (little client CPU, so the figures
    measure the server rather than the load generator). Returns (latencies in ms, errors)."""
    import asyncio
    from urllib.parse import urlparse
    u = urlparse(url)

    async def run():
        out: list[float] = []
        stop = asyncio.get_running_loop().time() + seconds
        bad = await asyncio.gather(*[_raw_client(u.hostname, u.port, path, stop, out, headers)
                                     for _ in range(clients)])
        return out, sum(bad)

    return asyncio.run(run())
