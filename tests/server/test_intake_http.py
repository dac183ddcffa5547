"""Bounded intake through HTTP: the 100,000-member tar and an oversized model config proposed to a league are a
one-line 400 before anything is unpacked or built; answers are parsed only after the rate limit, and a parser's
recursion limit is a one-line 422."""

import gzip
import json
import shutil
import tarfile
import tracemalloc

from server_support import player
from league_helpers import league_spec

from interpctf.bundle import pack


def _many_members(path):
    folder = tarfile.TarInfo("b")
    folder.type = tarfile.DIRTYPE
    with gzip.open(path, "wb") as gz:
        gz.write(folder.tobuf(tarfile.USTAR_FORMAT))
        gz.write(b"".join(tarfile.TarInfo(f"b/{i}").tobuf(tarfile.USTAR_FORMAT) for i in range(100_000)))
        gz.write(bytes(1024))
    return path.read_bytes()


def test_a_100k_member_bundle_proposal_is_refused_in_bounded_memory(server_factory, tiny, tmp_path):
    server = server_factory(league_spec())
    a = player(server, "alice")
    key = (tiny / "variants" / "000" / "key.json").read_bytes()
    archive = _many_members(tmp_path / "many.tar.gz")
    tracemalloc.start()
    r = a.post("/api/v1/league/rounds/1/proposals",
               files={"bundle": ("b.tar.gz", archive, "application/gzip"), "key": ("key.json", key)})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert r.status_code == 400 and "over 2048 members" in r.json()["detail"], r.text
    assert peak < 100 << 20
    assert a.get("/api/v1/league/rounds/1").status_code == 200
    assert not list((server.settings.data_dir).rglob("b/99999"))


def test_a_proposal_whose_config_declares_a_huge_model_is_refused_before_building_it(server_factory, tiny,
                                                                                     tmp_path):
    server = server_factory(league_spec())
    a = player(server, "alice")
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny / "variants" / "000" / "bundle", bundle)
    config = json.loads((bundle / "model" / "config.json").read_text())
    (bundle / "model" / "config.json").write_text(json.dumps({**config, "n_layer": 1000, "n_embd": 8192}))
    files = {"bundle": ("b.tar.gz", pack(bundle, tmp_path / "b.tar.gz").read_bytes()),
             "key": ("key.json", (tiny / "variants" / "000" / "key.json").read_bytes())}
    r = a.post("/api/v1/league/rounds/1/proposals", files=files)
    assert r.status_code == 400 and "n_layer" in r.json()["detail"] and "\n" not in r.json()["detail"]


def test_answers_are_parsed_after_the_rate_limit_and_deep_nesting_is_a_422(server_factory):
    server = server_factory(run_worker=False, wrong_per_minute=2)
    c = player(server, "nora")
    deep = b"x = " + b"-" * 300_000 + b"1\ndef label(x, y):\n    return 0\n"
    codes = [c.post("/api/v1/challenges/tiny/submissions", files={"file": ("deep.py", deep)}) for _ in range(3)]
    assert [r.status_code for r in codes] == [422, 422, 429]
    assert "nested too deeply" in codes[0].json()["detail"] and "\n" not in codes[0].json()["detail"]
    assert "per minute" in codes[2].json()["detail"]


def test_a_deeply_nested_recipe_proposal_is_a_one_line_400(server_factory):
    server = server_factory(league_spec())
    a = player(server, "olaf")
    recipe = "kind: labelfn\ntitle: x\nsecret: " + "[" * 5000 + "]" * 5000 + "\n"
    r = a.post("/api/v1/league/rounds/1/proposals", data={"recipe_text": recipe})
    assert r.status_code == 400 and "nested too deeply" in r.json()["detail"], r.text
