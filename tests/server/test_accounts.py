"""Accounts, sessions, CSRF, API tokens, teams, and the login/registration rate limits."""

from datetime import timedelta

from sqlalchemy import update

from server_support import BOTH_DBS, admin, login, player, register

from interpctf.server.models import WebSession, utcnow


@BOTH_DBS
def test_register_login_me_logout(server):
    c = server.new_client()
    register(c, "alice", "password123", "agent")
    me = c.get("/api/v1/me").json()
    assert me["name"] == "alice" and me["account_type"] == "agent" and me["role"] == "participant"
    cookie = c.cookies.get("ictf_session")
    assert cookie
    raw = next(h for h in c.post("/api/v1/login", json={"name": "alice", "password": "password123"})
               .headers.get_list("set-cookie") if h.startswith("ictf_session="))
    assert "HttpOnly" in raw and "SameSite=lax" in raw.replace("Lax", "lax")
    c.headers["X-CSRF-Token"] = c.post("/api/v1/login", json={"name": "alice", "password": "password123"}).json()["csrf_token"]
    assert c.post("/api/v1/logout").status_code == 204
    assert c.get("/api/v1/me").status_code == 401


def test_password_is_stored_as_argon2id(server):
    from sqlalchemy import select

    from interpctf.server.models import User
    register(server.new_client(), "bob")
    with server.state.db.read() as s:
        stored = s.scalar(select(User.password_hash).where(User.name == "bob"))
    assert stored.startswith("$argon2id$") and "password123" not in stored


def test_bad_registrations_are_refused_with_a_reason(server):
    c = server.new_client()
    assert c.post("/api/v1/register", json={"name": "x", "password": "password123"}).status_code == 400
    assert "at least 8" in c.post("/api/v1/register", json={"name": "carol", "password": "short"}).json()["detail"]
    register(c, "carol")
    r = server.new_client().post("/api/v1/register", json={"name": "CAROL", "password": "password123"})
    assert r.status_code == 409 and "taken" in r.json()["detail"]
    r = server.new_client().post("/api/v1/register", json={"name": "dave", "password": "password123",
                                                           "account_type": "robot"})
    assert r.status_code == 422


def test_wrong_password(server):
    register(server.new_client(), "erin")
    r = server.new_client().post("/api/v1/login", json={"name": "erin", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong name or password"
    r = server.new_client().post("/api/v1/login", json={"name": "nobody", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong name or password"


def test_csrf_required_for_cookie_sessions(server):
    c = server.new_client()
    register(c, "frank")
    del c.headers["X-CSRF-Token"]
    r = c.post("/api/v1/teams", json={"name": "no-csrf"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    c.headers["X-CSRF-Token"] = "forged"
    assert c.post("/api/v1/teams", json={"name": "no-csrf"}).status_code == 403


def test_api_token_works_without_csrf_and_is_stored_hashed(server):
    from sqlalchemy import select

    from interpctf.server.models import ApiToken
    register(server.new_client(), "gina")
    r = server.new_client().post("/api/v1/tokens", json={"name": "gina", "password": "password123"})
    token = r.json()["token"]
    c = server.new_client()
    c.headers["Authorization"] = f"Bearer {token}"
    assert c.get("/api/v1/me").json()["name"] == "gina"
    assert c.post("/api/v1/teams", json={"name": "tokens"}).status_code == 201
    with server.state.db.read() as s:
        assert token not in [t.token_hash for t in s.scalars(select(ApiToken))]
    c.headers["Authorization"] = "Bearer ictf_nope"
    assert c.get("/api/v1/me").status_code == 401
    c.headers["Authorization"] = "Basic abc"
    assert "malformed" in c.get("/api/v1/me").json()["detail"]


def test_expired_session_is_a_clear_401(server):
    c = server.new_client()
    register(c, "hank")
    with server.state.db.write() as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    r = c.get("/api/v1/me")
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    r = c.get("/challenges", headers={"accept": "text/html"})
    assert r.status_code == 401 and "expired" in r.text


@BOTH_DBS
def test_teams_invite_codes_and_size_cap(server):
    owner = player(server, "ivy", "ivy-team")
    code = owner.get("/api/v1/teams/me").json()["invite_code"]
    for name in ("jack", "kate"):
        c = server.new_client()
        register(c, name)
        r = c.post("/api/v1/teams/join", json={"invite_code": code})
        assert r.status_code == 200 and name in r.json()["members"]
    late = server.new_client()
    register(late, "liam")
    r = late.post("/api/v1/teams/join", json={"invite_code": code})
    assert r.status_code == 403 and "full" in r.json()["detail"]
    assert late.post("/api/v1/teams/join", json={"invite_code": "nope"}).status_code == 404
    assert owner.post("/api/v1/teams", json={"name": "second"}).status_code == 409
    assert late.post("/api/v1/teams", json={"name": "ivy-team"}).status_code == 409
    public = server.new_client().get(f"/api/v1/teams/{owner.get('/api/v1/me').json()['team_id']}").json()
    assert public["invite_code"] is None and len(public["members"]) == 3
    assert server.new_client().get("/api/v1/teams/999").status_code == 404


def test_login_is_rate_limited(server_factory):
    server = server_factory(auth_per_minute=3)
    register(server.new_client(), "mona")
    c = server.new_client()
    codes = [c.post("/api/v1/login", json={"name": "mona", "password": "bad-password"}).status_code
             for _ in range(5)]
    assert codes[:2] == [401, 401] and codes[-1] == 429


def test_admin_roles(server):
    a = admin(server)
    users = a.get("/api/v1/admin/users").json()
    assert any(u["role"] == "admin" for u in users)
    p = player(server, "nina")
    assert p.get("/api/v1/admin/users").status_code == 403
    uid = p.get("/api/v1/me").json()["id"]
    assert a.post(f"/api/v1/admin/users/{uid}/role", json={"role": "judge"}).json()["role"] == "judge"
    assert a.post("/api/v1/admin/users/999/role", json={"role": "judge"}).status_code == 404


def test_user_mode_gives_each_user_a_solo_team(server_factory):
    server = server_factory({"mode": "user"})
    c = server.new_client()
    register(c, "olga")
    assert c.get("/api/v1/me").json()["team_id"] is not None
    assert c.post("/api/v1/teams", json={"name": "x1"}).status_code == 400
