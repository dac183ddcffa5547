"""The admin's study page in one read: the study's status, every submission (team, images per trojan, its
re-run), every rater's progress, and the raters the attention checks flag as careless (their answers dropped)."""

from collections import Counter

from sqlalchemy import func, select

from interpctf.rules.study import careless_raters
from interpctf.server import study, study_rerun, study_store
from interpctf.server.models import Team, User
from interpctf.server.state import ServerState
from interpctf.server.study_models import StudyImage, StudySubmission


def overview(st: ServerState, s) -> dict:
    state = study.load(st)
    teams = dict(s.execute(select(Team.id, Team.name)).all())
    per_trojan: dict[int, Counter] = {}
    for sid, trojan, n in s.execute(select(StudyImage.submission_id, StudyImage.trojan, func.count(StudyImage.id))
                                    .group_by(StudyImage.submission_id, StudyImage.trojan)):
        per_trojan.setdefault(int(sid), Counter())[trojan] = int(n)
    submissions = []
    for row in s.scalars(select(StudySubmission).order_by(StudySubmission.id)):
        rerun = study_rerun.result(st, row.id) or {}
        submissions.append({"id": row.id, "team": teams.get(row.team_id, "?"), "created_at": row.created_at,
                            "images": dict(sorted(per_trojan.get(row.id, Counter()).items())),
                            "rerun": rerun.get("status", "none"), "reproduced": rerun.get("reproduced")})
    answers = study_store.session_answer_rows(s)
    done = Counter(rater for rater, _, _ in answers)
    careless = careless_raters(answers, {q.id: q for q in study.questions(state)})
    raters = [{"id": u.id, "name": u.name, "team": teams.get(u.team_id) if u.team_id else None,
               "answered": done.get(u.id, 0), "assigned": len(state.assignment.get(str(u.id), [])),
               "careless": u.id in careless}
              for u in s.scalars(select(User).where(User.role == "rater").order_by(User.id))]
    return {"status": state.status, "challenge": state.settings.challenge, "questions": len(state.questions),
            "submissions": submissions, "raters": raters, "careless": sorted(careless)}


__all__ = ["overview"]
