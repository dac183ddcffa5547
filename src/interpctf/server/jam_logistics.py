"""Jam logistics on the server: registering (with a site) and cancelling before the start, the ideas list and
its upvotes, who judges (``judging: everyone`` makes every registered participant a judge), and the checks a
submission and a review pass (team size, submission deadline, judging window). The rules are in
:mod:`interpctf.rules.jam_schedule`; this module stores and asks them."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from interpctf.rules.jam_schedule import (current_phase, judging_problem, site_problem, submissions_open,
                                          team_size_problem)
from interpctf.server.errors import bad_request, conflict, forbidden, not_found
from interpctf.server.markdown import render_markdown
from interpctf.server.models import JamIdea, JamIdeaVote, JamParticipant, User, utcnow
from interpctf.server.modes import JamConfig
from interpctf.server.state import phase


def participation(session, user: User | None) -> JamParticipant | None:
    return session.get(JamParticipant, user.id) if user is not None else None


def register(session, event, config: JamConfig, user: User, site: str) -> JamParticipant:
    """Register (or change site) until the submission deadline; the site's capacity is checked in the same write."""
    if phase(event) == "ended" or not submissions_open(config.schedule, utcnow()):
        raise conflict("registration is closed: the jam's submission deadline has passed")
    site = (site or "").strip()
    row = session.get(JamParticipant, user.id)
    taken = session.scalar(select(func.count()).select_from(JamParticipant).where(
        JamParticipant.site == site, JamParticipant.user_id != user.id)) if site else 0
    problem = site_problem(config.sites, site, taken or 0)
    if problem:
        raise bad_request(problem)
    if row is None:
        row = JamParticipant(user_id=user.id, site=site)
        session.add(row)
    else:
        row.site = site
    session.flush()
    return row


def cancel(session, event, user: User) -> None:
    if phase(event) != "upcoming":
        raise conflict("the jam has started; participation can be cancelled only before the start")
    row = session.get(JamParticipant, user.id)
    if row is None:
        raise not_found("you are not registered for this jam")
    session.delete(row)


def participants(session) -> list[tuple[User, JamParticipant]]:
    return [(u, p) for u, p in session.execute(select(User, JamParticipant).join(
        JamParticipant, JamParticipant.user_id == User.id).order_by(User.id))]


def check_submission(session, config: JamConfig, user: User, team_id: int) -> None:
    """Refuse a project after the deadline, from an unregistered submitter (when required) or a team outside the
    size bounds; called before anything is written."""
    if not submissions_open(config.schedule, utcnow()):
        raise forbidden("the submission deadline has passed")
    if config.registration_required and session.get(JamParticipant, user.id) is None:
        raise forbidden("register for the jam first (the Participate button on /jam)")
    members = session.scalar(select(func.count(User.id)).where(User.team_id == team_id)) or 0
    problem = team_size_problem(members, config.team_min, config.team_max)
    if problem:
        raise bad_request(problem)


def check_judging(config: JamConfig) -> None:
    problem = judging_problem(config.schedule, utcnow())
    if problem:
        raise forbidden(problem)


def is_judge(session, config: JamConfig, user: User) -> bool:
    if user.role in ("judge", "admin"):
        return True
    return config.judging == "everyone" and session.get(JamParticipant, user.id) is not None


def judge_pool(session, config: JamConfig) -> list[User]:
    """Who gets assigned projects: the judge role, and with ``judging: everyone`` every registered participant."""
    judges = {u.id: u for u in session.scalars(select(User).where(User.role == "judge"))}
    if config.judging == "everyone":
        judges.update({u.id: u for u, _ in participants(session) if u.role != "admin"})
    return [judges[k] for k in sorted(judges)]


def team_sites(session) -> dict[int, list[str]]:
    """Team id -> the sites its registered members picked ("online" for none)."""
    out: dict[int, set[str]] = {}
    for user, row in participants(session):
        if user.team_id is not None:
            out.setdefault(user.team_id, set()).add(row.site or "online")
    return {k: sorted(v) for k, v in out.items()}


def site_counts(session) -> dict[str, int]:
    return dict(session.execute(select(JamParticipant.site, func.count()).group_by(JamParticipant.site)).all())


def schedule_view(config: JamConfig) -> list[dict]:
    now_phase = current_phase(config.schedule, utcnow())
    return [{"name": p.name, "kind": p.kind, "description": p.description, "starts_at": p.starts_at.isoformat() + "Z",
             "ends_at": p.ends_at.isoformat() + "Z", "now": p is now_phase} for p in config.schedule]


def overview(session, config: JamConfig, user: User | None) -> dict:
    """Team size bounds, who judges, the schedule, the sites with places taken, and the user's participation."""
    taken = site_counts(session)
    row = participation(session, user)
    return {"team_min": config.team_min, "team_max": config.team_max, "judging": config.judging,
            "registration_required": config.registration_required, "schedule": schedule_view(config),
            "sites": [{**site.model_dump(), "taken": taken.get(site.name, 0)} for site in config.sites],
            "me": None if row is None else {"site": row.site, "registered_at": row.registered_at.isoformat() + "Z"}}


# ---- ideas ---------------------------------------------------------------------------------------------------
def add_idea(session, user: User, title: str, body: str) -> JamIdea:
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise bad_request("the idea's title must be 1-200 characters")
    if len(body or "") > 5000:
        raise bad_request("the idea's text must be at most 5000 characters")
    idea = JamIdea(user_id=user.id, title=title, body=body or "")
    session.add(idea)
    session.flush()
    return idea


def vote(session, user: User, idea_id: int) -> int:
    """Upvote once; a second vote is refused (409). Returns the idea's votes."""
    if session.get(JamIdea, idea_id) is None:
        raise not_found(f"no idea {idea_id}; see /api/v1/jam/ideas")
    if session.get(JamIdeaVote, (idea_id, user.id)) is not None:
        raise conflict("you have already upvoted this idea (one vote each)")
    try:
        with session.begin_nested():
            session.add(JamIdeaVote(idea_id=idea_id, user_id=user.id))
    except IntegrityError:  # a concurrent click of the same user
        raise conflict("you have already upvoted this idea (one vote each)") from None
    return session.scalar(select(func.count()).select_from(JamIdeaVote).where(JamIdeaVote.idea_id == idea_id)) or 0


def ideas(session, user: User | None) -> list[dict]:
    """Ideas, most upvoted first, with the rendered (sanitised) markdown."""
    votes = dict(session.execute(select(JamIdeaVote.idea_id, func.count()).group_by(JamIdeaVote.idea_id)).all())
    mine = set(session.scalars(select(JamIdeaVote.idea_id).where(JamIdeaVote.user_id == user.id))) if user else set()
    names = dict(session.execute(select(User.id, User.name)).all())
    rows = [{"id": i.id, "title": i.title, "body": i.body, "author": names.get(i.user_id, "?"),
             "votes": votes.get(i.id, 0), "voted": i.id in mine, "created_at": i.created_at.isoformat() + "Z"}
            for i in session.scalars(select(JamIdea))]
    rows.sort(key=lambda r: (-r["votes"], r["id"]))
    return rows


def with_html(rows: list[dict]) -> list[dict]:
    return [{**r, "html": render_markdown(r["body"])} for r in rows]
