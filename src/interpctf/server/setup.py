"""Creating an event: forge or copy its challenges into the data folder, then write the database rows."""

import secrets
import shutil
from pathlib import Path

from sqlalchemy import select

from interpctf.bundle import bundle_root, read_key, read_manifest
from interpctf.errors import InterpctfError
from interpctf.progress import Progress, SilentProgress
from interpctf.server.auth import hash_password
from interpctf.server.db import Database, migrate
from interpctf.server.event_spec import ChallengeSpec, EventSpec
from interpctf.server.models import Challenge, Event, Hint, LeagueRound, Team, User, Variant
from interpctf.server.modes import ModeConfig, save_config

CHALLENGES_DIR = "challenges"


def variant_folders(forged: Path) -> list[Path]:
    """Forge output: ``variants/NNN/`` folders when there are variants, else the folder itself."""
    forged = Path(forged)
    if (forged / "variants").is_dir():
        folders = sorted(p for p in (forged / "variants").iterdir() if (p / "key.json").is_file())
        if folders:
            return folders
    if (forged / "key.json").is_file():
        return [forged]
    raise InterpctfError(f"{forged} holds no forged challenge (expected bundle/ and key.json, or variants/)")


def _materialize(spec: ChallengeSpec, base: Path, data_dir: Path, progress: Progress) -> Path:
    """Put the challenge's forge output under ``data_dir/challenges/<slug>`` and return that folder."""
    dest = data_dir / CHALLENGES_DIR / spec.slug
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if spec.recipe is not None:
        from interpctf.forge import forge
        from interpctf.recipe import load_recipe
        forge(load_recipe(base / spec.recipe), dest, spec.slug, progress)
    else:
        source = (base / spec.forged).resolve()
        variant_folders(source)
        shutil.copytree(source, dest)
    return dest


def add_challenge(session, data_dir: Path, spec: ChallengeSpec, folder: Path, position: int) -> Challenge:
    folders = variant_folders(folder)
    first = read_manifest(folders[0] / "bundle")
    chal = Challenge(slug=spec.slug, title=first.title, kind=first.kind, category=spec.category,
                     statement=first.statement, answer_help=first.answer_help,
                     value=spec.value.model_dump(), max_attempts=spec.max_attempts, position=position,
                     hidden=spec.hidden)
    session.add(chal)
    session.flush()
    for number, vf in enumerate(folders):
        manifest = read_manifest(vf / "bundle")
        read_key(vf / "key.json")  # must parse; it is checked against the commitment at reveal
        session.add(Variant(challenge_id=chal.id, number=number,
                            bundle_path=str(bundle_root(vf).relative_to(data_dir)),
                            key_path=str((vf / "key.json").relative_to(data_dir)), commitment=manifest.commitment))
    for hint in spec.hints:
        session.add(Hint(challenge_id=chal.id, content=hint.content, cost=hint.cost))
    return chal


def create_account(session, name: str, password: str, role: str = "participant", account_type: str = "human",
                   team: Team | None = None) -> User:
    user = User(name=name, password_hash=hash_password(password), role=role, account_type=account_type,
                team_id=team.id if team else None)
    session.add(user)
    session.flush()
    return user


def new_invite_code() -> str:
    return secrets.token_urlsafe(9)


def setup_mode(session, spec: EventSpec) -> None:
    """Store the league/jam/bounty configuration and create the league's rounds."""
    session.flush()
    config = ModeConfig(**{m: getattr(spec, m) for m in ("league", "jam", "bounty") if getattr(spec, m)})
    save_config(session, session.get(Event, 1), config)
    for number, r in enumerate(config.league.rounds if spec.mode == "league" else [], start=1):
        session.add(LeagueRound(number=number, title=r.title or f"Round {number}", propose_from=r.propose_from,
                                propose_until=r.propose_until, solve_until=r.solve_until))


def create_event(spec: EventSpec, base: Path, data_dir: Path, url: str, progress: Progress | None = None) -> Database:
    """Forge/copy every challenge, then create the event in a fresh database. Returns the database."""
    progress = progress or SilentProgress()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(url)
    db = Database(url)
    with db.read() as s:
        if s.scalar(select(Event.id)) is not None:
            raise InterpctfError("this database already holds an event; use a fresh --data folder or --db")
    folders = [_materialize(c, Path(base), data_dir, progress) for c in spec.challenges]
    with db.write() as s:
        s.add(Event(id=1, title=spec.title, description=spec.description, starts_at=spec.starts_at,
                    ends_at=spec.ends_at, freeze_at=spec.freeze_at, mode=spec.mode,
                    team_size=1 if spec.mode == "user" else spec.team_size, rules=spec.rules.model_dump(),
                    board_version=0))
        for position, (cspec, folder) in enumerate(zip(spec.challenges, folders)):
            add_challenge(s, data_dir, cspec, folder, position)
        for account in spec.accounts:
            create_account(s, account.name, account.password, role=account.role)
        setup_mode(s, spec)
    return db
