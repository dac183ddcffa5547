"""The contract fails a kind that breaks it: a kind that leaks its secret into the bundle, has a baseline that
solves, answers bad input with several lines, renders no card and has a querier that neither counts nor
refuses. Run in a pytest of its own (a subprocess), so the broken kind never joins this session's registry."""

import re
import subprocess
import sys
import textwrap

import pytest

BROKEN_KIND_TESTS = textwrap.dedent('''
    import json
    from typing import Literal

    from interpctf.errors import BadAnswer
    from interpctf.registry import registry
    from interpctf.schema import AnswerFile
    from interpctf.testing import kind_contract
    from interpctf_kind_parity import ParityKind
    from interpctf_kind_parity.recipe import ParityRecipe


    class BrokenRecipe(ParityRecipe):
        kind: Literal["parity-broken"] = "parity-broken"


    def peek(challenge):
        """A baseline reading what the broken forge left in the bundle."""
        notes = json.loads((challenge.bundle_dir / "examples" / "notes.json").read_text())
        return AnswerFile("peek.json", json.dumps({"bits": notes["bits"]}).encode())


    class BrokenKind(ParityKind):
        name = "parity-broken"
        recipe_model = BrokenRecipe

        def forge(self, recipe, variant, seed, target, progress):
            forged = super().forge(recipe, variant, seed, target, progress)
            (target.examples_dir / "notes.json").write_text(json.dumps(forged.secret.stored()))  # the leak
            return forged

        def parse_answer(self, answer, challenge):
            try:
                return super().parse_answer(answer, challenge)
            except BadAnswer as exc:
                raise BadAnswer(f"cannot read the answer:\\n  {exc}") from None

        def baselines(self):
            return {**super().baselines(), "peek": peek}

        def card(self, challenge):
            return ""

        def querier(self):
            return lambda bundle_dir, meter: (lambda inputs: {"echo": json.loads(inputs)})


    registry.register("kinds", "parity-broken", BrokenKind)
    TestBroken = kind_contract("parity-broken", recipe={"kind": "parity-broken", "title": "broken", "seed": 7},
                               query="[[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]")
''')

EXPECTED_FAILURES = {
    "test_no_key_material_in_bundle",
    "test_baseline_does_not_solve[peek]",
    "test_card_renders_and_says_how_to_answer",
    "test_querier_answers_a_valid_query",
    *(f"test_malformed_answer_is_one_line_bad_answer[{case}]" for case in
      ("empty", "not-utf8", "truncated-json", "binary")),
    *(f"test_querier_rejects_a_malformed_query[{case}]" for case in ("not-json", "object", "empty-list", "string")),
}
EXPECTED_PASSES = {
    "test_registered_by_name", "test_facts_models_describe_what_is_stored", "test_bars_hold_as_recorded_and_remeasured", "test_reference_answer_solves",
    "test_has_a_baseline", "test_baseline_does_not_solve[empty]", "test_baseline_does_not_solve[single_bit]",
    "test_pack_unpack_verify_round_trips", "test_tampered_key_fails_verify", "test_tampered_model_fails_verify",
}


def test_contract_fails_exactly_the_broken_checks(tmp_path):
    try:
        import interpctf_kind_parity  # noqa: F401  (the broken kind is the example kind with faults added)
    except ImportError:
        pytest.fail("interpctf-kind-parity is not installed; run scripts/setup.sh")
    (tmp_path / "test_broken_kind.py").write_text(BROKEN_KIND_TESTS)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                          "test_broken_kind.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    outcomes = {name: outcome for outcome, name in
                re.findall(r"^(PASSED|FAILED|ERROR) test_broken_kind.py::TestBroken::(\S+)", run.stdout, re.M)}
    assert {n for n, o in outcomes.items() if o == "FAILED"} == EXPECTED_FAILURES, run.stdout[-4000:]
    assert {n for n, o in outcomes.items() if o == "PASSED"} == EXPECTED_PASSES, run.stdout[-4000:]
