"""Jam (hackathon) mode on the server: project submissions with a durable writeup, review assignment, the judge's
queue with free judging locked until the assigned reviews are in, reviews, and results. Scoring rules live in
:mod:`interpctf.rules.jam`; assignment in :mod:`interpctf.rules.jam_assign`."""

import csv
import hashlib
import io
import math
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import delete, func, select

from interpctf.rules.jam import Review, aggregate, weighted_score
from interpctf.rules.jam_assign import Judge, Project, assign_reviews
from interpctf.server import jam_logistics
from interpctf.server.accounts import require_team
from interpctf.server.errors import ApiError, bad_request, conflict, forbidden, not_found
from interpctf.server.models import JamAssignment, JamProject, JamReview, Team, User, utcnow
from interpctf.server.modes import JamConfig, load_config, require_mode, save_config
from interpctf.server.state import ServerState, phase

WRITEUPS_DIR = Path("jam") / "writeups"
URL_RE = re.compile(r"^https?://[^\s<>\"']{1,500}$")


def jam_event(state: ServerState, session):
    event = state.event(session)
    require_mode(event, "jam")
    return event


def jam_config(state: ServerState, session) -> JamConfig:
    return load_config(session, jam_event(state, session)).jam


def parse_links(text: str) -> list[str]:
    links = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(links) > 10:
        raise bad_request("at most 10 links")
    for link in links:
        if not URL_RE.match(link):
            raise bad_request(f"{link[:60]!r} is not an http(s) link")
    return links


def writeup_type(filename: str, data: bytes) -> str:
    """``md`` or ``pdf`` from the name, checked against the content."""
    name = filename.lower()
    if name.endswith(".pdf"):
        if not data.startswith(b"%PDF-"):
            raise bad_request("the writeup is named .pdf but is not a PDF file")
        return "pdf"
    if name.endswith((".md", ".markdown", ".txt")):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("the markdown writeup must be UTF-8 text") from None
        return "md"
    raise bad_request("the writeup must be a markdown (.md) or PDF (.pdf) file")


def _store(state: ServerState, project_id: int, kind: str, data: bytes) -> str:
    """Write the file durably (temp file, fsync, atomic rename) under a content-addressed name."""
    folder = state.data_dir / WRITEUPS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{project_id}-{hashlib.sha256(data).hexdigest()[:16]}.{kind}"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / name)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return str(WRITEUPS_DIR / name)


def submit_project(state: ServerState, user: User, title: str, abstract: str, links: str,
                   writeup: tuple[str, bytes] | None) -> JamProject:
    """Create or update the team's project (one per team) while the jam runs."""
    team_id = require_team(user)
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise bad_request("the title must be 1-200 characters")
    if len(abstract or "") > 5000:
        raise bad_request("the abstract must be at most 5000 characters")
    urls = parse_links(links)
    with state.db.read() as s:
        config = jam_config(state, s)
        if phase(state.event(s)) not in ("running", "frozen"):
            raise forbidden("projects can be submitted only while the jam runs")
        jam_logistics.check_submission(s, config, user, team_id)
    kind = data = None
    if writeup is not None:
        filename, data = writeup
        if len(data) > config.max_writeup_bytes:
            raise ApiError(413, f"the writeup is over the {config.max_writeup_bytes}-byte limit")
        kind = writeup_type(filename, data)
    with state.db.write() as s:
        project = s.scalar(select(JamProject).where(JamProject.team_id == team_id))
        if project is None:
            project = JamProject(team_id=team_id, user_id=user.id, title=title, abstract=abstract or "", links=urls)
            s.add(project)
            s.flush()
        project.title, project.abstract, project.links, project.updated_at = title, abstract or "", urls, utcnow()
        if kind is not None:
            project.writeup_path, project.writeup_type = _store(state, project.id, kind, data), kind
        return project


def read_upload(state: ServerState, upload) -> tuple[str, bytes] | None:
    """A writeup from a form's file field (read up to one byte over the limit, so the size check can refuse it);
    None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    return upload.filename, upload.file.read(state.settings.max_upload_bytes + 1)


def writeup_file(state: ServerState, session, project_id: int) -> tuple[JamProject, Path]:
    p = get_project(session, project_id)
    if not p.writeup_path:
        raise not_found(f"project {project_id} has no writeup")
    return p, state.data_dir / p.writeup_path


def visible_results(state: ServerState, session, user: User | None) -> tuple[list[dict], JamConfig]:
    """The ranked results and the jam's config (API, CSV and page): admins any time, everyone once it ends."""
    if not can_see_results(jam_event(state, session), user):
        raise forbidden("the results are published when the jam ends")
    config = jam_config(state, session)
    return results(session, config), config


def get_project(session, project_id: int) -> JamProject:
    project = session.get(JamProject, project_id)
    if project is None:
        raise not_found(f"no project {project_id}; see /api/v1/jam/projects")
    return project


def project_out(session, p: JamProject) -> dict:
    team = session.get(Team, p.team_id)
    return {"id": p.id, "title": p.title, "team": team.name if team else "?", "team_id": p.team_id,
            "abstract": p.abstract, "links": p.links, "writeup": p.writeup_type or None,
            "writeup_url": f"/api/v1/jam/projects/{p.id}/writeup" if p.writeup_path else None,
            "updated_at": p.updated_at.isoformat() + "Z"}


def projects(session) -> list[JamProject]:
    return list(session.scalars(select(JamProject).order_by(JamProject.id)))


def judges(session, config: JamConfig) -> list[User]:
    return jam_logistics.judge_pool(session, config)


def assign(state: ServerState, session) -> dict[int, list[int]]:
    """(Re)assign every judge; refused once reviews have started, so nobody's queue changes under them."""
    config = jam_config(state, session)
    if session.scalar(select(func.count(JamReview.id))):
        raise conflict("reviews have started; the assignment is fixed")
    js = [Judge(u.id, u.team_id) for u in judges(session, config)]
    ps = [Project(p.id, p.team_id) for p in projects(session)]
    if not js or not ps:
        who = "registered participant" if config.judging == "everyone" else "judge (role 'judge')"
        raise bad_request(f"assignment needs at least one {who} and one project")
    out = assign_reviews(js, ps, config.reviews_per_judge, config.seed)
    session.execute(delete(JamAssignment))
    for judge_id, items in out.items():
        for project_id in items:
            session.add(JamAssignment(judge_id=judge_id, project_id=project_id))
    return out


def require_judge(session, config: JamConfig, user: User) -> None:
    if not jam_logistics.is_judge(session, config, user):
        raise forbidden("register for the jam to judge (every participant judges)" if config.judging == "everyone"
                        else "only judges review projects; ask an organizer for the judge role")


def queue(state: ServerState, session, user: User) -> dict:
    """The judge's assigned projects (done or not) and, once all are done, every other project they may judge."""
    require_judge(session, jam_config(state, session), user)
    assigned = list(session.scalars(select(JamAssignment.project_id).where(JamAssignment.judge_id == user.id)))
    reviewed = set(session.scalars(select(JamReview.project_id).where(JamReview.judge_id == user.id)))
    left = [p for p in assigned if p not in reviewed]
    items = [{**project_out(session, get_project(session, p)), "reviewed": p in reviewed} for p in assigned]
    unlocked = not left and (bool(assigned) or user.role == "admin")
    free = []
    if unlocked:
        free = [{**project_out(session, p), "reviewed": p.id in reviewed} for p in projects(session)
                if p.id not in assigned and (user.team_id is None or p.team_id != user.team_id)]
    return {"assigned": items, "left": len(left), "free_unlocked": unlocked, "free": free}


def review(state: ServerState, user: User, project_id: int, scores: dict, comment: str) -> JamReview:
    """Store (or revise) a review. Free judging of unassigned projects unlocks after the assigned ones."""
    with state.db.write() as s:
        config = jam_config(state, s)
        require_judge(s, config, user)
        jam_logistics.check_judging(config)
        project = get_project(s, project_id)
        if user.team_id is not None and project.team_id == user.team_id:
            raise forbidden("you cannot review your own team's project")
        assigned = set(s.scalars(select(JamAssignment.project_id).where(JamAssignment.judge_id == user.id)))
        if not assigned and user.role != "admin":
            raise forbidden("no projects are assigned to you yet; the organizers assign them before judging starts")
        if project_id not in assigned:
            reviewed = set(s.scalars(select(JamReview.project_id).where(JamReview.judge_id == user.id)))
            left = len(assigned - reviewed)
            if left:
                raise forbidden(f"finish your assigned reviews first ({left} left); then you may judge any project")
        clean = _check_scores(scores, config)
        row = s.scalar(select(JamReview).where(JamReview.project_id == project_id, JamReview.judge_id == user.id))
        if row is None:
            row = JamReview(project_id=project_id, judge_id=user.id, scores=clean, comment=comment or "")
            s.add(row)
        else:
            row.scores, row.comment, row.created_at = clean, comment or "", utcnow()
        s.flush()
        return row


def _check_scores(scores: dict, config: JamConfig) -> dict:
    names = {c.name for c in config.criteria}
    unknown = sorted(set(scores) - names)
    if unknown:
        raise bad_request(f"unknown criterion {unknown[0]!r}; the criteria are: {', '.join(sorted(names))}")
    out = {}
    for c in config.criteria:
        value = scores.get(c.name)
        if value is None or value == "":
            raise bad_request(f"rate {c.name!r} ({config.scale_min}-{config.scale_max})")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise bad_request(f"{c.name!r} must be a whole number") from None
        if not config.scale_min <= number <= config.scale_max:
            raise bad_request(f"{c.name!r} must be between {config.scale_min} and {config.scale_max}")
        out[c.name] = number
    return out


def results(session, config: JamConfig) -> list[dict]:
    """Ranked projects with score, bootstrap interval and per-criterion means."""
    rows = session.scalars(select(JamReview)).all()
    reviews = [Review(r.project_id, r.judge_id, weighted_score(r.scores, config.criteria)) for r in rows
               if all(c.name in r.scores for c in config.criteria)]  # reviews made before a criterion was added
    ranked = aggregate([p.id for p in projects(session)], reviews, config)
    means: dict[int, dict[str, float]] = {}
    for c in config.criteria:
        for pid in {r.project_id for r in rows}:
            values = [r.scores[c.name] for r in rows if r.project_id == pid and c.name in r.scores]
            if values:
                means.setdefault(pid, {})[c.name] = sum(values) / len(values)
    sites = jam_logistics.team_sites(session)
    out = []
    for r in ranked:
        p = session.get(JamProject, r.project)
        team = session.get(Team, p.team_id)
        finite = not math.isnan(r.score)
        out.append({"rank": r.rank or None, "project_id": p.id, "title": p.title, "team": team.name if team else "?",
                    "score": round(r.score, 4) if finite else None, "low": round(r.low, 4) if finite else None,
                    "high": round(r.high, 4) if finite else None, "reviews": r.reviews,
                    "criteria": {k: round(v, 3) for k, v in means.get(p.id, {}).items()},
                    "sites": sites.get(p.team_id, [])})
    return out


def results_csv(rows: list[dict], config: JamConfig) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = [c.name for c in config.criteria]
    writer.writerow(["rank", "project_id", "title", "team", "score", "ci_low", "ci_high", "reviews", *names])
    for r in rows:
        writer.writerow([r["rank"] or "", r["project_id"], r["title"], r["team"], r["score"] if r["score"] is not None
                         else "", r["low"] if r["low"] is not None else "", r["high"] if r["high"] is not None else "",
                         r["reviews"], *[r["criteria"].get(n, "") for n in names]])
    return buffer.getvalue()


def can_see_results(event, user: User | None) -> bool:
    return (user is not None and user.role == "admin") or phase(event) == "ended"


def update_config(state: ServerState, session, config: JamConfig) -> JamConfig:
    event = jam_event(state, session)
    full = load_config(session, event)
    full.jam = config
    save_config(session, event, full)
    return config
