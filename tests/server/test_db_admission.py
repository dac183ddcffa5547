"""More concurrent requests than the database pool holds, on a real uvicorn server: each request is admitted on the
event loop, so none waits for a connection inside a worker thread while the connections' holders wait for a
thread. Before, past the pool's size, requests stalled until the pool's 30 s timeout and then failed (seen at 100
concurrent raters)."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from server_support import event_spec, make_server, tiny_challenge


@pytest.fixture
def live_server(tmp_path, monkeypatch):
    """The app on a loopback port with a pool of 4 connections (and 40 worker threads): the stall then needs
    only 44 requests in flight at once."""
    from interpctf.server import db
    monkeypatch.setattr(db, "SQLITE_POOL", (4, 0))
    server = make_server(tmp_path, f"sqlite:///{tmp_path / 'event.db'}", event_spec(tiny_challenge()))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning",
                                       lifespan="off"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.05)
    yield server, f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(10)
    server.client.__exit__(None, None, None)


def test_many_more_concurrent_signed_in_requests_than_connections_all_succeed(live_server):
    server, url = live_server
    assert server.state.db.request_slots == 3
    reg = httpx.post(f"{url}/api/v1/register", json={"name": "ada", "password": "password123"})
    assert reg.status_code == 201, reg.text
    cookies = dict(reg.cookies)

    def ask(_):
        with httpx.Client(base_url=url, cookies=cookies, timeout=60) as client:
            return [client.get("/api/v1/me").status_code for _ in range(4)]

    with ThreadPoolExecutor(100) as pool:
        statuses = [s for batch in pool.map(ask, range(100)) for s in batch]
    assert statuses == [200] * 400
