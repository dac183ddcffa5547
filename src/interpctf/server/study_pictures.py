"""The study's candidate triggers as pictures: rendered from the challenge's key when the study opens (question
generation), stored in the study's folder, served to raters and admins.

Which candidate is true must not leak through the pictures' names or order: every picture gets a random token
(``secrets``) as its file name, the index from candidate to token lives beside them and is never served, and the
order is the questions' own (shuffled, seeded, in interpctf.rules.study). A kind that draws no pictures (the
default, :meth:`interpctf.kinds.base.Kind.study_pictures`) leaves the study showing the descriptions.
"""

import json
import os
import re
import secrets
import shutil
from pathlib import Path

from sqlalchemy import select

from interpctf.bundle import open_challenge
from interpctf.kinds import get_kind
from interpctf.rules.study import trojan_variant
from interpctf.server.errors import bad_request, not_found
from interpctf.server.models import Challenge, User
from interpctf.server.state import ServerState, variants_of

FOLDER = "study-pictures"
INDEX = "index.json"
_TOKEN = re.compile(r"[0-9a-f]{24}")
_CACHE: dict[Path, tuple[tuple[int, int], dict[str, str]]] = {}


def _folder(st: ServerState) -> Path:
    return st.data_dir / FOLDER


def _drawn_by_variant(st: ServerState, s, challenge_id: int, settings) -> dict[str, bytes]:
    """Trojan id or pool entry -> picture, every variant's planted triggers drawn from that variant's key (the
    pool's from the first variant that draws any, so each distractor is drawn once)."""
    wanted: dict[int, dict[str, str]] = {}  # variant -> its own trojan id -> the study's trojan id
    for trojan in settings.triggers:
        number, own = trojan_variant(trojan)
        wanted.setdefault(number, {})[own] = trojan
    variants = {v.number: v for v in variants_of(s, challenge_id)}
    missing = sorted(set(wanted) - set(variants))
    if missing:
        raise bad_request(f"triggers: the challenge has no variant {missing[0]} (it has {len(variants)}); "
                          "name a trojan 'v<N>/<id>' with N below that")
    out: dict[str, bytes] = {}
    pool = list(settings.pool)
    for number, own in sorted(wanted.items()):
        variant = variants[number]
        challenge = open_challenge(st.data_dir / variant.bundle_path, st.data_dir / variant.key_path)
        drawn = get_kind(challenge.manifest.kind).study_pictures(challenge, sorted(own), pool, settings.seed)
        out.update({own[t]: png for t, png in drawn.items() if t in own})
        if any(t in own for t in drawn):
            out.update({e: png for e, png in drawn.items() if e in pool})
            pool = []
    return out


def generate(st: ServerState, s, settings) -> int:
    """Render every candidate of the study (``settings``: interpctf.server.study.StudySettings) into a fresh
    folder that replaces the old one; returns how many pictures were written (0: the kind draws none)."""
    chal = s.scalars(select(Challenge).where(Challenge.slug == settings.challenge)).first()
    if chal is None:
        raise not_found(f"challenge: no challenge {settings.challenge!r}")
    drawn = _drawn_by_variant(st, s, chal.id, settings)
    # candidates are the triggers' descriptions and the pool's entries (interpctf.rules.study.candidates_for)
    by_candidate = {settings.triggers[t]: png for t, png in drawn.items() if t in settings.triggers}
    by_candidate.update({entry: png for entry, png in drawn.items() if entry in settings.pool})
    fresh = _folder(st).with_name(f".{FOLDER}.{secrets.token_hex(4)}")
    fresh.mkdir(parents=True)
    index = {}
    for candidate, png in sorted(by_candidate.items(), key=lambda _: secrets.randbits(32)):
        index[candidate] = token = secrets.token_hex(12)
        (fresh / f"{token}.png").write_bytes(png)
    (fresh / INDEX).write_text(json.dumps(index), "utf-8")
    old = _folder(st).with_name(f".{FOLDER}.old.{secrets.token_hex(4)}")
    if _folder(st).exists():
        os.replace(_folder(st), old)
    os.replace(fresh, _folder(st))
    shutil.rmtree(old, ignore_errors=True)
    _CACHE.pop(_folder(st) / INDEX, None)
    return len(index)


def open_with_pictures(st: ServerState, s):
    """Open the study (interpctf.server.study.open_study), its candidates' pictures generated first."""
    from interpctf.server import study

    draft = study.load(st)
    if draft.status == "draft":  # question generation: the pictures first, from the key
        generate(st, s, draft.settings)
    return study.open_study(st, s)


def tokens(st: ServerState) -> dict[str, str]:
    """Candidate -> picture token (empty when the study has no pictures); parsed once per version of the index."""
    path = _folder(st) / INDEX
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (info.st_mtime_ns, info.st_size)
    hit = _CACHE.get(path)
    if hit is None or hit[0] != stamp:
        hit = _CACHE[path] = (stamp, json.loads(path.read_text("utf-8")))
    return hit[1]


def with_pictures(st: ServerState, progress: dict) -> dict:
    """A rater's progress with the candidates' pictures (a token per candidate, in the candidates' order), and
    for an attention check the shown trigger's picture."""
    q = progress.get("question")
    index = tokens(st)
    if q is None or not index:
        return progress
    q = {**q, "pictures": [index.get(c) for c in q["candidates"]]}
    if q.get("attention_trigger"):
        q["attention_picture"] = index.get(q["attention_trigger"])
    return {**progress, "question": q}


def reveal_with_pictures(st: ServerState, rows: list[dict]) -> list[dict]:
    index = tokens(st)
    return [{**r, "picture": index.get(str(r["trigger"]))} for r in rows] if index else rows


def picture(st: ServerState, user: User, token: str) -> bytes:
    if user.role not in ("rater", "admin") or not _TOKEN.fullmatch(token):
        raise not_found(f"no picture {token[:40]}")
    path = _folder(st) / f"{token}.png"
    if not path.is_file():
        raise not_found(f"no picture {token[:40]}")
    return path.read_bytes()


__all__ = ["generate", "open_with_pictures", "tokens", "with_pictures", "reveal_with_pictures",
           "picture"]
