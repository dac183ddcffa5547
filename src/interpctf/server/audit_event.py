"""``interpctf audit EVENT``: the streetlight audit (interpctf.audit) over a whole event's challenges, hints and
league proposals.

For each challenge: what its manifest's forge-time calibration says (which black-box solvers solve it bare),
then every hint, given as data to the kind's hint-aware solvers. For each league proposal: what its sandboxed
check recorded (baselines and the audit's solvers on the proposer's bundle; a proposer's model is never loaded
here, outside the sandbox). Reads the database, writes nothing.
"""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from interpctf.audit import audit_hint
from interpctf.bundle import open_challenge
from interpctf.server.audit_jobs import calibration_verdict
from interpctf.server.db import Database
from interpctf.server.models import Challenge, Hint, LeagueProposal, LeagueRound, Team, Variant


@dataclass(frozen=True)
class AuditRow:
    challenge: str
    item: str       # "challenge", "hint N" or "proposal N"
    verdict: str
    flagged: bool


def _bare(bundle: Path) -> AuditRow | None:
    calibration = calibration_verdict(bundle)
    if not calibration["calibrated"]:
        return None
    solved = calibration["solved_by"]
    verdict = f"FLAGGED: {', '.join(solved)} solves it bare" if solved else "passes (forge-time calibration)"
    return AuditRow("", "challenge", verdict, bool(solved))


def proposal_verdict(check: dict) -> tuple[bool, str]:
    """One line from a proposal's recorded check: which black-box baselines or audit solvers solve it."""
    variants = (check or {}).get("variants") or []
    if not variants:
        return False, "not checked yet"
    solved = sorted({name for v in variants for group in ("baselines", "audit")
                     for name, run in (v.get(group) or {}).items() if run.get("solved")})
    audited = any(v.get("audit") for v in variants)
    if solved:
        return True, f"FLAGGED: {', '.join(solved)} solves it from the outside"
    return False, "passes (sandboxed check)" + ("" if audited else "; no audit solver for this kind")


def _proposal_rows(s) -> list[AuditRow]:
    q = (select(LeagueProposal, LeagueRound.number, Team.name).join(LeagueRound, LeagueRound.id == LeagueProposal.round_id)
         .join(Team, Team.id == LeagueProposal.team_id).order_by(LeagueProposal.id))
    rows = []
    for proposal, number, team in s.execute(q):
        flagged, verdict = proposal_verdict(proposal.check)
        rows.append(AuditRow(f"r{number}/{team}"[:60], f"proposal {proposal.id}", f"[{proposal.status}] {verdict}",
                             flagged))
    return rows


def audit_event(database: Database, data_dir: Path, seconds: float = 120.0) -> list[AuditRow]:
    with database.read() as s:
        challenges = s.scalars(select(Challenge).order_by(Challenge.position, Challenge.id)).all()
        variants = {v.challenge_id: v for v in s.scalars(select(Variant).where(Variant.number == 0)).all()}
        hints = s.scalars(select(Hint).order_by(Hint.id)).all()
        proposals = _proposal_rows(s)
    rows = []
    for ch in challenges:
        variant = variants.get(ch.id)
        if variant is None:
            continue
        bundle, key = Path(data_dir) / variant.bundle_path, Path(data_dir) / variant.key_path
        bare = _bare(bundle)
        rows.append(AuditRow(ch.slug, "challenge", bare.verdict, bare.flagged) if bare else
                    AuditRow(ch.slug, "challenge", "not calibrated (forge with --calibrate)", False))
        for hint in (h for h in hints if h.challenge_id == ch.id):
            result = audit_hint(open_challenge(bundle, key), hint.content, seconds)
            state = "" if hint.published else "[unpublished] "
            rows.append(AuditRow(ch.slug, f"hint {hint.id}", state + result.line(), result.flagged))
    return rows + proposals


def audit_table(rows: list[AuditRow]) -> str:
    width = max([len(r.challenge) for r in rows] + [9])
    item = max([len(r.item) for r in rows] + [9])
    lines = [f"{'challenge':<{width}}  {'item':<{item}}  verdict"]
    lines += [f"{r.challenge:<{width}}  {r.item:<{item}}  {r.verdict}" for r in rows]
    return "\n".join(lines)


__all__ = ["AuditRow", "audit_event", "audit_table"]
