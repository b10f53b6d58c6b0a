"""Every numeric option value is checked before any work: property tests over all of them.

Each command reads a file that does not exist, so a value that passes its check ends in the
"cannot read" error and a value that fails ends in an error naming the option; either way one
line on stderr and exit code 2, and the option is named exactly when the value is out of range.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from qcompile.cli import main as qcompile_main
from runtime.cli import main as qrun_main

_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _run(main: Callable[[Sequence[str]], int], argv: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, [line for line in err.getvalue().splitlines() if line.strip()]


def _check(
    main: Callable[[Sequence[str]], int], argv: list[str], option: str, accepted: bool
) -> None:
    code, lines = _run(main, argv)
    assert code == 2, (argv, lines)
    assert len(lines) == 1, (argv, lines)
    assert (option in lines[0]) != accepted, (argv, lines)


@settings(max_examples=25, deadline=None)
@given(value=_NUMBERS)
def test_qrun_shots_must_be_a_positive_count(value: float) -> None:
    accepted = isinstance(value, int) and 1 <= value <= 2**30
    argv = ["sample", "/nonexistent/a.qpy", "--shots", str(value)]
    _check(qrun_main, argv, "--shots", accepted)


@settings(max_examples=25, deadline=None)
@given(value=_NUMBERS)
def test_qrun_noise_scale_must_be_finite_and_non_negative(value: float) -> None:
    accepted = math.isfinite(value) and value >= 0
    argv = ["sample", "/nonexistent/a.qpy", "--noise-scale", str(value)]
    _check(qrun_main, argv, "--noise-scale", accepted)


@settings(max_examples=25, deadline=None)
@given(value=_NUMBERS)
def test_qcompile_equivalence_timeout_must_be_positive_and_finite(value: float) -> None:
    accepted = math.isfinite(value) and value > 0
    argv = ["compile", "/nonexistent/c.qasm", "--equivalence-timeout", str(value)]
    _check(qcompile_main, argv, "--equivalence-timeout", accepted)


@settings(max_examples=25, deadline=None)
@given(value=st.integers(min_value=-(2**70), max_value=2**70))
def test_qcompile_seed_must_fit_a_signed_64_bit_integer(value: int) -> None:
    accepted = 0 <= value < 2**63
    argv = ["compile", "/nonexistent/c.qasm", "--seed", str(value)]
    _check(qcompile_main, argv, "--seed", accepted)
