"""``interpctf demo``: forge the reference recipes (cached), create a demo event with an admin and a demo team,
and serve it on http://127.0.0.1:8000."""

import hashlib
import json
import os
import secrets
import shutil
from datetime import timedelta
from pathlib import Path

import typer

from interpctf.errors import InterpctfError

# One challenge of each kind. The edit challenge needs the world model, trained once (about 7 minutes).
# pairs-curvy rather than pairs-2023: the demo event is played, and the 2023 rule is published. The compiled
# histogram forges in about 15 s (needs the `compiled` extra, which scripts/setup.sh installs).
REFERENCE = ["pairs-curvy.yaml", "digits-l1band.yaml", "trojan-patch.yaml", "edit-rome-kb.yaml",
             "compiled-histogram.yaml"]


def _cache_root() -> Path:
    return Path(os.environ.get("INTERPCTF_DEMO_CACHE", Path.home() / ".cache" / "interpctf" / "demo"))


def _reference_recipes() -> list[Path]:
    here = Path(__file__).resolve()
    for base in (here.parents[3] / "recipes", here.parents[1] / "recipes", Path.cwd() / "recipes"):
        if all((base / name).is_file() for name in REFERENCE):
            return [base / name for name in REFERENCE]
    raise InterpctfError("the reference recipes were not found; pass them with --recipe PATH")


def cached_path(recipe_path: Path) -> Path:
    """Where the forge output of a recipe is cached (keyed by the recipe's bytes and the interpctf version)."""
    from interpctf import __version__
    from interpctf.recipe import recipe_slug
    digest = hashlib.sha256(Path(recipe_path).read_bytes() + __version__.encode()).hexdigest()[:12]
    return _cache_root() / "forged" / f"{recipe_slug(recipe_path)}-{digest}"


def forged_cached(recipe_path: Path, progress) -> Path:
    """Forge a recipe once; later runs reuse the output."""
    from interpctf.forge import forge
    from interpctf.recipe import load_recipe, recipe_slug

    recipe = load_recipe(recipe_path)
    out = cached_path(recipe_path)
    if (out / "key.json").exists() or (out / "variants").exists():
        return out
    staging = out.with_name(out.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    forge(recipe, staging, recipe_slug(recipe_path), progress)
    os.replace(staging, out)
    return out


def demo(port: int = typer.Option(8000, "--port"), host: str = typer.Option("127.0.0.1", "--host"),
         no_serve: bool = typer.Option(False, "--no-serve", help="set everything up, print, and exit"),
         recipe: list[Path] = typer.Option(None, "--recipe", help="recipes to use instead of the reference ones"),
         data: Path = typer.Option(None, "--data", help="event folder (default: in the demo cache, recreated)"),
         executor: str = typer.Option("local", "--executor"),
         json_out: bool = typer.Option(False, "--json")):
    """Forge the reference challenges (first run only), create a demo event and serve it."""
    from interpctf.commands.server import _need_server_deps
    _need_server_deps()
    from interpctf.console import RichProgress
    from interpctf.server.config import Settings
    from interpctf.server.db import Database
    from interpctf.server.event_spec import parse_event_spec
    from interpctf.server.models import utcnow
    from interpctf.server.setup import create_event, new_invite_code
    from interpctf.server.models import Team
    from interpctf.server.setup import create_account

    progress = RichProgress(quiet=json_out)
    recipes = [Path(r) for r in recipe] if recipe else _reference_recipes()
    forged = [forged_cached(r, progress) for r in recipes]
    data = Path(data) if data else _cache_root() / "event"
    if data.exists():
        shutil.rmtree(data)
    now = utcnow()
    spec = parse_event_spec({
        "title": "interpctf demo",
        "description": "Each model hides a planted secret: a labeling rule it was trained on, a backdoor "
                       "trigger, a rewritten fact. Find it; answers are graded by behaviour.",
        "starts_at": (now - timedelta(minutes=1)).isoformat(), "ends_at": (now + timedelta(days=7)).isoformat(),
        "mode": "team", "team_size": 4, "rules": {"partial_credit": True, "first_blood": [50, 25, 10]},
        "challenges": [{"slug": f.name.rsplit("-", 1)[0], "forged": str(f), "max_attempts": 20,
                        "value": {"function": "linear", "initial": 500, "minimum": 100, "decay": 25},
                        "hints": [{"content": "Query the model on inputs you choose, then look inside it.", "cost": 50}]}
                       for f in forged]})
    settings = Settings(data_dir=data, executor=executor)
    admin_pw, player_pw = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
    create_event(spec, Path.cwd(), data, settings.url(), progress).dispose()
    db = Database(settings.url())
    with db.write() as s:
        create_account(s, "admin", admin_pw, role="admin")
        team = Team(name="demo-team", invite_code=new_invite_code())
        s.add(team)
        s.flush()
        create_account(s, "demo", player_pw, team=team)
        invite = team.invite_code
    db.dispose()
    url = f"http://{host}:{port}"
    info = {"url": url, "data": str(data), "admin": {"name": "admin", "password": admin_pw},
            "player": {"name": "demo", "password": player_pw, "team": "demo-team", "invite_code": invite},
            "challenges": [c.slug for c in spec.challenges]}
    if json_out:
        typer.echo(json.dumps(info))
    else:
        typer.echo(f"\ninterpctf demo at {url}\n  admin:  admin / {admin_pw}\n  player: demo / {player_pw} "
                   f"(team demo-team, invite code {invite})\n  challenges: {', '.join(info['challenges'])}\n"
                   f"  CLI:    interpctf login {url} --name demo\n")
    if not no_serve:
        import uvicorn
        from interpctf.server.app import create_app
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
