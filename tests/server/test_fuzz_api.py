"""schemathesis over the served OpenAPI schema: every operation, valid and invalid requests, as a participant
and as an admin (API tokens), on SQLite and PostgreSQL. The property: no request makes the server answer 5xx.

The event is served by uvicorn on loopback (grading worker running), as ``interpctf serve`` serves it. The
default run sends a few examples per operation and mode; the ``slow`` run goes deeper.
"""

import itertools
import logging
import threading
import time
from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from server_support import BOTH_DBS, SECRET_ANSWER, WRONG_ANSWER, event_spec, free_port, now

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.generation import GenerationMode  # noqa: E402


class _Collect(logging.Handler):
    """The server's own record of unexpected errors (their tracebacks), for the failure message."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(self.format(record))


@pytest.fixture
def served(tmp_path, db_url, tiny):
    import uvicorn

    from interpctf.server.app import create_app
    from interpctf.server.config import Settings
    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.setup import create_event

    spec = event_spec(tiny, ends_at=(now() + timedelta(hours=2)).isoformat())
    data = tmp_path / "data"
    create_event(parse_event_spec(spec), tmp_path, data, db_url).dispose()
    app = create_app(Settings(data_dir=data, database_url=db_url, executor="inline", cache_seconds=0.0))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("interpctf").addHandler(handler)
    try:
        yield f"http://127.0.0.1:{port}", handler
    finally:
        logging.getLogger("interpctf").removeHandler(handler)
        server.should_exit = True
        thread.join(30)


def _token(url: str, name: str, password: str, participant: bool) -> str:
    """An API token for ``name``; a participant is registered, put in a team, and has graded submissions (so
    that ids in paths can hit real rows)."""
    with httpx.Client(base_url=url, timeout=60) as c:
        if participant:
            r = c.post("/api/v1/register", json={"name": name, "password": password})
            assert r.status_code == 201, r.text
            csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
            assert c.post("/api/v1/teams", json={"name": f"team-{name}"}, headers=csrf).status_code == 201
        r = c.post("/api/v1/tokens", json={"name": name, "password": password})
        assert r.status_code in (200, 201), r.text
        token = r.json()["token"]
        if participant:
            for answer in (WRONG_ANSWER, SECRET_ANSWER):
                r = c.post("/api/v1/challenges/tiny/submissions", files={"file": ("a.py", answer)},
                           headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 202, r.text
    return token


def _describe(case, response, records: list[str]) -> str:
    """One line per server error: the request, the innermost interpctf frame and the exception."""
    trace = "\n".join(records).splitlines()
    frames = [line.strip() for line in trace if line.strip().startswith("File") and "/interpctf/" in line]
    last = next((line for line in reversed(trace) if line and not line.startswith(" ")), "no traceback logged")
    return (f"{response.status_code} on {case.method} {response.request.url} body={str(case.body)[:120]!r}: "
            f"{frames[-1] if frames else ''} -> {last}")


def _fuzz(url: str, handler: _Collect, token: str, examples: int, coverage: int) -> tuple[int, int, list[str]]:
    """Run every operation with ``examples`` valid and ``examples`` invalid requests, then up to ``coverage`` of
    schemathesis's boundary cases; returns (operations, requests, failures) where a failure is a 5xx with its
    request and the server's traceback."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    operations, sent, failures = 0, [0], []

    def call(case) -> None:
        before = len(handler.records)
        response = case.call(base_url=url, headers=headers, timeout=60)
        sent[0] += 1
        if response.status_code >= 500:
            failures.append(_describe(case, response, handler.records[before:]))

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                           phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))(
                given(case=operation.as_strategy(generation_mode=mode))(call))
            try:
                run()
            except Exception as exc:  # schemathesis refusing to generate for an operation is not a server error
                if "Unsatisfiable" not in type(exc).__name__:
                    raise
        # schemathesis's coverage phase: boundary values (the largest integers, empty and overlong strings, ...)
        generation = schema.config.generation_for(operation=operation)
        cases = schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode),
                                           generation_config=generation)
        for case in itertools.islice(cases, coverage):
            call(case)
    return operations, sent[0], failures


def _campaign(served, examples: int, coverage: int) -> None:
    url, handler = served
    participant = _token(url, "fuzzer", "password123", participant=True)
    admin = _token(url, "admin", "admin-password", participant=False)
    report = []
    for role, token in (("participant", participant), ("admin", admin)):
        operations, sent, failures = _fuzz(url, handler, token, examples, coverage)
        report.append(f"{role}: {operations} operations, {sent} requests, {len(failures)} server errors")
        assert operations >= 40 and sent >= operations, report
        unique = sorted({f.split(" body=")[0].split("?")[0] + " -> " + f.rsplit(" -> ", 1)[-1] for f in failures})
        assert not failures, "\n".join(report + unique[:30] + failures[:5])
    print("; ".join(report))


@BOTH_DBS
def test_no_request_makes_the_server_fail(served):
    _campaign(served, examples=2, coverage=6)


@pytest.mark.slow
@BOTH_DBS
def test_no_request_makes_the_server_fail_deep(served):
    _campaign(served, examples=40, coverage=200)
