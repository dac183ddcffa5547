"""Tar archives from outside (bundles, league proposals), read header by header and refused at the first cap.

``TarFile.getmembers()`` reads every header before anything can be checked, so a small archive of 100,000 empty
members costs seconds and memory; here members are read one at a time and reading stops as soon as a count,
size or path cap is passed. Nothing is written before every header has passed.
"""

import tarfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from interpctf.errors import BadBundle


@dataclass(frozen=True)
class TarLimits:
    members: int = 2048              # a suite of 256 models (the config cap) is ~800 members
    total_bytes: int = 2 << 30
    member_bytes: int = 1 << 30
    depth: int = 16                  # path components
    path_chars: int = 512


def _check_member(member: tarfile.TarInfo, limits: TarLimits) -> None:
    name = member.name
    if len(name) > limits.path_chars:
        raise BadBundle(f"unsafe bundle archive: a path of {len(name)} characters (at most {limits.path_chars})")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise BadBundle(f"unsafe bundle archive: absolute path {name!r}")
    parts = name.split("/")
    if ".." in parts or ".." in PurePosixPath(name).parts or "\\" in name:
        raise BadBundle(f"unsafe bundle archive: path {name!r} leaves the bundle ('..')")
    if len([p for p in parts if p not in ("", ".")]) > limits.depth:
        raise BadBundle(f"unsafe bundle archive: {name!r} is nested over {limits.depth} folders deep")
    if member.issym() or member.islnk():
        raise BadBundle(f"unsafe bundle archive: {name!r} is a link")
    if not (member.isfile() or member.isdir()):
        raise BadBundle(f"unsafe bundle archive: {name!r} is not a regular file or folder")
    if member.size > limits.member_bytes:
        raise BadBundle(f"bundle archive member {name!r} is {member.size} bytes, over the "
                        f"{limits.member_bytes}-byte limit")


def checked_members(tar: tarfile.TarFile, limits: TarLimits = TarLimits()) -> list[tarfile.TarInfo]:
    """Every member of ``tar``, each checked as it is read; refuses at the first member past a cap."""
    members, total = [], 0
    while True:
        member = tar.next()
        if member is None:
            break
        if len(members) >= limits.members:
            raise BadBundle(f"bundle archive holds over {limits.members} members; refused")
        _check_member(member, limits)
        total += member.size
        if total > limits.total_bytes:
            raise BadBundle(f"bundle archive unpacks to over {limits.total_bytes} bytes; refused")
        members.append(member)
    return members
