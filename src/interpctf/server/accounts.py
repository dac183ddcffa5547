"""Accounts and teams: registration, login, team creation and joining by invite code."""

import re

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from interpctf.server.auth import burn_password_check, check_password, hash_password
from interpctf.server.errors import ApiError, bad_request, conflict, forbidden, not_found, unauthorized
from interpctf.server.models import Team, User
from interpctf.server.setup import new_invite_code

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{1,39}$")


def check_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise bad_request(f"{what} must be 2-40 characters: letters, digits, space, '_', '.', '-'")
    return name


def register(session, event, name: str, password: str, account_type: str = "human") -> User:
    name = check_name(name, "user name")
    if len(password or "") < 8:
        raise bad_request("password must be at least 8 characters")
    if len(password) > 256:
        raise bad_request("password must be at most 256 characters")
    if account_type not in ("human", "agent"):
        raise bad_request("account_type must be 'human' or 'agent'")
    if session.scalar(select(User.id).where(func.lower(User.name) == name.lower())) is not None:
        raise conflict(f"the name {name!r} is taken; choose another")
    user = User(name=name, password_hash=hash_password(password), role="participant", account_type=account_type)
    session.add(user)
    try:
        session.flush()
        if event.mode == "user":  # every user plays as a team of one, named after them
            team = Team(name=name, invite_code=new_invite_code(), solo=True)
            session.add(team)
            session.flush()
            user.team_id = team.id
            session.flush()
    except IntegrityError:
        raise conflict(f"the name {name!r} is taken; choose another") from None
    return user


def authenticate(session, name: str, password: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.name) == (name or "").strip().lower()))
    if user is None:
        burn_password_check(password or "")
        raise unauthorized("wrong name or password")
    if not check_password(user.password_hash, password or ""):
        raise unauthorized("wrong name or password")
    return user


def create_team(session, event, user: User, name: str) -> Team:
    if event.mode == "user":
        raise bad_request("this event is played alone (user mode); there are no teams to create")
    if user.team_id is not None:
        raise conflict("you are already in a team")
    name = check_name(name, "team name")
    if session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower())) is not None:
        raise conflict(f"the team name {name!r} is taken; choose another")
    team = Team(name=name, invite_code=new_invite_code())
    session.add(team)
    try:
        session.flush()
    except IntegrityError:
        raise conflict(f"the team name {name!r} is taken; choose another") from None
    _enter(session, user, team)
    return team


def join_team(session, event, user: User, invite_code: str) -> Team:
    if event.mode == "user":
        raise bad_request("this event is played alone (user mode); there are no teams to join")
    if user.team_id is not None:
        raise conflict("you are already in a team")
    # The team row is locked (FOR UPDATE: PostgreSQL; SQLite's write transactions are serial already) before
    # its members are counted, so concurrent joins queue here and each counts the ones committed before it.
    team = session.scalar(select(Team).where(Team.invite_code == (invite_code or "").strip()).with_for_update())
    if team is None or team.solo:
        raise not_found("no team has this invite code; ask your team for it again")
    members = session.scalar(select(func.count(User.id)).where(User.team_id == team.id)) or 0
    if members >= event.team_size:
        raise forbidden(f"team {team.name!r} is full ({event.team_size} members at most)")
    _enter(session, user, team)
    return team


def _enter(session, user: User, team: Team) -> None:
    """Put ``user`` in ``team`` only if they are in none: one conditional UPDATE, so that the same user joining
    or creating two teams at once ends up in exactly one (the other request gets a 409 and rolls back)."""
    entered = session.execute(update(User).where(User.id == user.id, User.team_id.is_(None))
                              .values(team_id=team.id).execution_options(synchronize_session=False)).rowcount
    if entered != 1:
        raise conflict("you are already in a team")
    set_committed_value(user, "team_id", team.id)


def team_members(session, team_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.team_id == team_id).order_by(User.id)))


def get_team(session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.hidden:
        raise not_found(f"no team {team_id}")
    return team


def require_team(user: User) -> int:
    if user.team_id is None:
        raise ApiError(403, "create or join a team first")
    return user.team_id
