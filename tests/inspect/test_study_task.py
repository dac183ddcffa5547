"""The study's Inspect task, its parts: a reply's choice, and samples built from an export (images and candidates
as input, no answer). The whole flow through the server with Inspect's mock model: tests/server/test_study_agents.py."""

import json

import pytest

pytest.importorskip("inspect_ai")

from interpctf.inspect.study_task import parse_choice, samples  # noqa: E402

PIXEL = "data:image/png;base64,iVBORw0KGgo="


def test_parse_choice_reads_the_last_answer_in_range():
    assert parse_choice("I think 2... ANSWER: 3", 8) == 2
    assert parse_choice("ANSWER: 1\nno wait, answer: 8", 8) == 7
    assert parse_choice("ANSWER: 9", 8) is None and parse_choice("no idea", 8) is None


def test_a_sample_holds_the_images_and_every_candidate(tmp_path):
    export = {"questions": [{"id": "q1", "images": [PIXEL, PIXEL], "candidates": ["a red cross", None],
                             "candidate_pictures": [None, PIXEL]}]}
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(export))
    (sample,) = samples(path)
    parts = sample.input[0].content
    assert sample.id == "q1" and sample.metadata == {"candidates": 2}
    assert [p.type for p in parts].count("image") == 3
    texts = [p.text for p in parts if p.type == "text"]
    assert "Candidate 1: a red cross" in texts and "Candidate 2:" in texts
