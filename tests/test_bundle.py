"""Bundles, keys and commitments: tamper detection, safe packing and unpacking."""

import io
import json
import tarfile
from pathlib import Path

import pytest

from interpctf.bundle import pack, read_key, read_manifest, unpack, verify
from interpctf.canonical import canonical_json, sha256_hex
from interpctf.errors import BadBundle
from interpctf.schema import Key, ReferenceAnswer


def test_canonical_json_is_order_independent_and_compact():
    assert canonical_json({"b": 1, "a": [1, 2]}) == b'{"a":[1,2],"b":1}'
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_commitment_is_sha256_of_canonical_key():
    key = Key(id="c", kind="labelfn", salt="00" * 32, secret={"rule": "x"},
              reference_answer=ReferenceAnswer(filename="a.py", data_b64=""), bundle_files={})
    assert key.commitment() == sha256_hex(canonical_json(key.model_dump(mode="json")))
    salted = key.model_copy(update={"salt": "01" * 32})
    assert salted.commitment() != key.commitment()


def test_verify_accepts_the_true_key(pairs_challenge):
    report = verify(pairs_challenge / "bundle", pairs_challenge / "key.json")
    assert report.ok, report.problems
    assert report.commitment_actual == read_manifest(pairs_challenge / "bundle").commitment


def test_verify_rejects_a_tampered_key(pairs_challenge, tmp_path):
    data = json.loads((pairs_challenge / "key.json").read_text())
    data["secret"]["rule_source"] = "def label(x, y):\n    return 0\n"
    forged_key = tmp_path / "key.json"
    forged_key.write_text(json.dumps(data))
    report = verify(pairs_challenge / "bundle", forged_key)
    assert not report.ok
    assert "commitment" in report.problems[0]


def test_verify_rejects_a_swapped_model(pairs_challenge, tmp_path):
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(pairs_challenge / "bundle", bundle)
    weights = bundle / "model" / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 0xFF
    weights.write_bytes(bytes(raw))
    report = verify(bundle, pairs_challenge / "key.json")
    assert not report.ok and any("model/model.safetensors" in p for p in report.problems)


def test_pack_unpack_round_trip(pairs_challenge, tmp_path):
    archive = pack(pairs_challenge / "bundle", tmp_path / "b.tar.gz")
    again = pack(pairs_challenge / "bundle", tmp_path / "c.tar.gz")
    assert archive.read_bytes() == again.read_bytes()  # reproducible: no timestamps, no owners
    root = unpack(archive, tmp_path / "x")
    assert read_manifest(root) == read_manifest(pairs_challenge / "bundle")
    assert verify(root, pairs_challenge / "key.json").ok


def _archive(tmp_path: Path, members: list[tarfile.TarInfo], name: str = "evil.tar.gz") -> Path:
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            data = b"x" * info.size if info.isfile() else None
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, size: int = 1) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


@pytest.mark.parametrize("member, reason", [
    (_file("/etc/evil"), "absolute path"),
    (_file("b/../../evil"), "'..'"),
    (_file("../evil"), "'..'"),
])
def test_unpack_refuses_unsafe_paths(tmp_path, member, reason):
    archive = _archive(tmp_path, [_file("b/challenge.json"), member])
    with pytest.raises(BadBundle, match=reason):
        unpack(archive, tmp_path / "dest")
    assert not (tmp_path / "dest").exists() or not any((tmp_path / "dest").iterdir())
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize("link_type", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_unpack_refuses_links(tmp_path, link_type):
    link = tarfile.TarInfo("b/model")
    link.type = link_type
    link.linkname = "/etc/passwd"
    archive = _archive(tmp_path, [_file("b/challenge.json"), link])
    with pytest.raises(BadBundle, match="link"):
        unpack(archive, tmp_path / "dest")


def test_unpack_refuses_garbage(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(BadBundle, match="cannot read bundle archive"):
        unpack(junk, tmp_path / "dest")


def test_read_key_reports_the_bad_field(tmp_path):
    path = tmp_path / "key.json"
    path.write_text(json.dumps({"id": "x"}))
    with pytest.raises(BadBundle, match="not a valid key"):
        read_key(path)
