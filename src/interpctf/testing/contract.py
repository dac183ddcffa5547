"""The kind contract as a pytest test class: what every kind, built-in or third-party, must do.

``kind_contract(name)`` returns a class; bind it to a ``Test...`` name in a test module and pytest collects one
test per check (and one per baseline, malformed answer and malformed query)::

    from interpctf.testing import kind_contract

    TestParity = kind_contract("parity", query="[[0, 1, 0, 0, 0, 0, 0, 0, 0, 0]]")

The kind's reference recipe (``Kind.reference_recipe``, or ``recipe=``) is forged once per session into a
temporary folder; every check reads that one forged challenge.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import pytest

from interpctf.canonical import sha256_hex
from interpctf.errors import BadAnswer, InterpctfError
from interpctf.testing.leaks import leaks

if TYPE_CHECKING:
    from interpctf.kinds import AnyKind

# Answers no kind can grade: each must be refused at parsing with a one-line BadAnswer.
MALFORMED_ANSWERS = {
    "empty": b"",
    "not-utf8": b"\xff\xfe\x00\x81\x9c",
    "truncated-json": b'{"format": ',
    "binary": bytes(range(256)) * 4,
}
# Queries no querier can answer: each must be refused with a one-line InterpctfError.
MALFORMED_QUERIES = {"not-json": "not json [", "object": "{}", "empty-list": "[]", "string": '"0101"'}

QuerySpec = str | Callable[[Any], str]  # a JSON string of valid inputs, or a function of the Challenge giving one


@dataclass
class ForgedContract:
    """The forged challenge every check of one contract class reads."""

    kind: Any  # the Kind instance
    out: Path  # forge output folder: bundle/, key.json, key-files/
    challenge: Any  # interpctf.schema.Challenge with its key

    @property
    def bundle(self) -> Path:
        return self.out / "bundle"

    @property
    def key_path(self) -> Path:
        return self.out / "key.json"


_FORGED: dict[tuple[str, str], ForgedContract] = {}  # (kind, recipe digest) -> forged: once per session


def _one_line(message: str) -> None:
    assert message.strip(), "the error message is empty"
    assert "\n" not in message and "\r" not in message, f"the error message spans lines: {message!r}"
    assert "Traceback" not in message and 'File "' not in message, f"the error message holds a traceback: {message!r}"


def _load_recipe(kind_cls: "type[AnyKind]", recipe: Any) -> Any:
    from interpctf.kinds.base import Recipe
    from interpctf.recipe import load_recipe, parse_recipe

    if recipe is None:
        path = kind_cls.reference_recipe_path()
        if path is None:
            pytest.fail(f"kind {kind_cls.name} declares no reference_recipe; set it to a small recipe YAML in the "
                        f"kind's package, or pass recipe= to kind_contract")
        recipe = path
    if isinstance(recipe, Recipe):
        parsed = recipe
    elif isinstance(recipe, dict):
        parsed = parse_recipe(recipe, f"{kind_cls.name} contract recipe")
    else:
        parsed = load_recipe(Path(recipe))
    assert parsed.kind == kind_cls.name, f"the contract recipe is for kind {parsed.kind!r}, not {kind_cls.name!r}"
    # One variant is what every check reads; a reference recipe with several would forge them all for nothing.
    return parsed.model_copy(update={"variants": 1})


class KindContract:
    """The checks. Subclasses made by :func:`kind_contract` set the class attributes below."""

    kind_name: ClassVar[str]
    recipe: ClassVar[Any] = None
    query: ClassVar[QuerySpec | None] = None
    solving_baselines: ClassVar[dict[str, str]] = {}

    # ---- the forged challenge, once per kind and recipe per session -------------------------------------------
    @pytest.fixture(scope="class")
    @classmethod
    def forged(cls, tmp_path_factory: pytest.TempPathFactory) -> ForgedContract:
        from interpctf.bundle import open_challenge
        from interpctf.forge import forge
        from interpctf.kinds import get_kind

        kind = get_kind(cls.kind_name)
        recipe = _load_recipe(type(kind), cls.recipe)
        cache_key = (cls.kind_name, sha256_hex(recipe.model_dump_json().encode()))
        if cache_key not in _FORGED:
            out = tmp_path_factory.mktemp(f"contract-{cls.kind_name}") / "out"
            # The checks run every baseline themselves, on both probe splits; forging them too would double the cost.
            forge(recipe, out, f"{cls.kind_name}-contract", run_baselines=False)
            _FORGED[cache_key] = ForgedContract(kind, out, open_challenge(out / "bundle", out / "key.json"))
        return _FORGED[cache_key]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One test per baseline (named by the kind at collection), per malformed answer and per malformed query."""
        if "baseline" in metafunc.fixturenames:
            from interpctf.kinds import get_kind

            kind = get_kind(self.kind_name)
            params = []
            for name in sorted(kind.baselines()):
                reason = self.solving_baselines.get(name)
                # Only a white-box baseline may be let off, visibly: a black-box one that solves means the
                # challenge needs no look inside the model (the streetlight check), so it always fails.
                marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason and \
                    kind.baseline_access(name) == "white-box" else []
                params.append(pytest.param(name, marks=marks, id=name))
            unknown = sorted(set(self.solving_baselines) - set(kind.baselines()))
            assert not unknown, f"solving_baselines names no baseline of {self.kind_name}: {', '.join(unknown)}"
            metafunc.parametrize("baseline", params)
        if "malformed_answer" in metafunc.fixturenames:
            metafunc.parametrize("malformed_answer", list(MALFORMED_ANSWERS.values()), ids=list(MALFORMED_ANSWERS))
        if "malformed_query" in metafunc.fixturenames:
            metafunc.parametrize("malformed_query", list(MALFORMED_QUERIES.values()), ids=list(MALFORMED_QUERIES))

    # ---- registration -----------------------------------------------------------------------------------------
    def test_registered_by_name(self) -> None:
        from interpctf.kinds import get_kind, kind_names
        from interpctf.kinds.base import Kind

        assert self.kind_name in kind_names()
        kind = get_kind(self.kind_name)
        assert isinstance(kind, Kind) and kind.name == self.kind_name

    def test_facts_models_describe_what_is_stored(self, forged: ForgedContract) -> None:
        """The manifest's public facts and the key's secret read as the kind's models, and those models hold every
        field stored (a field outside them could only be read by string key)."""
        kind, challenge = forged.kind, forged.challenge
        assert kind.public(challenge).stored() == challenge.manifest.public
        assert kind.secret(challenge).stored() == challenge.key.secret

    # ---- forging guarantees its bars --------------------------------------------------------------------------
    def test_bars_hold_as_recorded_and_remeasured(self, forged: ForgedContract) -> None:
        key, manifest = forged.challenge.key, forged.challenge.manifest
        quality = key.quality
        assert quality is not None and quality.bars, "the kind declares no quality bars (Recipe.default_bars)"
        assert 1 <= len(quality.attempts) <= quality.max_attempts and quality.attempts[-1].passed
        measured = forged.kind.measure(forged.challenge)
        for bar in quality.bars:
            assert bar.met(key.metrics.get(bar.metric)), f"{bar.name}: forged figure {key.metrics.get(bar.metric)}"
            if bar.metric in measured:  # re-measured from the published model, as `interpctf check` does
                assert bar.met(measured[bar.metric]), f"{bar.name}: re-measured figure {measured[bar.metric]}"
        assert manifest.quality is not None and all(check.met for check in manifest.quality.checks)

    # ---- the plant is real: the reference answer solves, baselines do not -------------------------------------
    def test_reference_answer_solves(self, forged: ForgedContract) -> None:
        kind, challenge = forged.kind, forged.challenge
        answer = kind.parse_answer(challenge.key.reference_answer.file(), challenge)
        assert answer.format == challenge.manifest.answer_format
        grade = kind.grade(answer, challenge)
        assert grade.solved and grade.public_solved, grade.details
        assert 0.0 <= grade.score <= 1.0 and 0.0 <= grade.public_score <= 1.0

    def test_has_a_baseline(self, forged: ForgedContract) -> None:
        assert forged.kind.baselines(), "a kind shows that trivial answers fail: give it at least one baseline"

    def test_baseline_does_not_solve(self, forged: ForgedContract, baseline: str) -> None:
        kind, challenge = forged.kind, forged.challenge
        answer_file = kind.baselines()[baseline](challenge.public_view())  # a baseline never sees the key
        grade = kind.grade(kind.parse_answer(answer_file, challenge), challenge)
        assert not grade.solved and not grade.public_solved, f"baseline {baseline} solves: {grade.details}"

    # ---- the bundle holds no key material ---------------------------------------------------------------------
    def test_no_key_material_in_bundle(self, forged: ForgedContract) -> None:
        assert leaks(forged.bundle, forged.challenge.key) == []
        # the pieces of the key really are in key.json, so the search above can find what it looks for
        assert leaks(forged.key_path.parent, forged.challenge.key)

    # ---- the commitment: pack, unpack, verify; tampering is caught --------------------------------------------
    def test_pack_unpack_verify_round_trips(self, forged: ForgedContract, tmp_path: Path) -> None:
        from interpctf.bundle import file_hashes, pack, unpack, verify

        archive = pack(forged.bundle, tmp_path / "bundle.tar.gz")
        assert pack(forged.bundle, tmp_path / "again.tar.gz").read_bytes() == archive.read_bytes()  # reproducible
        unpacked = unpack(archive, tmp_path / "unpacked")
        assert file_hashes(unpacked) == file_hashes(forged.bundle)
        report = verify(unpacked, forged.key_path)
        assert report.ok, report.problems

    def test_tampered_key_fails_verify(self, forged: ForgedContract, tmp_path: Path) -> None:
        from interpctf.bundle import verify

        copy = tmp_path / "key"
        shutil.copytree(forged.out, copy, ignore=shutil.ignore_patterns("bundle"))
        assert verify(forged.bundle, copy).ok  # the copy itself verifies: only the change below can fail it
        key = json.loads((copy / "key.json").read_text())
        key["secret"] = {**key["secret"], "tampered": True}
        (copy / "key.json").write_text(json.dumps(key, indent=1))
        report = verify(forged.bundle, copy)
        assert not report.ok and any("commitment" in problem for problem in report.problems), report.problems

    def test_tampered_model_fails_verify(self, forged: ForgedContract, tmp_path: Path) -> None:
        from interpctf.bundle import verify

        bundle = shutil.copytree(forged.bundle, tmp_path / "bundle")
        biggest = max((p for p in (bundle / "model").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
        data = bytearray(biggest.read_bytes())
        data[len(data) // 2] ^= 0xFF
        biggest.write_bytes(bytes(data))
        report = verify(bundle, forged.key_path)
        assert not report.ok and any(biggest.name in problem for problem in report.problems), report.problems

    # ---- bad input gets one line ------------------------------------------------------------------------------
    def test_malformed_answer_is_one_line_bad_answer(self, forged: ForgedContract, malformed_answer: bytes) -> None:
        from interpctf.schema import AnswerFile

        suffix = Path(forged.challenge.key.reference_answer.filename).suffix  # the kind's own file type
        with pytest.raises(BadAnswer) as refused:
            forged.kind.parse_answer(AnswerFile(f"malformed{suffix}", malformed_answer), forged.challenge)
        _one_line(str(refused.value))

    # ---- the card ---------------------------------------------------------------------------------------------
    def test_card_renders_and_says_how_to_answer(self, forged: ForgedContract) -> None:
        from interpctf.bundle import open_challenge
        from interpctf.card import render_card

        manifest = forged.challenge.manifest
        own = forged.kind.card(open_challenge(forged.bundle))
        assert own.strip(), "the kind's card (Kind.card) is empty: say how to load the model and what to answer"
        card = (forged.bundle / "README.md").read_text()
        assert card == render_card(forged.kind, open_challenge(forged.bundle))  # the card is a function of the bundle
        assert own in card and manifest.answer_help.strip() and manifest.answer_help in card
        assert f"answer format: `{manifest.answer_format}`" in card

    # ---- the agent's query tool -------------------------------------------------------------------------------
    def _query_tool(self, forged: ForgedContract) -> tuple[Callable[[str], Any], Any]:
        from interpctf.solvers.budget import QueryMeter, SolverBudget

        querier = forged.kind.querier()
        if querier is None:
            pytest.skip(f"kind {self.kind_name} has no querier (its agents work from the bundle alone)")
        meter = QueryMeter(SolverBudget(max_queries=100_000))
        return querier(forged.bundle, meter), meter

    def test_querier_answers_a_valid_query(self, forged: ForgedContract) -> None:
        query, meter = self._query_tool(forged)
        if self.query is None:
            pytest.fail(f"kind {self.kind_name} has a querier: pass query= (a JSON string of valid inputs) to "
                        f"kind_contract")
        inputs = self.query(forged.challenge.public_view()) if callable(self.query) else self.query
        reply = query(inputs)
        assert reply not in (None, "", [], {}), "the querier answered nothing"
        json.dumps(reply)  # JSON-able: the agent's tool sends it as is
        assert meter.used > 0, "the query spent nothing from the meter: queries must count against the budget"

    def test_querier_rejects_a_malformed_query(self, forged: ForgedContract, malformed_query: str) -> None:
        query, _ = self._query_tool(forged)
        with pytest.raises(InterpctfError) as refused:
            query(malformed_query)
        _one_line(str(refused.value))


def kind_contract(kind_name: str, recipe: Any = None, *, query: QuerySpec | None = None,
                  marks: tuple[Any, ...] | list[Any] = (),
                  solving_baselines: dict[str, str] | None = None) -> type[KindContract]:
    """A pytest test class running the kind contract over kind ``kind_name``; assign it to a ``Test...`` name.

    ``recipe``: the recipe to forge (a path to YAML, a dict, or a parsed Recipe); default the kind's
    ``reference_recipe``. ``query``: valid inputs for the kind's querier, as a JSON string or a function of the
    public Challenge returning one (required when the kind has a querier). ``marks``: pytest marks for every
    check (e.g. ``pytest.mark.slow`` for a kind whose reference recipe takes minutes). ``solving_baselines``:
    white-box baselines known to solve this recipe, name -> why; their checks are reported as xfail (xpass when
    they do not solve), never silently passed. A black-box baseline is never let off.
    """
    name = "".join(part.capitalize() for part in kind_name.replace("-", "_").split("_"))
    namespace: dict[str, Any] = {"kind_name": kind_name, "recipe": recipe, "pytestmark": list(marks),
                                 "solving_baselines": dict(solving_baselines or {}),
                                 "__module__": KindContract.__module__, "__doc__": f"The kind contract over {kind_name}."}
    if query is not None:
        # a function stored on a class becomes a method; staticmethod keeps it a plain function of the challenge
        namespace["query"] = staticmethod(query) if callable(query) else query
    return type(f"Test{name}KindContract", (KindContract,), namespace)
