"""Every route's guard is in its signature, and the app is checked for them: a state-changing route (POST, PUT,
PATCH, DELETE) must depend on a CSRF guard, and a route under /admin or /api/v1/admin on the admin guard. The
checker walks each route's dependency tree (``route.dependant``) as the app built it, router dependencies
included, and is shown to catch a route that lacks its guard."""

from server_support import admin, register
from fastapi import APIRouter, Depends, FastAPI

from interpctf.server.routes import deps

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# Guards that check the CSRF token of a cookie session (API-token calls are exempt, as in auth.check_csrf):
# CsrfUser, CsrfChecked (the login and registration forms: the anonymous double-submit cookie), SessionCsrf
# (logout: only a live cookie session has something to protect) and Admin (on state-changing methods).
CSRF_GUARDS = {deps.csrf_user, deps.csrf_checked, deps.session_csrf, deps.require_admin}

# State-changing routes with no CSRF guard, and why they are safe without one. Each proves itself with a password
# (there is no session yet to ride on), takes a JSON body (a cross-site HTML form cannot send application/json,
# and FastAPI refuses JSON under another content type), and the session cookie is SameSite=Lax.
NO_CSRF = {
    ("POST", "/api/v1/register"): "creates an account from a JSON body; no session yet",
    ("POST", "/api/v1/login"): "checks a password from a JSON body; no session yet",
    ("POST", "/api/v1/tokens"): "checks a password from a JSON body; returns an API token (token calls need no CSRF)",
}


def effective_routes(app):
    """(methods, path, dependant) of every route, with the prefixes and router dependencies of its routers
    (FastAPI >= 0.165 keeps included routers nested in ``app.routes``)."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                yield set(ctx.methods or ()), ctx.path, ctx.dependant
        elif getattr(route, "dependant", None) is not None:
            yield set(route.methods or ()), route.path, route.dependant


def dependency_calls(dependant) -> set:
    calls = set()
    for sub in dependant.dependencies:
        calls.add(sub.call)
        calls |= dependency_calls(sub)
    return calls


def is_admin_path(path: str) -> bool:
    return any(path == root or path.startswith(root + "/") for root in ("/admin", "/api/v1/admin"))


def guard_problems(app, no_csrf: dict) -> list[str]:
    problems = []
    for methods, path, dependant in effective_routes(app):
        calls = dependency_calls(dependant)
        for method in sorted(methods & STATE_CHANGING):
            if not calls & CSRF_GUARDS and (method, path) not in no_csrf:
                problems.append(f"{method} {path} changes state without a CSRF guard")
        if is_admin_path(path) and deps.require_admin not in calls:
            problems.append(f"{sorted(methods)} {path} is an admin route without the admin guard")
    return problems


def test_every_route_of_the_app_has_its_guard(server):
    app = server.app
    assert guard_problems(app, NO_CSRF) == []
    routes = list(effective_routes(app))
    writes = [(m, p) for methods, p, _d in routes for m in methods & STATE_CHANGING]
    admin = [p for _m, p, _d in routes if is_admin_path(p)]
    # the walk saw the whole app: every mode's routers, the admin ones included
    assert len(writes) >= 35 and len(admin) >= 25, (len(writes), len(admin))
    assert {p for _m, p in writes} >= {"/api/v1/teams", "/jam/projects", "/api/v1/admin/league/rounds",
                                       "/admin/bounty/prizes", "/api/v1/challenges/{slug}/submissions"}
    assert set(NO_CSRF) <= set(writes)  # the allow-list names routes that exist


def test_the_checker_reports_a_route_without_its_guard():
    def read_something(user: deps.CurrentUser):  # signed in, but no CSRF check
        return {}

    unguarded = FastAPI()
    plain = APIRouter()
    plain.add_api_route("/api/v1/things", read_something, methods=["POST"])
    plain.add_api_route("/admin/stats", read_something, methods=["GET"])  # admin path, no admin guard
    unguarded.include_router(plain)
    assert sorted(guard_problems(unguarded, {})) == [
        "POST /api/v1/things changes state without a CSRF guard",
        "['GET'] /admin/stats is an admin route without the admin guard"]

    def write_something(user: deps.CsrfUser):
        return {}

    guarded = FastAPI()
    plain_router = APIRouter()
    plain_router.add_api_route("/api/v1/things", write_something, methods=["POST"])
    guarded.include_router(plain_router)
    admin_router = APIRouter(prefix="/admin", dependencies=deps.ADMIN)  # the guard as a router dependency
    admin_router.add_api_route("/stats", read_something, methods=["GET"])
    admin_router.add_api_route("/reset", read_something, methods=["POST"])  # Admin checks CSRF on writes
    guarded.include_router(admin_router)
    assert guard_problems(guarded, {}) == []


def test_a_guard_deep_in_the_dependency_tree_counts():
    def needs_a_writer(user: deps.CsrfUser) -> int:
        return user.id

    def endpoint(_id: int = Depends(needs_a_writer)):
        return {}

    app = FastAPI()
    app.add_api_route("/api/v1/deep", endpoint, methods=["DELETE"])
    assert guard_problems(app, {}) == []


def test_the_guards_behave_as_auth_says(server):
    """CsrfUser reads the token from a page form's field or the X-CSRF-Token header (cookie sessions only; an API
    token needs none); Admin refuses anonymous callers (401) and other roles (403), and checks CSRF on writes."""
    p = server.new_client()
    token = register(p, "guarded")
    del p.headers["X-CSRF-Token"]
    assert p.post("/team/create", data={"name": "no-token"}).status_code == 403
    assert p.post("/team/create", data={"name": "stale", "csrf_token": "stale"}).status_code == 403
    ok = p.post("/team/create", data={"name": "form-token", "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and p.get("/api/v1/teams/me").json()["name"] == "form-token"
    hint = p.get("/api/v1/challenges/tiny").json()["hints"][0]["id"]  # a form whose only field is the token
    assert p.post(f"/hints/{hint}/unlock", data={"csrf_token": "stale"}).status_code == 403
    r = p.post(f"/hints/{hint}/unlock", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/challenges/tiny"
    assert p.get("/api/v1/challenges/tiny").json()["hints"][0]["unlocked"]
    assert p.post("/api/v1/teams/join", json={"invite_code": "x"}).status_code == 403  # header missing
    assert p.post("/api/v1/teams/join", json={"invite_code": "x"},
                  headers={"X-CSRF-Token": token}).status_code == 409  # past the guard: already in a team

    anon = server.new_client()
    assert anon.get("/api/v1/admin/users").status_code == 401
    assert anon.post("/team/create", data={"name": "x"}).status_code == 401
    assert p.get("/api/v1/admin/users").status_code == 403
    assert p.get("/admin", headers={"accept": "application/json"}).status_code == 403

    a = admin(server)
    assert a.get("/api/v1/admin/users").status_code == 200
    csrf = a.headers.pop("X-CSRF-Token")
    assert a.post("/api/v1/admin/reveal").status_code == 403  # a cookie session without its CSRF token
    a.headers["X-CSRF-Token"] = csrf
    assert a.post("/api/v1/admin/reveal").status_code == 403 and "ended" in a.post("/api/v1/admin/reveal").text

    bearer = server.new_client()
    r = bearer.post("/api/v1/tokens", json={"name": "admin", "password": "admin-password"})
    bearer.headers["Authorization"] = f"Bearer {r.json()['token']}"
    assert bearer.get("/api/v1/admin/users").status_code == 200
    assert "ended" in bearer.post("/api/v1/admin/reveal").json()["detail"]  # no CSRF token needed with a token
