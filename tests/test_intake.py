"""Bounded intake: archives, arrays, model configs and Python sources are checked from their headers, and the
zip bomb and the 100,000-member tar of the security review are refused in bounded memory on the real paths."""

import gzip
import io
import json
import struct
import tarfile
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from interpctf.bundle import unpack
from interpctf.errors import BadAnswer, BadBundle
from interpctf.intake.arrays import ArraySpec, read_npz, read_safetensors_header
from interpctf.intake.models import GPT2Config, check_models
from interpctf.kinds import get_kind
from interpctf.schema import AnswerFile

from fakes import fake_challenge

MEMORY_CAP = 100 << 20


def _peak(call) -> tuple[BaseException | None, int]:
    """Run ``call``; the exception it raised (or None) and the peak traced memory in bytes."""
    tracemalloc.start()
    try:
        call()
        raised = None
    except BaseException as exc:  # noqa: BLE001  (the refusal is what we measure)
        raised = exc
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return raised, peak


def _trigger_challenge(c=3, size=32):
    public = {"answer": "trigger", "input_shape": [c, size, size], "num_classes": 10, "mask_budget": 100.0}
    return fake_challenge("trojan", {"dataset": "digits", **public})


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------------ npz
def _deflated_zeros(head: bytes, n_zeros: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``head`` then ``n_zeros`` zero bytes, and its CRC-32, built in milliseconds: after
    a full flush the compressor starts afresh, so every further MiB of zeros compresses to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [c.compress(head), c.flush(zlib.Z_FULL_FLUSH)]
    mib, crc = bytes(1 << 20), zlib.crc32(head)
    block = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(n_zeros, 1 << 20)
    out.append(block * whole)
    for _ in range(whole):
        crc = zlib.crc32(mib, crc)
    out += [c.compress(bytes(rest)), c.flush()]
    return b"".join(out), zlib.crc32(bytes(rest), crc)


def zip_of_zero_arrays(arrays: dict[str, tuple[tuple[int, ...], str]]) -> bytes:
    """An .npz whose members are all-zero arrays (name -> (shape, dtype)), deflated; any declared size."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, (shape, dtype) in arrays.items():
        head = io.BytesIO()
        np.lib.format.write_array_header_1_0(head, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                                    "shape": shape})
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        data, crc = _deflated_zeros(head.getvalue(), size)
        fname, offset = f"{name}.npy".encode(), local.tell()
        sizes = (crc, len(data), len(head.getvalue()) + size, len(fname))
        local.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes, 0) + fname + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, *sizes, 0, 0, 0, 0,
                                  0, offset) + fname)
    n, cd = len(arrays), central.getvalue()
    return local.getvalue() + cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), local.tell(), 0)


def test_the_zip_bomb_is_refused_from_its_directory_in_bounded_memory():
    # the review's bomb: a trigger whose mask declares 16000x15000 float32 (960 MB) of zeros, about 1 MB zipped
    bomb = zip_of_zero_arrays({"target": ((), "<i8"), "mask": ((16000, 15000), "<f4"),
                               "pattern": ((3, 32, 32), "<f4")})
    assert len(bomb) < 1_100_000
    with np.load(io.BytesIO(bomb)) as npz:  # a well-formed archive: numpy would read it (lazily, here)
        assert npz.zip.getinfo("mask.npy").file_size > 960_000_000
    kind = get_kind("trojan")
    kind.parse_answer(AnswerFile("ok.json", b'{"target": 1, "mask": [[0]], "pattern": [[[0]]]}'),
                      _trigger_challenge(c=1, size=1))  # imports done: they are not the parser's memory
    raised, peak = _peak(lambda: kind.parse_answer(AnswerFile("t.npz", bomb), _trigger_challenge()))
    assert isinstance(raised, BadAnswer) and "'mask' declares" in str(raised), raised
    assert peak < MEMORY_CAP and "\n" not in str(raised)


def test_an_all_zero_trigger_built_the_same_way_is_accepted():
    ok = zip_of_zero_arrays({"target": ((), "<i8"), "mask": ((32, 32), "<f4"), "pattern": ((3, 32, 32), "<f4")})
    answer = get_kind("trojan").parse_answer(AnswerFile("t.npz", ok), _trigger_challenge())
    assert answer.target == 0 and answer.mask.shape == (32, 32) and not answer.pattern.any()


def test_a_good_npz_trigger_parses_in_either_order_and_dtype():
    mask = np.zeros((32, 32), np.float32)
    mask[:3, :3] = 1
    data = _npz(target=np.int32(4), mask=np.asfortranarray(mask), pattern=np.ones((3, 32, 32), np.float64))
    answer = get_kind("trojan").parse_answer(AnswerFile("t.npz", data), _trigger_challenge())
    assert answer.target == 4 and np.array_equal(answer.mask, mask) and answer.pattern.shape == (3, 32, 32)


@pytest.mark.parametrize("arrays, message", [
    ({"target": np.int64(1), "mask": np.zeros((32, 32)), "extra": np.zeros(3)}, "named 'extra.npy'"),
    ({"target": np.int64(1), "mask": np.zeros((31, 32))}, "'mask' has shape 31x32; expected 32x32"),
    ({"target": np.array(["3"]), "mask": np.zeros((32, 32))}, "expected plain numbers"),
    ({"target": np.float64(1.0)}, "expected plain numbers"),
    ({"target": np.array([object()], dtype=object)}, "expected plain numbers"),
])
def test_npz_members_are_checked_from_their_headers(arrays, message):
    spec = {"target": ArraySpec(((),), "iu"), "mask": ArraySpec(((32, 32),)), "pattern": ArraySpec(((3, 32, 32),))}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with pytest.raises(BadAnswer, match=message):
        read_npz(buf.getvalue(), spec, "t.npz")


def test_a_zip_directory_declaring_many_members_is_refused_before_it_is_parsed():
    data = bytearray(_npz(target=np.int64(1)))
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, at + 8, 60000, 60000)  # entries on this disk, entries in all
    with pytest.raises(BadAnswer, match="holds 60000 arrays"):
        read_npz(bytes(data), {"target": ArraySpec(((),))}, "t.npz")


def test_a_truncated_member_is_refused():
    data = _npz(mask=np.zeros((32, 32)))
    with pytest.raises(BadAnswer, match="not a readable"):
        read_npz(data[:60] + data[-200:], {"mask": ArraySpec(((32, 32),))}, "t.npz")


def test_json_triggers_are_capped_at_what_their_numbers_need():
    big = b'{"target": 1, "mask": [' + b"0.0, " * 200_000 + b'0.0]}'
    with pytest.raises(BadAnswer, match="bytes of JSON; this answer needs at most"):
        get_kind("trojan").parse_answer(AnswerFile("t.json", big), _trigger_challenge(c=1, size=16))
    deep = b'{"target": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(BadAnswer, match="not valid JSON"):
        get_kind("trojan").parse_answer(AnswerFile("t.json", deep), _trigger_challenge())


# ------------------------------------------------------------------------------------------------ safetensors
def _safetensors(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data


@pytest.mark.parametrize("blob, message", [
    ((1 << 40).to_bytes(8, "little") + b"{}", "declares a 1099511627776-byte header"),
    (_safetensors({"w": {"dtype": "F32", "shape": [100000, 100000], "data_offsets": [0, 4 * 10 ** 10]}}),
     "do not fit its shape"),
    (_safetensors({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, bytes(8)), "do not fit"),
    (_safetensors({"w": {"dtype": "X9", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)), "malformed"),
    (_safetensors({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8)), "malformed"),
    (_safetensors([1, 2]), "not a JSON object"),
    (b"1234", "shorter than its 8-byte header length"),
])
def test_safetensors_headers_are_checked_whole(blob, message):
    with pytest.raises(BadAnswer, match=message):
        read_safetensors_header(io.BytesIO(blob), len(blob), "deltas")


def test_revert_deltas_are_checked_against_the_model_before_loading(tmp_path):
    from safetensors.numpy import save, save_file

    from interpctf.kinds.edit.answers import parse_revert

    save_file({"h.0.w": np.zeros((4, 4), np.float32), "h.0.b": np.zeros(4, np.float32)},
              str(tmp_path / "model.safetensors"))
    ok = parse_revert(AnswerFile("r.safetensors", save({"h.0.w": np.ones((4, 4), np.float16)})), tmp_path)
    assert ok.deltas["h.0.w"].dtype == np.float32 and ok.deltas["h.0.w"].sum() == 16
    # a header that declares a huge tensor under a real name: refused from the header, nothing allocated
    huge = _safetensors({"h.0.w": {"dtype": "F32", "shape": [40000, 40000], "data_offsets": [0, 6_400_000_000]}})
    raised, peak = _peak(lambda: parse_revert(AnswerFile("r.safetensors", huge), tmp_path))
    assert isinstance(raised, BadAnswer) and peak < MEMORY_CAP
    for tensors, message in [({"h.9.w": np.zeros((4, 4), np.float32)}, "no parameter 'h.9.w'"),
                             ({"h.0.b": np.zeros(5, np.float32)}, "has shape \\(5,\\)"),
                             ({"h.0.b": np.zeros(4, np.int32)}, "floating point .* not I32")]:
        with pytest.raises(BadAnswer, match=message):
            parse_revert(AnswerFile("r.safetensors", save(tensors)), tmp_path)


# ------------------------------------------------------------------------------------------------------ tar
@pytest.fixture(scope="module")
def many_members(tmp_path_factory) -> Path:
    """The review's archive: one folder holding 100,000 empty files (~600 KB gzipped), headers written directly."""
    path = tmp_path_factory.mktemp("tar") / "many.tar.gz"
    folder = tarfile.TarInfo("b")
    folder.type = tarfile.DIRTYPE
    with gzip.open(path, "wb", compresslevel=6) as gz:
        gz.write(folder.tobuf(tarfile.USTAR_FORMAT))
        gz.write(b"".join(tarfile.TarInfo(f"b/{i}").tobuf(tarfile.USTAR_FORMAT) for i in range(100_000)))
        gz.write(bytes(1024))
    return path


def test_the_100k_member_tar_is_refused_in_bounded_memory_and_writes_nothing(many_members, tmp_path):
    raised, peak = _peak(lambda: unpack(many_members, tmp_path / "out"))
    assert isinstance(raised, BadBundle) and "over 2048 members" in str(raised), raised
    assert peak < MEMORY_CAP
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _tar(tmp_path: Path, *members: tarfile.TarInfo) -> Path:
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for m in members:
            tar.addfile(m, io.BytesIO(bytes(m.size)) if m.isfile() else None)
    return path


@pytest.mark.parametrize("name, size, message", [
    ("b/" + "/".join(["d"] * 20) + "/f", 0, "nested over 16 folders"),
    ("b/" + "x" * 600, 0, "a path of 602 characters"),
    ("b/../evil", 0, "leaves the bundle"),
    ("/etc/evil", 0, "absolute path"),
])
def test_tar_paths_are_bounded(tmp_path, name, size, message):
    info = tarfile.TarInfo(name)
    info.size = size
    with pytest.raises(BadBundle, match=message):
        unpack(_tar(tmp_path, info), tmp_path / "out")


def test_a_member_declaring_more_than_the_cap_is_refused_from_its_header(tmp_path):
    from interpctf.intake.archives import TarLimits, checked_members

    info = tarfile.TarInfo("b/big")
    info.size = 5000
    with tarfile.open(_tar(tmp_path, info)) as tar, pytest.raises(BadBundle, match="over the 4096-byte limit"):
        checked_members(tar, TarLimits(member_bytes=4096))


# ---------------------------------------------------------------------------------------------- model configs
def _bundle_with(tmp_path: Path, save) -> Path:
    root = tmp_path / "bundle"
    (root / "model").mkdir(parents=True, exist_ok=True)
    save(root / "model")
    return root


def test_the_families_models_pass_with_their_exact_parameter_counts(tmp_path):
    from transformers import GPT2Config as HFConfig, GPT2LMHeadModel

    from interpctf.nets import digits_cnn, mnist_cnn, small_cnn

    gpt = GPT2LMHeadModel(HFConfig(vocab_size=114, n_positions=3, n_embd=32, n_layer=1, n_head=4, n_inner=64,
                                   tie_word_embeddings=False))
    gpt.config.interpctf_family = "pairs-transformer"
    root = _bundle_with(tmp_path / "g", lambda d: gpt.save_pretrained(d))
    assert check_models(root, "labelfn") == sum(p.numel() for p in gpt.parameters())
    cnn = digits_cnn.DigitsCNN(8, 64)
    root = _bundle_with(tmp_path / "d", lambda d: digits_cnn.save(cnn, d))
    assert check_models(root, "labelfn") == sum(p.numel() for p in cnn.parameters())
    mnist = mnist_cnn.MnistCNN(4, 32)
    root = _bundle_with(tmp_path / "m", lambda d: mnist_cnn.save(mnist, d))
    assert check_models(root, "labelfn") == sum(p.numel() for p in mnist.parameters())
    suite = {f"m{i:02d}": small_cnn.SmallCNN(3, 16, 10) for i in range(3)}
    root = _bundle_with(tmp_path / "s", lambda d: small_cnn.save_suite(suite, d))
    assert check_models(root, "trojan") == sum(p.numel() for m in suite.values() for p in m.parameters())
    with pytest.raises(BadBundle, match="hold pairs-transformer or digits-cnn or mnist-cnn or image-mlp models"):
        check_models(root, "labelfn")


def test_every_model_family_has_an_intake_check():
    """A family a built-in kind declares must say, here, which configs it accepts and how many parameters they
    build. (A third-party kind's bundles have no intake check, so a league refuses them: see the next test.)"""
    from interpctf.intake import models
    from interpctf.kinds import kind_class
    from interpctf.registry import BUILTINS

    families = {f for k in BUILTINS["kinds"] for f in kind_class(k).model_families}
    assert set(models.FAMILIES) == families
    assert {f for fams in models.KIND_FAMILIES.values() for f in fams} == set(families)
    assert {k: set(f) for k, f in models.KIND_FAMILIES.items()} == {
        k: set(kind_class(k).model_families) for k in models.KIND_FAMILIES}


def test_a_kind_without_intake_checks_is_refused(tmp_path):
    """Fail closed: a bundle of a kind intake does not know (a third-party kind) holds no model it accepts."""
    from interpctf.intake.models import check_models

    root = _config_bundle(tmp_path, {"family": "parity-mlp", "n_bits": 10, "hidden": 32})
    with pytest.raises(BadBundle, match="bundles of kind 'parity' hold no models, not"):
        check_models(root, "parity")


def _config_bundle(tmp_path: Path, config: dict) -> Path:
    return _bundle_with(tmp_path, lambda d: (d / "config.json").write_text(json.dumps(config)))


GPT = {"interpctf_family": "world-gpt", "model_type": "gpt2", "n_layer": 4, "n_embd": 128, "n_head": 4,
       "vocab_size": 500, "n_positions": 64}


@pytest.mark.parametrize("change, message", [
    ({"n_layer": 10 ** 6}, "n_layer: Input should be less than or equal to 24"),
    ({"n_embd": 2048, "n_layer": 24, "n_head": 16}, "parameters; at most 25,000,000"),
    ({"vocab_size": 10 ** 9}, "vocab_size"),
    ({"model_type": "llama"}, "model_type"),
    ({"n_head": 3}, "not a multiple of n_head"),
    ({"interpctf_family": "digits-cnn"}, "bundles of kind 'edit' hold world-gpt or hf-causal-lm models, not 'digits-cnn'"),
    ({"padding": "x" * 70_000}, "a model config is at most"),
])
def test_configs_are_refused_before_any_model_is_built(tmp_path, change, message):
    with pytest.raises(BadBundle, match=message):
        check_models(_config_bundle(tmp_path, {**GPT, **change}), "edit")


def test_weights_declaring_more_than_the_config_builds_are_refused(tmp_path):
    root = _config_bundle(tmp_path, GPT)
    n = GPT2Config.model_validate(GPT).params()
    blob = _safetensors({"w": {"dtype": "F32", "shape": [n + 1], "data_offsets": [0, 4 * (n + 1)]}}, bytes(4 * (n + 1)))
    (root / "model" / "model.safetensors").write_bytes(blob)
    with pytest.raises(BadBundle, match="declares .* numbers; its config.json builds"):
        check_models(root, "edit")


def test_a_suite_id_cannot_leave_the_model_folder(tmp_path):
    config = {"interpctf_family": "trojan-cnn", "input_shape": [1, 16, 16], "num_classes": 10,
              "widths": [4, 4, 4], "suite": ["../../etc"]}
    with pytest.raises(BadBundle, match="not a plain name"):
        check_models(_config_bundle(tmp_path, config), "trojan")


# ----------------------------------------------------------------------------------------------------- source
@pytest.mark.parametrize("source", [
    "x = " + "-" * 500_000 + "1",        # the parser's stack: MemoryError
    "x = a" + "[0]" * 20_000,            # ast construction: RecursionError
    "x = " + "(" * 100_000 + ")" * 100_000,
])
def test_deeply_nested_answers_are_a_one_line_bad_answer(source):
    from interpctf.kinds.labelfn.answer import parse_program

    with pytest.raises(BadAnswer) as info:
        parse_program(AnswerFile("a.py", source.encode()), 2)
    assert "\n" not in str(info.value) and ("nested" in str(info.value) or "syntax error" in str(info.value))


def test_an_organizers_own_causal_lm_is_counted_from_above(tmp_path):
    """``hf-causal-lm`` bundles (the edit kind's ``base_model``): the count from config.json bounds the weights
    file of every family the editor knows, so a real model of each passes and an inflated weights file does not."""
    import json

    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    from interpctf.intake.models import check_models

    for i, cfg in enumerate([GPT2Config(n_layer=2, n_embd=32, n_head=4, vocab_size=300, n_positions=64),
                             LlamaConfig(num_hidden_layers=2, hidden_size=32, num_attention_heads=4,
                                         intermediate_size=64, vocab_size=300, max_position_embeddings=64)]):
        model_dir = tmp_path / f"b{i}" / "model"
        AutoModelForCausalLM.from_config(cfg).save_pretrained(model_dir)
        config = json.loads((model_dir / "config.json").read_text())
        (model_dir / "config.json").write_text(json.dumps({**config, "interpctf_family": "hf-causal-lm"}))
        actual = sum(p.numel() for p in AutoModelForCausalLM.from_config(cfg).parameters())
        counted = check_models(model_dir.parent, "edit")
        assert actual <= counted <= 3 * actual
        save_file({"w": __import__("torch").zeros(counted + 1)}, str(model_dir / "model.safetensors"))
        with pytest.raises(BadBundle, match="declares"):
            check_models(model_dir.parent, "edit")
