"""A challenge made of facts alone (no files), for tests of answer parsing and grading that need no model."""

from pathlib import Path

from interpctf.schema import Challenge, Key, Manifest, ReferenceAnswer


def fake_challenge(kind: str, public: dict | None = None, secret: dict | None = None,
                   bundle_dir: Path = Path("/nonexistent")) -> Challenge:
    manifest = Manifest(id="fake", challenge="fake", kind=kind, title="fake", statement="", answer_format="",
                        answer_help="", public=public or {}, commitment="", interpctf_version="0")
    key = None if secret is None else Key(id="fake", kind=kind, salt="", secret=secret, bundle_files={},
                                          reference_answer=ReferenceAnswer(filename="", data_b64=""))
    return Challenge(bundle_dir=bundle_dir, manifest=manifest, key=key)
