"""One registry for every extension point: built-ins load lazily, third-party entries come through entry points,
and a name registered twice is an error naming both sources."""

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from interpctf import registry as registry_module
from interpctf.kinds import get_kind, kind_names
from interpctf.kinds.base import Kind
from interpctf.registry import GROUPS, DuplicateEntry, Registry, UnknownEntry, registry


@pytest.fixture
def fake_module(monkeypatch):
    """A module ``fake_plugin`` holding ``Thing`` and ``OTHER``, importable by name."""
    module = types.ModuleType("fake_plugin")

    class Thing:
        name = "thing"

    Thing.__module__, Thing.__qualname__ = "fake_plugin", "Thing"
    module.Thing, module.OTHER = Thing, object()
    monkeypatch.setitem(sys.modules, "fake_plugin", module)
    return module


def test_the_built_in_groups_and_their_entries():
    assert GROUPS == ("kinds", "solvers", "queriers", "model_families", "sae_architectures", "lab_tasks")
    assert registry.names("kinds") == kind_names() == sorted(kind_names())
    assert {"labelfn", "trojan", "edit"} <= set(kind_names())
    cls = registry.get("kinds", "labelfn")
    assert isinstance(cls, type) and issubclass(cls, Kind) and isinstance(get_kind("labelfn"), cls)
    # a kind brings its querier, solvers and model families
    assert {"labelfn", "edit"} <= set(registry.names("queriers")) and "trojan" not in registry.names("queriers")
    assert {"labelfn/rulesearch", "labelfn/blackbox", "trojan/neural_cleanse", "reference", "trivial"} <= set(
        registry.names("solvers"))
    # installed third-party kinds (the example parity kind) add families of their own
    assert {"pairs-transformer", "digits-cnn", "mnist-cnn", "trojan-cnn", "world-gpt"} <= set(
        registry.names("model_families"))
    assert "topk" in registry.names("sae_architectures") and "sae-toy" in registry.names("lab_tasks")


def test_every_built_in_kind_names_a_reference_recipe_that_parses():
    from interpctf.recipe import load_recipe

    for name in kind_names():
        path = type(get_kind(name)).reference_recipe_path()
        assert path is not None and path.is_file(), name
        assert load_recipe(path).kind == name


def test_an_unknown_name_is_a_one_line_error_listing_the_known_ones():
    with pytest.raises(UnknownEntry, match=r"unknown kind 'nope'; known kinds: ") as info:
        get_kind("nope")
    assert "\n" not in str(info.value)
    assert str(info.value).endswith("known kinds: " + ", ".join(kind_names()))  # every one, sorted


def test_a_lazy_entry_is_imported_only_when_asked_for(fake_module, monkeypatch):
    reg = Registry()
    monkeypatch.delitem(sys.modules, "fake_plugin")
    reg.register("lab_tasks", "thing", "fake_plugin:Thing")
    assert "thing" in reg.names("lab_tasks") and "fake_plugin" not in sys.modules
    monkeypatch.setitem(sys.modules, "fake_plugin", fake_module)
    assert reg.get("lab_tasks", "thing") is fake_module.Thing


def test_a_duplicate_name_is_an_error_naming_both_sources(fake_module):
    reg = Registry()
    reg.register("lab_tasks", "thing", fake_module.Thing, source="package one")
    with pytest.raises(DuplicateEntry, match="lab_tasks 'thing' is registered twice: by package one and by "
                                             "package two"):
        reg.register("lab_tasks", "thing", fake_module.OTHER, source="package two")
    reg.names("kinds")
    with pytest.raises(DuplicateEntry, match="by interpctf \\(built-in .*labelfn.*\\) and by elsewhere"):
        reg.register("kinds", "labelfn", fake_module.Thing, source="elsewhere")


def test_a_module_registering_what_its_lazy_entry_names_is_no_duplicate(fake_module):
    reg = Registry()
    reg.register("lab_tasks", "thing", "fake_plugin:Thing")
    reg.register("lab_tasks", "thing", fake_module.Thing)  # e.g. the @register decorator, run on import
    assert reg.get("lab_tasks", "thing") is fake_module.Thing


def test_an_entry_point_naming_what_a_module_registered_on_import_is_no_duplicate(fake_module):
    reg = Registry()
    reg.register("lab_tasks", "thing", fake_module.Thing)  # imported (and registered) before the group loads
    reg.register("lab_tasks", "thing", "fake_plugin:Thing", source="entry point")
    assert reg.get("lab_tasks", "thing") is fake_module.Thing


def test_the_decorator_registers_under_the_name_attribute(fake_module, monkeypatch):
    reg = Registry()
    monkeypatch.setattr(registry_module, "registry", reg)
    registry_module.register("lab_tasks")(fake_module.Thing)
    registry_module.register("lab_tasks", "other")(fake_module.OTHER)
    assert {"other", "thing"} <= set(reg.names("lab_tasks"))
    assert reg.get("lab_tasks", "thing") is fake_module.Thing and reg.get("lab_tasks", "other") is fake_module.OTHER


def test_third_party_entries_come_through_entry_points(fake_module, monkeypatch):
    points = {"interpctf.lab_tasks": [EntryPoint("thing", "fake_plugin:Thing", "interpctf.lab_tasks")],
              "interpctf.kinds": [EntryPoint("trojan", "fake_plugin:Thing", "interpctf.kinds")]}
    monkeypatch.setattr(registry_module, "entry_points", lambda group: points.get(group, []))
    reg = Registry()
    assert "thing" in reg.names("lab_tasks") and reg.get("lab_tasks", "thing") is fake_module.Thing
    assert "entry point thing = fake_plugin:Thing" in reg.source("lab_tasks", "thing")
    with pytest.raises(DuplicateEntry, match="kinds 'trojan' is registered twice: by interpctf \\(built-in "
                                             ".*\\) and by entry point trojan = fake_plugin:Thing"):
        reg.names("kinds")
