"""``interpctf audit EVENT``: the streetlight audit (interpctf.audit) over a whole event's challenges and hints.

For each challenge: what its manifest's forge-time calibration says (which black-box solvers solve it bare),
then every hint, given as data to the kind's hint-aware solvers. Reads the database, writes nothing.
"""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from interpctf.audit import audit_hint
from interpctf.bundle import open_challenge, read_manifest
from interpctf.server.db import Database
from interpctf.server.models import Challenge, Hint, Variant


@dataclass(frozen=True)
class AuditRow:
    challenge: str
    item: str       # "challenge" or "hint N"
    verdict: str
    flagged: bool


def _bare(bundle: Path) -> AuditRow | None:
    calibration = read_manifest(bundle).calibration
    if calibration is None:
        return None
    solved = calibration.solved_by.get("black-box", [])
    verdict = f"FLAGGED: {', '.join(solved)} solves it bare" if solved else "passes (forge-time calibration)"
    return AuditRow("", "challenge", verdict, bool(solved))


def audit_event(database: Database, data_dir: Path, seconds: float = 120.0) -> list[AuditRow]:
    with database.read() as s:
        challenges = s.scalars(select(Challenge).order_by(Challenge.position, Challenge.id)).all()
        variants = {v.challenge_id: v for v in s.scalars(select(Variant).where(Variant.number == 0)).all()}
        hints = s.scalars(select(Hint).order_by(Hint.id)).all()
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
            rows.append(AuditRow(ch.slug, f"hint {hint.id}", result.line(), result.flagged))
    return rows


def audit_table(rows: list[AuditRow]) -> str:
    width = max([len(r.challenge) for r in rows] + [9])
    lines = [f"{'challenge':<{width}}  {'item':<9}  verdict"]
    lines += [f"{r.challenge:<{width}}  {r.item:<9}  {r.verdict}" for r in rows]
    return "\n".join(lines)


__all__ = ["AuditRow", "audit_event", "audit_table"]
