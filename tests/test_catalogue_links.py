"""Every reference recipe, lab task and lab config is linked to at least one catalogue entry (and loads with its
``problems`` validated); an entry linking to a missing challenge or task, or a recipe naming an unknown entry,
is one line."""

import pytest

from interpctf.catalogue import BadCatalogue, Entry, load_catalogue
from interpctf.catalogue_links import (RECIPES_DIR, build_links, default_links, lab_config_problems, listing,
                                       recipe_problems, task_problems)
from interpctf.lab.config import load_config_file
from interpctf.lab.sweep import load_grid
from interpctf.recipe import load_recipe


def test_every_reference_recipe_lab_task_and_lab_config_is_linked():
    recipes, tasks, configs = recipe_problems(), task_problems(), lab_config_problems()
    assert len(recipes) >= 10 and set(tasks) >= {"sae-toy", "sae-digits", "sae-lm"} and configs
    for what, named in (("recipe", recipes), ("lab task", tasks), ("lab config", configs)):
        unlinked = sorted(name for name, ids in named.items() if not ids)
        assert not unlinked, f"{what}s without problems: {unlinked}"
    for slug in recipes:  # the recipe models accept them (ids checked against the catalogue)
        assert load_recipe(RECIPES_DIR / f"{slug}.yaml").problems == recipes[slug]
    for name in configs:
        path = RECIPES_DIR / "lab" / name
        problems = load_grid(path).base["problems"] if "grid" in name else load_config_file(path).problems
        assert list(problems) == configs[name]
    links = default_links(load_catalogue())
    linked = {s for lk in links.values() for s in lk.challenges} | {t for lk in links.values() for t in lk.lab_tasks}
    assert set(recipes) | set(tasks) <= linked


def test_a_link_to_a_missing_challenge_or_task_is_one_line():
    cat = load_catalogue()
    entry = cat.entries[0]
    broken = cat.model_copy(update={"entries": [Entry(**{**entry.model_dump(), "challenges": ["no-such-recipe"]})]})
    with pytest.raises(BadCatalogue) as err:
        build_links(broken, {"pairs-2023": []}, {})
    assert str(err.value) == (f"catalogue entry {entry.id!r} links to challenge 'no-such-recipe', which is not a "
                              f"reference recipe (recipes/no-such-recipe.yaml)")
    broken = cat.model_copy(update={"entries": [Entry(**{**entry.model_dump(), "lab_tasks": ["sae-nope"]})]})
    with pytest.raises(BadCatalogue, match="links to lab task 'sae-nope', which is not registered"):
        build_links(broken, {}, {"sae-toy": []})
    with pytest.raises(BadCatalogue, match="recipe 'x' names unknown problem 'nope'"):
        build_links(cat, {"x": ["nope"]}, {})


def test_listing_filters_by_category_and_refuses_an_unknown_one():
    rows = listing("sparse-autoencoders")
    assert {r["category"] for r in rows} == {"sparse-autoencoders"} and any(r["links"]["lab_tasks"] for r in rows)
    with pytest.raises(BadCatalogue, match="unknown category 'nope'; choose one of toy-language-models"):
        listing("nope")
