"""Known-|0> routing: the analysis is exact and the cheaper swaps keep the query exact."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.converters import circuit_to_dag
from qiskit.transpiler import PassManager, StagedPassManager
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from hardware_profiles import load_profile
from qcompile.isa import check_isa
from qcompile.qram import LeanBucketBrigadeQRAM, QRAMWords
from qcompile.qram.known_zero import KnownZeroAnalysis, KnownZeroSwaps, known_zero_segments
from qcompile.qram.verify import compiled_query_fidelity


@pytest.fixture(scope="module")
def heron():
    return load_profile("heron_r2").target()


def test_segments_follow_the_values_of_every_input():
    qc = QuantumCircuit(3)
    qc.cx(0, 1)  # q1 copies the input
    qc.h(2)  # q2 leaves |0>
    qc.cx(0, 1)  # q1 back to |0> for every input
    qc.h(2)
    qc.ccx(0, 1, 2)  # q1 = 0, so nothing happens
    zero = known_zero_segments(circuit_to_dag(qc), num_inputs=1)
    q0, q1, q2 = qc.qubits
    assert zero[q0] == [False, False, False, False]
    assert zero[q1] == [True, False, True, True]
    assert zero[q2] == [True, False, True, True]


def test_segments_see_interference_of_superposed_branches():
    qc = QuantumCircuit(2)
    qc.h(1)
    qc.cz(0, 1)
    qc.h(1)  # q1 = input bit, not |0>
    zero = known_zero_segments(circuit_to_dag(qc), num_inputs=1)
    assert zero[qc.qubits[1]] == [True, False, False, False]


def _routed_cx(circuit, target, known_zero: bool) -> int:
    pm = generate_preset_pass_manager(3, target=target, seed_transpiler=3)
    stages = {"init": pm.init, "layout": pm.layout, "routing": pm.routing}
    if known_zero:
        stages["pre_layout"] = PassManager([KnownZeroAnalysis(4)])
        stages["post_routing"] = PassManager([KnownZeroSwaps()])
    routed = StagedPassManager(stages=["init", "layout", "routing"], **stages).run(circuit)
    lowered = transpile(routed, basis_gates=["cx", "u"], optimization_level=0)
    return lowered.count_ops().get("cx", 0)


@pytest.mark.slow
def test_known_zero_swaps_save_cx_and_keep_the_query_exact(heron):
    rng = np.random.default_rng(6)
    words = QRAMWords.bits([int(x) for x in rng.integers(0, 2, 8)], b=1)
    circuit = LeanBucketBrigadeQRAM(words).build()
    assert _routed_cx(circuit, heron, True) < _routed_cx(circuit, heron, False)
    pm = generate_preset_pass_manager(3, target=heron, seed_transpiler=3)
    pm.pre_layout = PassManager([KnownZeroAnalysis(4)])
    pm.post_routing = PassManager([KnownZeroSwaps()])
    isa = pm.run(circuit)
    check_isa(isa, heron)
    assert compiled_query_fidelity(isa, words) == pytest.approx(1.0, abs=1e-9)
