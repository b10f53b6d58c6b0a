"""Shared fixtures for the model-circuit tests: an IBM Heron target and an ISA checker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qiskit import QuantumCircuit
from qiskit.transpiler import PassManager, Target
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager
from qiskit_ibm_runtime.fake_provider import FakeFez


@pytest.fixture(scope="session")
def heron_target() -> Target:
    return FakeFez().target


@pytest.fixture(scope="session")
def heron_pm(heron_target: Target) -> PassManager:
    return generate_preset_pass_manager(
        optimization_level=1, target=heron_target, seed_transpiler=7
    )


@pytest.fixture(scope="session")
def assert_isa(
    heron_pm: PassManager, heron_target: Target
) -> Callable[[QuantumCircuit], QuantumCircuit]:
    """Transpile for FakeFez and assert every instruction is supported on its qubits."""

    def check(circuit: QuantumCircuit) -> QuantumCircuit:
        isa = heron_pm.run(circuit)
        for inst in isa.data:
            qargs = tuple(isa.find_bit(q).index for q in inst.qubits)
            name = inst.operation.name
            if name == "barrier":
                continue
            assert heron_target.instruction_supported(name, qargs), f"{name} on {qargs}"
        return isa

    return check
