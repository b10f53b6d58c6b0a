"""The ``qram_tree`` layout stage and the Aer-MPS semantic check of compiled queries."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager
from qiskit.transpiler.preset_passmanagers.plugin import list_stage_plugins

from hardware_profiles import load_profile
from qcompile.isa import check_isa
from qcompile.qram import BucketBrigade2QRAM, LeanBucketBrigadeQRAM, QRAMWords
from qcompile.qram.verify import compiled_query_fidelity


@pytest.fixture(scope="module")
def heron():
    return load_profile("heron_r2").target()


def words(n: int, seed: int = 2) -> QRAMWords:
    rng = np.random.default_rng(seed)
    return QRAMWords.bits([int(x) for x in rng.integers(0, 2, 1 << n)], b=1)


def test_qram_tree_is_an_installed_layout_stage():
    assert "qram_tree" in list_stage_plugins("layout")


@pytest.mark.parametrize("cls", [LeanBucketBrigadeQRAM, BucketBrigade2QRAM])
def test_qram_tree_stage_compiles_an_exact_isa_query(heron, cls):
    qram = cls(words(3))
    pm = generate_preset_pass_manager(3, target=heron, layout_method="qram_tree", seed_transpiler=1)
    isa = pm.run(qram.build())
    check_isa(isa, heron)
    assert compiled_query_fidelity(isa, qram.words) == pytest.approx(1.0, abs=1e-9)


def test_qram_tree_stage_keeps_a_given_initial_layout(heron):
    circuit = LeanBucketBrigadeQRAM(words(2)).build()
    chosen = list(range(20, 20 + circuit.num_qubits))
    pm = generate_preset_pass_manager(
        2, target=heron, layout_method="qram_tree", initial_layout=chosen, seed_transpiler=0
    )
    isa = pm.run(circuit)
    assert isa.layout.initial_index_layout(filter_ancillas=True) == chosen


def test_semantic_check_catches_a_wrong_word_and_a_dirty_ancilla(heron):
    good = words(3)
    isa = generate_preset_pass_manager(1, target=heron, seed_transpiler=0).run(
        LeanBucketBrigadeQRAM(good).build()
    )
    assert compiled_query_fidelity(isa, good) == pytest.approx(1.0, abs=1e-9)
    flipped = QRAMWords.bits([good.bit(i, 0) ^ (i == 5) for i in range(8)], b=1)
    assert compiled_query_fidelity(isa, flipped) < 0.99
    dirty = LeanBucketBrigadeQRAM(good).build()
    dirty.x(dirty.num_qubits - 1)  # a port left in |1>
    isa_dirty = generate_preset_pass_manager(1, target=heron, seed_transpiler=0).run(dirty)
    assert compiled_query_fidelity(isa_dirty, good) < 1e-6
