"""Closed-form resources agree with counts on the built circuits, for every registered kind."""

import time

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import CSwapGate

from hardware_profiles.errors import ResourceError
from qcompile.qram import CONSTRUCTIONS, CX_COST, QRAMWords, lowered_cx_count, measure_resources
from qcompile.qram.base import count_all_ops

COUNTED = (
    "qubits",
    "cswap",
    "toffoli",
    "swap",
    "cx_count",
    "rotations",
    "queries",
    "t_count",
    "measurements",
    "feed_forward",
)


def words_for(mode, n, b, rng):
    if mode == "bits":
        return QRAMWords.bits([int(x) for x in rng.integers(0, 1 << b, 1 << n)], b=b)
    return QRAMWords.angles([tuple(rng.uniform(-3, 3, b)) for _ in range(1 << n)], mode)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(CONSTRUCTIONS))
@pytest.mark.parametrize("b", [1, 4])
def test_analytic_resources_equal_built_counts(kind, b):
    rng = np.random.default_rng(b)
    cls = CONSTRUCTIONS[kind]
    for n in range(1, 9):
        for mode in ("bits", "ry", "phase") if n <= 6 else ("bits", "phase"):
            words = words_for(mode, n, b, rng)
            construction = cls(words)
            built = measure_resources(construction.build())
            analytic = construction.count()
            for name in COUNTED:
                assert getattr(built, name) == getattr(analytic, name), (name, n, mode)
            assert built.depth <= analytic.depth, (n, mode)
            if mode != "bits":  # angle words: the classmethod alone gives the same numbers
                assert cls.resources(n, b, mode, **construction.options()) == analytic


def test_cx_cost_table_matches_qiskit_decompositions():
    for name, cost in CX_COST.items():
        qc = QuantumCircuit(3)
        if name == "cswap_o0":
            qc.append(CSwapGate(ctrl_state=0), [0, 1, 2])
        elif name in ("cry", "crz", "cp"):
            getattr(qc, name)(0.3, 0, 1)
        else:
            gate = getattr(qc, name)
            gate(*range(2 if name in ("cx", "cz", "swap") else 3))
        lowered = transpile(qc, basis_gates=["cx", "u"], optimization_level=0)
        assert lowered.count_ops().get("cx", 0) == cost == lowered_cx_count(qc), name


@pytest.mark.parametrize("kind", [k for k in CONSTRUCTIONS if k != "oracle"])
def test_cx_count_equals_transpiled_cx_count(kind):
    rng = np.random.default_rng(0)
    for mode in ("bits", "ry", "phase"):
        construction = CONSTRUCTIONS[kind](words_for(mode, 3, 2, rng))
        lowered = transpile(construction.build(), basis_gates=["cx", "u"], optimization_level=0)
        # Gates inside feed-forward blocks count as if they run (the dynamic variants' fix-ups).
        assert count_all_ops(lowered).get("cx", 0) == construction.count().cx_count


def test_reference_counts_for_sixteen_words():
    bb = CONSTRUCTIONS["bucket-brigade"].resources(4, 1)
    assert (bb.qubits, bb.cswap, bb.swap) == (51, 104, 2 * (15 + 4) + 2)  # PennyLane BBQRAM
    bb2 = CONSTRUCTIONS["bb-2q"].resources(4, 1)
    assert (bb2.qubits, bb2.cswap) == (36, 52)
    qrom = CONSTRUCTIONS["qrom"].resources(4, 3)
    assert (qrom.qubits, qrom.toffoli) == (3 + 2 * 4 - 1, 2 * (16 - 2))
    mux = CONSTRUCTIONS["multiplexer"].resources(4, 1, "ry")
    assert (mux.qubits, mux.cx_count) == (5, 16)
    oracle = CONSTRUCTIONS["oracle"].resources(4, 1)
    assert (oracle.qubits, oracle.queries, oracle.cx_count) == (5, 1, 0)


def test_resources_scale_to_n20_without_building():
    start = time.perf_counter()
    for cls in CONSTRUCTIONS.values():
        for mode in ("bits", "ry", "phase"):
            res = cls.resources(24, 8, mode)
            assert res.qubits >= 32
    assert time.perf_counter() - start < 2.0
    assert CONSTRUCTIONS["bb-2q"].resources(20, 1).qubits == 20 + 1 + 1 + 2 * (2**20 - 1)


@pytest.mark.parametrize("kind", list(CONSTRUCTIONS))
@pytest.mark.parametrize(
    ("n", "b", "kw"),
    [(0, 1, {}), (2, 0, {}), (2, 1, {"ones": 9}), (31, 1, {}), (2, 1, {"mode": "x"})],
)
def test_impossible_sizes_raise_resource_error(kind, n, b, kw):
    with pytest.raises(ResourceError):
        CONSTRUCTIONS[kind].resources(n, b, **kw)


def test_select_swap_rejects_bad_block_bits():
    with pytest.raises(ResourceError):
        CONSTRUCTIONS["select-swap"](QRAMWords.bits([0, 1, 1, 0]), block_bits=3)
