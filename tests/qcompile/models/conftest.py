"""Shared fixtures for the model-circuit tests: the Heron r2 target and an ISA checker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qiskit import QuantumCircuit
from qiskit.transpiler import PassManager, Target
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from hardware_profiles import load_profile
from qcompile.isa import isa_violations


@pytest.fixture(scope="session")
def heron_target() -> Target:
    return load_profile("heron_r2").target()


@pytest.fixture(scope="session")
def heron_pm(heron_target: Target) -> PassManager:
    return generate_preset_pass_manager(
        optimization_level=1, target=heron_target, seed_transpiler=7
    )


@pytest.fixture(scope="session")
def assert_isa(
    heron_pm: PassManager, heron_target: Target
) -> Callable[[QuantumCircuit], QuantumCircuit]:
    """Transpile for Heron r2 and assert the result passes qattn's ISA check."""

    def check(circuit: QuantumCircuit) -> QuantumCircuit:
        isa = heron_pm.run(circuit)
        assert isa_violations(isa, heron_target) == []
        return isa

    return check
