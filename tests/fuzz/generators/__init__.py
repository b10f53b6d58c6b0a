"""Seeded generators of fuzz cases for every input qattn reads.

:func:`generate` draws ``count`` cases from a weighted list of families (OpenQASM 2/3, QPY,
profile TOML, observables JSON, job stores, checkpoints, command-line options); case ``i`` of a
run with seed ``s`` depends only on ``(s, i)``, so any case can be regenerated alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.fuzz.case import Case
from tests.fuzz.fixtures import Fixtures

__all__ = ["family_table", "generate"]

Generator = Callable[[random.Random, Fixtures], Case]

_VALID_WEIGHT = 5
"""Weight of the plain valid circuit families: valid input is where false rejections hide."""


def _ignoring_fixtures(function: Callable[[random.Random], Case]) -> Generator:
    return lambda rng, fx: function(rng)


def family_table() -> list[tuple[str, int, Generator]]:
    """``(family, weight, generator)`` for every family."""
    from tests.fuzz.generators import (
        artifacts,
        observables,
        options,
        parameters,
        profiles,
        qasm,
        qpy_files,
        stores,
    )

    table: list[tuple[str, int, Generator]] = []
    for name, weight, function in qasm.FAMILIES:
        if name.endswith(".valid"):
            weight = _VALID_WEIGHT
        table.append((name, weight, _ignoring_fixtures(function)))
    for module in (qpy_files, profiles, artifacts, observables, parameters, stores, options):
        table += module.FAMILIES
    return table


def generate(count: int, seed: int, fixtures: Fixtures, families: str | None = None) -> list[Case]:
    """``count`` cases drawn with ``seed``.

    Args:
        count: how many cases.
        seed: the run's seed; case ``i`` is drawn from ``random.Random(f"{seed}:{i}")``.
        fixtures: the shared fixtures the cases read.
        families: only families whose name starts with this prefix. Defaults to all.
    """
    table = [row for row in family_table() if families is None or row[0].startswith(families)]
    if not table:
        raise ValueError(f"no fuzz family starts with {families!r}")
    weights = [weight for _, weight, _ in table]
    cases = []
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        _, _, generator = rng.choices(table, weights)[0]
        cases.append(generator(rng, fixtures))
    return cases
