"""Tree-aware layout: a valid placement, an exact compilation, fewer two-qubit gates."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from qiskit.transpiler import Target
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from hardware_profiles import load_profile
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.qram import BucketBrigade2QRAM, BucketBrigadeQRAM, QRAMWords
from qcompile.qram.tree_layout import (
    TreeLayout,
    interaction_weights,
    layout_cost,
    tree_layout,
    tree_layouts,
    two_qubit_count,
)


@pytest.fixture(scope="module")
def heron():
    return load_profile("heron_r2").target()


def words(n: int) -> QRAMWords:
    rng = np.random.default_rng(7)
    return QRAMWords.bits([int(x) for x in rng.integers(0, 2, 1 << n)], b=1)


@pytest.mark.parametrize("cls", [BucketBrigadeQRAM, BucketBrigade2QRAM])
@pytest.mark.parametrize("profile", ["heron_r2", "eagle_r3", "grid_10x10"])
def test_tree_layout_is_an_injective_map_onto_the_target(cls, profile):
    target = load_profile(profile).target()
    circuit = cls(words(4)).build()
    layout = tree_layout(circuit, target)
    physical = [layout[q] for q in circuit.qubits]
    assert len(set(physical)) == circuit.num_qubits
    assert all(0 <= p < target.num_qubits for p in physical)


def test_candidate_layouts_are_sorted_by_weighted_distance(heron):
    circuit = BucketBrigadeQRAM(words(3)).build()
    from qcompile.qram.tree_layout import _distances

    dist = _distances(heron)
    weights = interaction_weights(circuit)
    costs = [
        layout_cost(weights, [lay[q] for q in circuit.qubits], dist)
        for lay in tree_layouts(circuit, heron)
    ]
    assert costs == sorted(costs)
    # Every interacting pair at distance >= 1, so the cost is at least the total weight.
    assert costs[0] >= weights.sum() / 2


@pytest.mark.slow
@pytest.mark.parametrize("cls", [BucketBrigadeQRAM, BucketBrigade2QRAM])
def test_compiled_with_tree_layout_is_equivalent_to_logical(cls, heron):
    from mqt.qcec import verify
    from mqt.qcec.pyqcec import EquivalenceCriterion

    logical = cls(words(2)).build()
    pm = generate_preset_pass_manager(
        3, target=heron, initial_layout=tree_layout(logical, heron), seed_transpiler=0
    )
    compiled = pm.run(logical)
    # The ZX checker is inconclusive on T-heavy circuits; decision diagrams decide exactly.
    result = verify(logical, compiled, run_zx_checker=False, timeout=60)
    assert result.equivalence in (
        EquivalenceCriterion.equivalent,
        EquivalenceCriterion.equivalent_up_to_global_phase,
    )


def test_tree_layout_pass_sets_the_layout(heron):
    from qiskit.converters import circuit_to_dag
    from qiskit.transpiler import PassManager

    circuit = BucketBrigadeQRAM(words(2)).build()
    pm = PassManager([TreeLayout(heron)])
    pm.run(circuit)
    layout = pm.property_set["layout"]
    dag = circuit_to_dag(circuit)
    assert sorted(layout[q] for q in dag.qubits) == sorted(
        tree_layout(circuit, heron)[q] for q in circuit.qubits
    )


@pytest.mark.slow
def test_tree_layout_beats_default_o3_for_bucket_brigade_n16_on_heron(heron):
    circuit = BucketBrigadeQRAM(words(4)).build()
    default = generate_preset_pass_manager(3, target=heron, seed_transpiler=0).run(circuit)
    options = CompileOptions(optimization_level=3, equivalence_max_qubits=0, layouts="tree")
    tree = compile_circuit(circuit, heron, replace(options, tree_candidates=3)).circuit
    assert two_qubit_count(tree) < two_qubit_count(default)


def test_tree_layouts_option_keeps_the_best_of_its_candidates(heron: Target) -> None:
    """Independent of the pipeline: compile every candidate by hand and keep the fewest 2q."""
    circuit = BucketBrigade2QRAM(words(2)).build()
    by_hand = [
        generate_preset_pass_manager(3, target=heron, initial_layout=layout, seed_transpiler=0)
        for layout in tree_layouts(circuit, heron)[:2]
    ]
    by_hand.append(generate_preset_pass_manager(3, target=heron, seed_transpiler=0))
    counts = [two_qubit_count(pm.run(circuit)) for pm in by_hand]
    options = CompileOptions(
        optimization_level=3, layouts="both", tree_candidates=2, tree_stage=False
    )
    result = compile_circuit(circuit, heron, options)
    assert two_qubit_count(result.circuit) == min(counts)
    assert result.report.two_qubit_gates == min(counts)
    assert result.report.options["layouts"] == "both"
    assert result.report.equivalence["status"] == "equivalent"  # a full unitary: no known-|0>
