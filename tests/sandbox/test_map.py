"""The normal path: exact values, per-input statuses, one-line failures, images, the shared pool."""

from __future__ import annotations

import textwrap

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interpctf.sandbox import BAD_VALUE, OK, RAISED, Limits, map_function

from sandbox_support import GOOD_SOURCE, GOOD_VALUES, PAIRS, TEST_LIMITS

ALL_PAIRS = numpy.array([(x, y) for x in range(113) for y in range(113)], dtype=numpy.int64)


def test_correct_answer_gives_exact_values_on_all_pairs(warm):
    source = textwrap.dedent("""
        import numpy as np
        def label(x, y):
            assert type(x) is int and type(y) is int
            return int(np.sqrt(np.float64(x * x + y * y)) > 80.0) ^ int((x - y) ** 2 % 113 < 40)
    """)
    result = warm.map(source, "label", ALL_PAIRS, unpack=True)
    x, y = ALL_PAIRS[:, 0], ALL_PAIRS[:, 1]
    expected = (numpy.sqrt((x * x + y * y).astype(float)) > 80.0).astype(int) ^ ((x - y) ** 2 % 113 < 40)
    assert result.ok and result.failure is None and result.first_error is None
    assert result.values.dtype == numpy.int64 and result.status.dtype == numpy.uint8
    numpy.testing.assert_array_equal(result.values, expected)


def test_large_and_negative_integers_round_trip(warm):
    source = "def f(x):\n    return [-(2 ** 63), 2 ** 63 - 1, -5, True, False][x]\n"
    result = warm.map(source, "f", numpy.arange(5).reshape(5, 1), unpack=True)
    assert result.ok
    assert result.values.tolist() == [-(2 ** 63), 2 ** 63 - 1, -5, 1, 0]


def test_numpy_integers_and_bools_count_as_integers(warm):
    source = textwrap.dedent("""
        import numpy as np
        def f(x):
            return [np.int8(-3), np.uint64(7), np.bool_(True), np.int64(x), 1.0, None, "1", np.float32(1)][x]
    """)
    result = warm.map(source, "f", numpy.arange(8).reshape(8, 1), unpack=True)
    assert result.values.tolist() == [-3, 7, 1, 3, 0, 0, 0, 0]
    assert result.status.tolist() == [OK] * 4 + [BAD_VALUE] * 4
    assert result.n_bad_values == 4 and result.n_exceptions == 0
    assert result.first_error == "returned a float, not a 64-bit integer (input 4)"


def test_per_input_exceptions_are_counted(warm):
    source = "def label(x, y):\n    return 100 // (x - 14) + 1\n"
    result = warm.map(source, "label", PAIRS, unpack=True)
    bad = PAIRS[:, 0] == 14
    assert result.failure is None
    assert result.n_exceptions == int(bad.sum()) > 0
    assert (result.status[bad] == RAISED).all() and (result.status[~bad] == OK).all()
    assert (result.values[bad] == 0).all()
    numpy.testing.assert_array_equal(result.values[~bad], 100 // (PAIRS[~bad, 0] - 14) + 1)
    first = int(numpy.flatnonzero(bad)[0])
    assert result.first_error == f"ZeroDivisionError: integer division or modulo by zero (input {first})"


def test_syntax_error_is_one_line(warm):
    result = warm.map("x = 1\n\ndef label(x, y)\n    return 1\n", "label", PAIRS, unpack=True)
    assert result.failure == "syntax error at line 3: expected ':'"
    assert (result.status == RAISED).all() and (result.values == 0).all()


def test_missing_function_is_one_line(warm):
    result = warm.map("def labels(x, y):\n    return 1\n", "label", PAIRS, unpack=True)
    assert result.failure == "no function 'label' defined"
    result = warm.map("label = 3\n", "label", PAIRS, unpack=True)
    assert result.failure == "'label' is not a function"


def test_error_at_import_time_is_one_line(warm):
    result = warm.map("import numpy\n\nx = 1 / 0\n", "label", PAIRS, unpack=True)
    assert result.failure == "error while loading the answer (line 3): ZeroDivisionError: division by zero"
    result = warm.map("import sklearn\n", "label", PAIRS, unpack=True)
    assert result.failure.startswith("error while loading the answer (line 1): ModuleNotFoundError")


def test_images_are_passed_as_float_arrays(warm):
    images = numpy.random.default_rng(0).integers(0, 17, size=(300, 8, 8)).astype(numpy.float64)
    source = textwrap.dedent("""
        import numpy as np
        def label(img):
            assert isinstance(img, np.ndarray) and img.shape == (8, 8) and img.dtype == np.float64
            img[0, 0] = 1e9  # a copy: must not change what the next call sees
            return int(img[2:6, 2:6].sum() > img.sum() / 2)
    """)
    result = warm.map(source, "label", images, unpack=False)
    copy = images.copy()
    copy[:, 0, 0] = 1e9
    expected = (copy[:, 2:6, 2:6].sum(axis=(1, 2)) > copy.sum(axis=(1, 2)) / 2).astype(int)
    assert result.ok
    numpy.testing.assert_array_equal(result.values, expected)


def test_process_limit_is_enforced(warm):
    # RLIMIT_NPROC holds although the grader runs as root: the answer runs as an unprivileged uid.
    source = textwrap.dedent("""
        import os, time
        def label(x, y):
            n = 0
            while n < 1000:
                try:
                    pid = os.fork()
                except OSError:
                    return n
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                n += 1
            return n
    """)
    result = warm.map(source, "label", PAIRS[:1], unpack=True)
    assert result.ok
    assert 1 <= int(result.values[0]) < TEST_LIMITS.processes


def test_empty_input_still_loads_the_answer(warm):
    empty = numpy.zeros((0, 2), dtype=numpy.int64)
    assert warm.map(GOOD_SOURCE, "label", empty, unpack=True).values.shape == (0,)
    assert warm.map("def label(:\n", "label", empty, unpack=True).failure.startswith("syntax error")


def test_bad_arguments_are_refused_before_running(warm):
    with pytest.raises(ValueError):
        warm.map(GOOD_SOURCE, "label", numpy.zeros((3, 2)), unpack=True)  # floats cannot be unpacked to ints
    with pytest.raises(ValueError):
        warm.map(GOOD_SOURCE, "not an identifier", PAIRS, unpack=True)
    with pytest.raises(ValueError):
        Limits(cpu_seconds=0)


def test_map_function_uses_a_shared_warm_sandbox(sandbox_ok):
    limits = Limits(wall_seconds=10)
    first = map_function(GOOD_SOURCE, "label", PAIRS, unpack=True, limits=limits)
    numpy.testing.assert_array_equal(first.values, GOOD_VALUES)
    result = map_function("def label(x, y):\n    while True: pass\n", "label", PAIRS[:1], unpack=True,
                          limits=Limits(cpu_seconds=1, wall_seconds=1.5))
    assert result.failure.startswith("time limit exceeded")
    again = map_function(GOOD_SOURCE, "label", PAIRS, unpack=True, limits=limits)
    numpy.testing.assert_array_equal(again.values, GOOD_VALUES)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.integers(-(2 ** 63), 2 ** 63 - 1), min_size=3, max_size=3), max_size=40))
def test_values_round_trip_exactly(warm, rows):
    inputs = numpy.array(rows, dtype=numpy.int64).reshape(len(rows), 3)
    source = "def f(a, b, c):\n    return [a, b, c][(a ^ b) % 3]\n"
    result = warm.map(source, "f", inputs, unpack=True)
    expected = [r[(r[0] ^ r[1]) % 3] for r in rows]
    assert result.ok and result.values.tolist() == expected
