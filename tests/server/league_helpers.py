"""A league event for tests: one round open for proposals, three teams, and the tiny challenge as an upload."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from server_support import now
from interpctf.bundle import pack
from interpctf.server.models import LeagueRound


def league_spec(rounds: int = 1) -> dict:
    t = now()
    return {"mode": "league", "challenges": [], "title": "Test league",
            "starts_at": (t - timedelta(hours=1)).isoformat(), "ends_at": (t + timedelta(hours=12)).isoformat(),
            "league": {"rounds": [{"propose_from": (t - timedelta(minutes=30 - 200 * i)).isoformat(),
                                   "propose_until": (t + timedelta(minutes=60 + 200 * i)).isoformat(),
                                   "solve_until": (t + timedelta(minutes=120 + 200 * i)).isoformat()}
                                  for i in range(rounds)]}}


def set_round(server, number: int, stage: str) -> None:
    """Move a round's windows so that it is ``proposing``, ``solving`` or ``closed`` now. Closing ends the solve
    window exactly now, never earlier: every answer accepted before this call was made inside the window."""
    t = now()
    shifts = {"proposing": (-30, 60, 120), "solving": (-60, -1, 60), "closed": (-90, -60, 0)}[stage]
    with server.state.db.write() as s:
        s.execute(update(LeagueRound).where(LeagueRound.number == number).values(
            propose_from=t + timedelta(minutes=shifts[0]), propose_until=t + timedelta(minutes=shifts[1]),
            solve_until=t + timedelta(minutes=shifts[2])))


def tiny_upload(tiny: Path, tmp: Path, variant: str = "000") -> dict:
    """Multipart files for a bundle + key proposal of one tiny variant."""
    archive = pack(tiny / "variants" / variant / "bundle", tmp / f"tiny-{variant}.tar.gz")
    return {"bundle": ("tiny.tar.gz", archive.read_bytes(), "application/gzip"),
            "key": ("key.json", (tiny / "variants" / variant / "key.json").read_bytes(), "application/json")}


def wait_proposal(client, pid: int, timeout: float = 300) -> dict:  # a bound, not a timing: a loaded machine is slow
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = client.get(f"/api/v1/league/proposals/{pid}").json()
        if body["status"] not in ("forging", "checking"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"proposal {pid} still {body['status']} after {timeout}s")


def key_needles(tiny: Path) -> list[str]:
    import json
    needles = []
    for key_file in tiny.rglob("key.json"):
        key = json.loads(key_file.read_text())
        needles += [key["salt"], key["secret"]["rule_source"].strip(), "rule_source", "private_rows",
                    key["reference_answer"]["data_b64"][:40]]
    return needles


def walk_gets(clients, ids: dict, needles: list[str]) -> int:
    """GET every non-admin route (ids filled in) as each client; no 500s and no needle in any body."""
    from server_support import all_routes
    seen = 0
    for client in clients:
        for methods, route in all_routes():
            if "GET" not in methods or "/admin" in route:
                continue
            path = route
            for name, value in ids.items():
                path = path.replace("{" + name + "}", str(value))
            for accept in ("text/html", "application/json"):
                r = client.get(path, headers={"accept": accept})
                assert r.status_code < 500, (path, r.text[:200])
                text = "" if r.headers.get("content-type", "").startswith("application/gzip") else r.text
                for needle in needles:
                    assert needle not in text, f"{path} shows key material ({needle[:16]}...)"
                seen += 1
    return seen
