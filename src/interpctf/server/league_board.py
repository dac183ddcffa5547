"""League views: rounds with their phase, per-round and cumulative standings from :mod:`interpctf.rules.league`,
round history with revealed keys, and collusion flags for admins. Solves count on the private split and only
for closed rounds (a running round is not scored yet)."""

from sqlalchemy import select

from interpctf.rules.league import Proposal, RoundResult, collusion_flags, cumulative, score_round
from interpctf.server.league import abandoned, league_teams, published, round_phase, rounds
from interpctf.server.models import LeagueProposal, LeagueRound, Submission, Variant
from interpctf.server.modes import load_config
from interpctf.server.state import variant_for


def _iso(t) -> str | None:
    return t.isoformat() + "Z" if t else None


def round_out(r: LeagueRound) -> dict:
    return {"number": r.number, "title": r.title, "phase": round_phase(r), "propose_from": _iso(r.propose_from),
            "propose_until": _iso(r.propose_until), "solve_until": _iso(r.solve_until),
            "revealed": r.revealed_at is not None}


def _solvers(session, challenge_id: int, until) -> frozenset[int]:
    return frozenset(session.scalars(select(Submission.team_id).where(
        Submission.challenge_id == challenge_id, Submission.status == "graded", Submission.solved.is_(True),
        Submission.created_at < until)))


def _round_proposals(session, r: LeagueRound) -> list[Proposal]:
    return [Proposal(challenge=c.id, proposer=p.team_id, solvers=_solvers(session, c.id, r.solve_until))
            for p, c in published(session, r)]


def _standings(rows, names: dict[int, str]) -> list[dict]:
    return [{"pos": x.pos, "team": names[x.team], "team_id": x.team, "points": round(x.points, 3),
             "as_proposer": round(x.proposed, 3), "as_solver": round(x.solved, 3)} for x in rows]


def league_overview(session, event, admin: bool = False) -> dict:
    rules = load_config(session, event).league.rules
    teams = league_teams(session)
    names = dict(teams)
    results: list[RoundResult] = []
    history: dict[int, list[Proposal]] = {}
    out_rounds = []
    for r in rounds(session):
        item = round_out(r)
        item["challenges"] = len(published(session, r)) if round_phase(r) in ("solving", "closed") else None
        if round_phase(r) == "closed":
            proposals = _round_proposals(session, r)
            history[r.number] = proposals
            result = score_round(list(names), proposals, rules)
            results.append(result)
            item["standings"] = _standings(result.scores, names)
        out_rounds.append(item)
    out = {"rules": rules.model_dump(), "teams": len(teams), "rounds": out_rounds,
           "standings": _standings(cumulative(list(names), results), names)}
    if admin:
        out["collusion"] = [{"proposer": names.get(f.proposer, str(f.proposer)), "proposer_id": f.proposer,
                             "solver": names.get(f.solver, str(f.solver)), "solver_id": f.solver,
                             "rounds": list(f.rounds)} for f in collusion_flags(history, rules)]
    return out


def proposal_out(p: LeagueProposal) -> dict:
    """What the proposing team sees of its proposal (never key material: only grades and the commitment)."""
    return {"id": p.id, "status": p.status, "source": p.source, "title": p.title, "progress": p.progress or {},
            "check": p.check or {}, "error": p.error, "created_at": _iso(p.created_at),
            "confirmed_at": _iso(p.confirmed_at), "url": f"/league/proposals/{p.id}",
            "stalled": p.status in ("forging", "checking") and abandoned(p)}


def round_detail(session, event, r: LeagueRound, team_id: int | None, admin: bool = False) -> dict:
    rules = load_config(session, event).league.rules
    names = dict(league_teams(session))
    ph = round_phase(r)
    out = round_out(r)
    mine = session.scalar(select(LeagueProposal).where(LeagueProposal.round_id == r.id,
                                                       LeagueProposal.team_id == (team_id or -1)))
    out["my_proposal"] = proposal_out(mine) if mine is not None else None
    challenges = []
    if ph in ("solving", "closed") or admin:
        proposals = {p.challenge: p for p in _round_proposals(session, r)} if ph == "closed" else {}
        result = score_round(list(names), list(proposals.values()), rules) if ph == "closed" else None
        outcomes = {o.challenge: o for o in result.outcomes} if result else {}
        for p, c in published(session, r):
            variants = session.scalars(select(Variant).where(Variant.challenge_id == c.id)
                                       .order_by(Variant.number)).all()
            item = {"slug": c.slug, "title": c.title, "kind": c.kind, "proposer": names.get(p.team_id, "?"),
                    "proposer_id": p.team_id, "url": f"/league/challenges/{c.slug}",
                    "commitment": variants[0].commitment if variants else None}
            if c.id in outcomes:
                o = outcomes[c.id]
                item.update(solvers=[names.get(t, "?") for t in o.solvers], proposer_points=round(o.proposer_points, 3),
                            solver_points=round(o.solver_points, 3),
                            revealed=bool(variants) and all(v.revealed for v in variants),
                            key_url=f"/api/v1/league/challenges/{c.slug}/key")
            challenges.append(item)
        if result:
            out["standings"] = _standings(result.scores, names)
    out["challenges"] = challenges
    return out


def challenge_out(session, proposal: LeagueProposal, r: LeagueRound, chal, user) -> dict:
    """A published league challenge as the API and the page show it (the caller's team's variant)."""
    variant = variant_for(session, chal.id, user.team_id if user else None)
    return {"slug": chal.slug, "title": chal.title, "kind": chal.kind, "statement": chal.statement,
            "answer_help": chal.answer_help, "round": r.number, "round_phase": round_phase(r),
            "proposer_id": proposal.team_id, "commitment": variant.commitment,
            "bundle_url": f"/api/v1/league/challenges/{chal.slug}/bundle",
            "max_attempts": chal.max_attempts,
            "key_url": f"/api/v1/league/challenges/{chal.slug}/key" if variant.revealed else None}
