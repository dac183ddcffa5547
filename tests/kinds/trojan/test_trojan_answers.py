"""Bad answers get one-line errors naming the problem; good ones in every format parse."""

import io
import json

import numpy as np
import pytest

from interpctf.errors import BadAnswer
from interpctf.kinds import get_kind
from interpctf.schema import AnswerFile

from fakes import fake_challenge

KIND = get_kind("trojan")


def challenge(answer: str, **public):
    base = {"answer": answer, "input_shape": [1, 16, 16], "num_classes": 10, "mask_budget": 30.0,
            "model_ids": ["m00", "m01", "m02"], "n_choices": 8}
    return fake_challenge("trojan", {"dataset": "digits", **base, **public})


def trig(target=3, mask=None, pattern=None):
    mask = np.zeros((16, 16)) if mask is None else mask
    pattern = np.zeros((1, 16, 16)) if pattern is None else pattern
    return {"target": target, "mask": np.asarray(mask).tolist(), "pattern": np.asarray(pattern).tolist()}


def parse(kind: str, data, name="a.json", **public):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return KIND.parse_answer(AnswerFile(name, raw), challenge(kind, **public))


@pytest.mark.parametrize("data, message", [
    (trig(mask=np.zeros((15, 16))), "'mask' has shape 15x16; expected 16x16"),
    (trig(pattern=np.zeros((3, 16, 16))), "'pattern' has shape 3x16x16"),
    ({**trig(), "mask": [[float("nan")] * 16] * 16}, "NaN or infinite"),
    (trig(mask=np.full((16, 16), 1.5)), "must lie in \\[0, 1\\]"),
    (trig(mask=np.ones((16, 16))), "over this challenge's budget of 30.00"),
    (trig(target=10), "'target' must be between 0 and 9"),
    (trig(target="3"), "'target' must be an integer"),
    ({"mask": [[0] * 16] * 16}, "no 'target' field"),
    ({**trig(), "mask": [[0, 1], [0]]}, "rectangular array"),
    (b"\xff\x00", "not valid JSON or .npz"),
    (b"[1, 2]", "JSON object"),
])
def test_bad_trigger_answers(data, message):
    with pytest.raises(BadAnswer, match=message) as info:
        parse("trigger", data)
    assert "\n" not in str(info.value)


def test_trigger_npz_and_one_channel_pattern_parse():
    buf = io.BytesIO()
    np.savez(buf, target=np.int64(4), mask=np.zeros((16, 16)), pattern=np.ones((16, 16)))
    answer = parse("trigger", buf.getvalue(), name="t.npz")
    assert answer.target == 4 and answer.pattern.shape == (1, 16, 16)
    with pytest.raises(BadAnswer, match="not a readable .npz"):
        parse("trigger", b"PK\x03\x04garbage", name="t.npz")


@pytest.mark.parametrize("scores, message", [
    ({"m00": 0.1, "m01": 0.2, "m02": 0.3, "m99": 0.5}, "unknown model id 'm99'"),
    ({"m00": 0.1, "m01": 0.2}, "no score for model 'm02'"),
    ({"m00": 0.1, "m01": 0.2, "m02": float("nan")}, "probability in \\[0, 1\\]"),
    ({"m00": 0.1, "m01": 1.2, "m02": 0.3}, "probability in \\[0, 1\\]"),
    ({"m00": "high", "m01": 0.2, "m02": 0.3}, "must be a number"),
])
def test_bad_detect_answers(scores, message):
    with pytest.raises(BadAnswer, match=message):
        parse("detect", {"scores": scores})
    with pytest.raises(BadAnswer, match="one probability per model id"):
        parse("detect", {"m00": 1})


def test_target_and_choice_answers():
    assert parse("target", {"target": 7}).target == 7
    assert parse("choice", {"choice": 7}).choice == 7
    with pytest.raises(BadAnswer, match="'choice' must be between 0 and 7"):
        parse("choice", {"choice": 8})
    with pytest.raises(BadAnswer, match="no 'target' field"):
        parse("target", {"class": 1})


def test_grade_target_and_choice_against_a_key():
    from interpctf.kinds.trojan.grader import grade_choice, grade_target

    ch = fake_challenge("trojan", secret={"target": 7, "choice": 2})
    assert grade_target(parse("target", {"target": 7}), ch).solved
    assert grade_target(parse("target", {"target": 6}), ch).score == 0.0
    assert grade_choice(parse("choice", {"choice": 2}), ch).score == 1.0
    assert not grade_choice(parse("choice", {"choice": 3}), ch).solved
