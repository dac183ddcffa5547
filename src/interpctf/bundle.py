"""Bundles (what is published), keys (the secret) and the commitment that binds them.

Layout of a forged challenge::

    DIR/bundle/challenge.json   manifest: id, kind, statement, answer format, commitment, baselines
    DIR/bundle/README.md        the challenge card
    DIR/bundle/model/           the model (Hugging Face layout: config.json + model.safetensors)
    DIR/bundle/examples/        example answers and inputs
    DIR/key.json                the key: secret, salt, reference answer, hashes of every file below
    DIR/key-files/              private files too big for JSON (probe sets, reference models)

``commitment = sha256(canonical_json(key))``. The key lists the SHA-256 of every bundle file and every key file,
so the commitment pins the exact published model and the private files too.
"""

import gzip
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from interpctf.canonical import sha256_file
from interpctf.errors import BadBundle, one_line
from interpctf.intake.archives import checked_members
from interpctf.schema import Challenge, Key, Manifest

MANIFEST_NAME = "challenge.json"
KEY_NAME = "key.json"
KEY_FILES_DIR = "key-files"
Model = TypeVar("Model", bound=BaseModel)


def file_hashes(root: Path, skip: set[str] = frozenset()) -> dict[str, str]:
    """SHA-256 of every regular file under ``root`` by POSIX relative path, sorted."""
    if not root.exists():
        return {}
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in skip:
            out[rel] = sha256_file(path)
    return out


def _read_model(path: Path, model: type[Model], what: str) -> Model:
    try:
        return model.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise BadBundle(f"{what} not found: {path}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BadBundle(f"{path} is not a valid {what}: {where}: {first['msg']}") from None
    except (OSError, ValueError) as exc:
        raise BadBundle(f"cannot read {what} {path}: {one_line(exc)}") from None


def bundle_root(path: Path) -> Path:
    """Accept a bundle directory, or a forge output directory holding ``bundle/``."""
    path = Path(path)
    if (path / MANIFEST_NAME).is_file():
        return path
    if (path / "bundle" / MANIFEST_NAME).is_file():
        return path / "bundle"
    raise BadBundle(f"{path} is not a bundle: no {MANIFEST_NAME} in it (unpack a .tar.gz with 'interpctf unpack')")


def key_path(path: Path) -> Path:
    """Accept ``key.json`` itself or the forge output directory holding it."""
    path = Path(path)
    if path.is_dir():
        path = path / KEY_NAME
    if not path.is_file():
        raise BadBundle(f"key not found: {path}")
    return path


def read_manifest(bundle: Path) -> Manifest:
    return _read_model(bundle_root(bundle) / MANIFEST_NAME, Manifest, "manifest")


def read_key(path: Path) -> Key:
    return _read_model(key_path(path), Key, "key")


def open_challenge(bundle: Path, key: Path | None = None) -> Challenge:
    """A :class:`Challenge` for grading (with ``key``) or for solving (without)."""
    root = bundle_root(bundle)
    challenge = Challenge(bundle_dir=root, manifest=read_manifest(root))
    if key is not None:
        kpath = key_path(key)
        challenge.key = read_key(kpath)
        challenge.key_dir = kpath.parent / KEY_FILES_DIR
        if challenge.key.id != challenge.manifest.id:
            raise BadBundle(f"key is for challenge {challenge.key.id!r} but the bundle is {challenge.manifest.id!r}")
    return challenge


class VerifyReport(BaseModel):
    ok: bool
    commitment_expected: str
    commitment_actual: str
    problems: list[str]


def verify(bundle: Path, key: Path) -> VerifyReport:
    """Check a revealed key against the bundle's published commitment and the files both name."""
    root = bundle_root(bundle)
    manifest = read_manifest(root)
    kpath = key_path(key)
    k = read_key(kpath)
    problems = []
    actual = k.commitment()
    if actual != manifest.commitment:
        problems.append("the key does not match the commitment published in the bundle")
    if k.id != manifest.id:
        problems.append(f"the key is for {k.id!r}, the bundle is {manifest.id!r}")
    published = file_hashes(root, skip={MANIFEST_NAME, "README.md"})
    if published != k.bundle_files:
        changed = sorted(set(published.items()) ^ set(k.bundle_files.items()))
        problems.append(f"bundle files differ from those the key names: {', '.join(sorted({n for n, _ in changed}))}")
    if file_hashes(kpath.parent / KEY_FILES_DIR) != k.key_files:
        problems.append("key files differ from those the key names")
    return VerifyReport(ok=not problems, commitment_expected=manifest.commitment, commitment_actual=actual,
                        problems=problems)


def pack(bundle: Path, out: Path) -> Path:
    """Write the bundle as a ``.tar.gz`` with one top-level folder named after the challenge id."""
    root = bundle_root(bundle)
    manifest = read_manifest(root)
    out = Path(out)
    tmp = out.with_name(out.name + ".part")
    # gzip with no file name and mtime 0 in its header: packing the same bundle twice gives the same bytes
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                raise BadBundle(f"refusing to pack a link: {path}")
            info = tar.gettarinfo(str(path), arcname=f"{manifest.id}/{path.relative_to(root).as_posix()}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0  # reproducible archives; and no timestamps to tell variants apart
            if path.is_file():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    os.replace(tmp, out)
    return out


def unpack(archive: Path, dest: Path) -> Path:
    """Unpack a bundle archive into ``dest`` and return the bundle directory; refuses unsafe members.

    Every header is checked (count, sizes, paths: :mod:`interpctf.intake.archives`) before anything is
    written, and extraction happens in a temporary folder that is moved into place only when complete, so a bad
    archive leaves nothing behind.
    """
    archive, dest = Path(archive), Path(dest)
    try:
        tar = tarfile.open(archive, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BadBundle(f"cannot read bundle archive {archive}: {one_line(exc)}") from None
    with tar:
        try:
            members = checked_members(tar)
        except (OSError, EOFError, tarfile.TarError) as exc:  # gzip and tar errors surface while reading headers
            raise BadBundle(f"cannot read bundle archive {archive}: {one_line(exc)}") from None
        tops = {Path(m.name).parts[0] for m in members if Path(m.name).parts}
        if len(tops) != 1:
            raise BadBundle("bundle archive must hold exactly one top-level folder")
        top = tops.pop()
        final = dest / top
        if final.exists():
            raise BadBundle(f"{final} already exists; remove it or unpack elsewhere")
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest))
        try:
            tar.extractall(staging, members=members, filter="data")
            bundle_root(staging / top)
            os.replace(staging / top, final)
        except tarfile.TarError as exc:
            raise BadBundle(f"unsafe or broken bundle archive: {one_line(exc)}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return final


def pack_bytes(bundle: Path) -> bytes:
    """The packed archive as bytes (for downloads)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pack(bundle, Path(tmp) / "bundle.tar.gz")
        return path.read_bytes()


__all__ = [
    "VerifyReport", "read_manifest", "read_key", "open_challenge", "verify", "pack", "unpack", "pack_bytes",
    "file_hashes", "bundle_root", "key_path", "MANIFEST_NAME", "KEY_NAME", "KEY_FILES_DIR"
]
