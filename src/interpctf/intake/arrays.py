"""``.npz`` and ``.safetensors`` uploads, checked from their headers before a byte of array data is read.

An ``.npz`` is a zip of ``.npy`` files. We read the end-of-central-directory record (member count), the central
directory (names, declared sizes, compression), then each member's ``.npy`` header (dtype, shape, order) with
numpy's own header readers, and refuse anything the challenge does not expect before reading data. A
``.safetensors`` file is an 8-byte header length, a JSON header (dtype, shape, byte range of every tensor) and
the data; the header is checked whole (length, names, dtypes, shapes, offsets) before any tensor is loaded.
"""

import io
import json
import math
import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Mapping

import numpy as np
from numpy.lib import format as npy_format

from interpctf.errors import BadAnswer, InterpctfError

NPY_HEADER_BYTES = 10_000  # numpy's own default cap on an .npy header
MAX_COMPRESSION_RATIO = 200  # declared size / compressed size of a member; deflate reaches ~1000 on zeros
RATIO_APPLIES_ABOVE = 1 << 20  # small members may compress as well as they like: their size is capped anyway
MAX_DIRECTORY_BYTES = 1 << 16
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_EOCD_MAGIC = b"PK\x05\x06"


@dataclass(frozen=True)
class ArraySpec:
    """What one member may be: one of ``shapes``, a dtype whose kind is in ``kinds`` (no objects, ever)."""

    shapes: tuple[tuple[int, ...], ...]
    kinds: str = "biuf"

    def max_nbytes(self) -> int:
        return max(math.prod(s) for s in self.shapes) * 8  # itemsize is at most 8 (refused above that)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _zip_member_count(data: bytes, name: str) -> int:
    """The member count from the end-of-central-directory record, read before zipfile builds its member list."""
    at = data.rfind(_EOCD_MAGIC, max(0, len(data) - (1 << 16) - _EOCD.size))
    if at < 0 or at + _EOCD.size > len(data):
        raise BadAnswer(f"{name} is not a readable .npz file (no zip directory); save it with numpy.savez")
    _, _, _, _, total, directory_size, _, _ = _EOCD.unpack_from(data, at)
    if directory_size > MAX_DIRECTORY_BYTES:  # zipfile parses every entry the directory holds, whatever the count
        raise BadAnswer(f"{name} has a {directory_size}-byte zip directory; an answer's is under "
                        f"{MAX_DIRECTORY_BYTES} bytes")
    return total


def read_npz(data: bytes, fields: Mapping[str, ArraySpec], name: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` upload, each checked against ``fields`` (name -> spec) from its headers first.

    Members not named in ``fields`` are refused; a missing member is left to the caller's own message."""
    count = _zip_member_count(data, name)
    if count > len(fields):
        raise BadAnswer(f"{name} holds {count} arrays; expected at most {len(fields)} ({', '.join(fields)})")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise BadAnswer(f"{name} is not a readable .npz file ({type(exc).__name__}); save it with numpy.savez") \
            from None
    if len(infos) > len(fields):  # the record and the directory disagree: refuse rather than pick one
        raise BadAnswer(f"{name} holds {len(infos)} arrays; expected at most {len(fields)}")
    chosen: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        field = info.filename.removesuffix(".npy")
        if field not in fields or not info.filename.endswith(".npy"):
            raise BadAnswer(f"{name} holds an array named {info.filename!r}; expected only {', '.join(fields)}")
        if field in chosen:
            raise BadAnswer(f"{name} holds {field!r} twice")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BadAnswer(f"{name}: {field!r} is encrypted or compressed with an unknown method; use numpy.savez")
        cap = fields[field].max_nbytes() + NPY_HEADER_BYTES
        if info.file_size > cap:
            raise BadAnswer(f"{name}: {field!r} declares {info.file_size} bytes; at most {cap} fit this challenge")
        if info.file_size > RATIO_APPLIES_ABOVE and info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
            raise BadAnswer(f"{name}: {field!r} is compressed over {MAX_COMPRESSION_RATIO}:1; refused")
        chosen[field] = info
    out = {}
    with archive:
        for field, info in chosen.items():
            try:
                with archive.open(info) as fp:
                    out[field] = _read_npy(fp, fields[field], f"{name}: {field!r}")
            except (zipfile.BadZipFile, ValueError, EOFError, OSError, struct.error) as exc:
                if isinstance(exc, InterpctfError):
                    raise
                raise BadAnswer(f"{name}: {field!r} is not a readable .npy array ({type(exc).__name__}); "
                                f"save it with numpy.savez") from None
    return out


def _read_npy(fp: BinaryIO, spec: ArraySpec, what: str) -> np.ndarray:
    version = npy_format.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = npy_format.read_array_header_1_0(fp, max_header_size=NPY_HEADER_BYTES)
    elif version == (2, 0):
        shape, fortran, dtype = npy_format.read_array_header_2_0(fp, max_header_size=NPY_HEADER_BYTES)
    else:
        raise BadAnswer(f"{what}: .npy format version {version} is not accepted; save it with numpy.savez")
    if dtype.hasobject or dtype.kind not in spec.kinds or dtype.itemsize > 8 or dtype.fields:
        raise BadAnswer(f"{what} has dtype {dtype}; expected plain numbers")
    if tuple(shape) not in spec.shapes:
        want = " or ".join(_shape_text(s) for s in spec.shapes)
        raise BadAnswer(f"{what} has shape {_shape_text(tuple(shape))}; expected {want}")
    nbytes = math.prod(shape) * dtype.itemsize
    raw = fp.read(nbytes)
    if len(raw) != nbytes:
        raise BadAnswer(f"{what} is truncated ({len(raw)} of {nbytes} bytes)")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


def read_npy_file(path, spec: ArraySpec, what: str, error: type[InterpctfError] = BadAnswer) -> np.ndarray:
    """One ``.npy`` file, checked against ``spec`` from its header before its data is read; ``error`` is raised
    (one line) for anything else."""
    try:
        with open(path, "rb") as fp:
            return _read_npy(fp, spec, what)
    except BadAnswer as err:
        raise error(str(err)) from None
    except ValueError as err:  # numpy's header readers: not an .npy file, or a malformed header
        raise error(f"{what} is not a readable .npy file ({' '.join(str(err).split())[:200]})") from None


# --------------------------------------------------------------------------------------------- safetensors
MAX_SAFETENSORS_HEADER = 1 << 20  # a GPT-2-sized model's header is ~15 KB
_ST_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
                "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


@dataclass(frozen=True)
class TensorEntry:
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


def read_safetensors_header(fp: BinaryIO, size: int, what: str,
                            error: type[InterpctfError] = BadAnswer) -> dict[str, TensorEntry]:
    """Every tensor's dtype, shape and byte range, from a header checked whole against the file's ``size``."""
    head = fp.read(8)
    if len(head) != 8:
        raise error(f"{what} is not a readable safetensors file (shorter than its 8-byte header length)")
    n = int.from_bytes(head, "little")
    if n > MAX_SAFETENSORS_HEADER or 8 + n > size:
        raise error(f"{what} declares a {n}-byte header; at most {min(MAX_SAFETENSORS_HEADER, size - 8)} fit")
    try:
        header = json.loads(fp.read(n))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise error(f"{what} is not a readable safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise error(f"{what} is not a readable safetensors file (its header is not a JSON object)")
    data_size = size - 8 - n
    out = {}
    for tensor, meta in header.items():
        if tensor == "__metadata__":
            continue
        try:
            dtype, shape, (start, end) = meta["dtype"], tuple(meta["shape"]), meta["data_offsets"]
            ok = (dtype in _ST_ITEMSIZE and len(shape) <= 8
                  and all(type(d) is int and 0 <= d < 1 << 40 for d in (*shape, start, end)))
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            raise error(f"{what}: the header entry for {tensor!r} is malformed")
        if not start <= end <= data_size or end - start != math.prod(shape) * _ST_ITEMSIZE[dtype]:
            raise error(f"{what}: {tensor!r} declares bytes {start}..{end}, which do not fit its shape "
                        f"{list(shape)} of {dtype} in a {size}-byte file")
        out[tensor] = TensorEntry(dtype, shape, start, end)
    return out
