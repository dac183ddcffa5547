"""The open-problems catalogue: the shipped entries validate and cover the nine 2022 categories (3-5 entries each)
plus the SAE era; bad entries (unknown category, repeated id, difficulty out of range) get one line naming the
field; ``problems`` on recipes and lab configs is checked against it and leaves old dumps unchanged."""

import shutil
from types import SimpleNamespace

import pytest

from interpctf.card import _problems_text
from interpctf.catalogue import BadCatalogue, catalogue_dir, load_catalogue, parse_catalogue
from interpctf.errors import BadRecipe
from interpctf.lab.config import BadLabConfig, parse_config
from interpctf.recipe import parse_recipe

NINE_2022 = {"toy-language-models", "circuits-in-the-wild", "algorithmic-problems", "polysemanticity-superposition",
             "training-dynamics", "techniques-tooling", "image-models", "reinforcement-learning", "learned-features"}
CATS = [{"id": "image-models", "title": "Image models"}]
ENTRY = {"id": "img-x", "title": "X", "category": "image-models", "difficulty": 2, "statement": "Do X.",
         "references": [{"title": "Zoom In: An Introduction to Circuits", "year": 2020}]}


def test_the_shipped_catalogue_covers_the_2022_categories_and_the_sae_era():
    cat = load_catalogue()
    ids = {c.id for c in cat.categories}
    assert NINE_2022 <= ids and "sparse-autoencoders" in ids
    for c in ids:
        assert 3 <= len(cat.in_category(c)) <= 5, c
    titles = " ".join(e.title.lower() for e in cat.in_category("sparse-autoencoders"))
    for topic in ("absorption", "dead", "transcoder", "evaluate"):
        assert topic in titles
    assert all(e.references and all(r.year >= 2017 for r in e.references) for e in cat.entries)


@pytest.mark.parametrize("change, words", [
    ({"category": "astrology"}, "entry 'img-x': unknown category 'astrology'"),
    ({"difficulty": 4}, "field 'difficulty'"),
    ({"id": "Bad Id"}, "field 'id'"),
    ({"colour": "red"}, "field 'colour'"),
])
def test_a_bad_entry_is_one_line_naming_it(change, words):
    with pytest.raises(BadCatalogue) as err:
        parse_catalogue(CATS, {"x.yaml": [{**ENTRY, **change}]})
    assert words in str(err.value) and "\n" not in str(err.value)


def test_a_repeated_id_names_both_files():
    with pytest.raises(BadCatalogue, match="'img-x' is also defined in a.yaml"):
        parse_catalogue(CATS, {"a.yaml": [ENTRY], "b.yaml": [ENTRY]})


def test_the_catalogue_folder_can_be_overridden(tmp_path, monkeypatch):
    copy = tmp_path / "cat"
    shutil.copytree(catalogue_dir(), copy)
    monkeypatch.setenv("INTERPCTF_CATALOGUE", str(copy))
    assert catalogue_dir() == copy and len(load_catalogue().entries) == len(load_catalogue(copy).entries)
    monkeypatch.setenv("INTERPCTF_CATALOGUE", str(tmp_path / "missing"))
    with pytest.raises(BadCatalogue, match="no open-problems catalogue at .*INTERPCTF_CATALOGUE"):
        catalogue_dir()


def test_recipes_and_lab_configs_name_only_known_problems():
    recipe = {"kind": "trojan", "title": "t", "problems": ["tt-trigger-recovery", "no-such-problem"]}
    with pytest.raises(BadRecipe) as err:
        parse_recipe(recipe)
    assert str(err.value) == ("recipe: field 'problems': Value error, unknown problem 'no-such-problem'; list the "
                              "catalogue with `interpctf problems`")
    with pytest.raises(BadLabConfig, match="unknown problem 'nope'"):
        parse_config({"architecture": "topk", "k": 4, "problems": ["nope"]})


def test_problems_leave_old_dumps_and_config_hashes_unchanged():
    plain = parse_recipe({"kind": "trojan", "title": "t"})
    assert "problems" not in plain.model_dump()
    named = parse_recipe({"kind": "trojan", "title": "t", "problems": ["tt-trigger-recovery"]})
    assert named.model_dump()["problems"] == ["tt-trigger-recovery"]
    base = {"architecture": "topk", "k": 4}
    assert parse_config(base).hash() == parse_config({**base, "problems": ["sup-toy-models"]}).hash()


def test_the_card_names_the_problems():
    text = _problems_text(SimpleNamespace(manifest=SimpleNamespace(problems=["sae-transcoders"])))
    assert "## Open problems" in text and "`sae-transcoders`: Replace an MLP with a transcoder" in text
    assert _problems_text(SimpleNamespace(manifest=SimpleNamespace(problems=[]))) == ""
