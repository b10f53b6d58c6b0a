"""Dynamic-circuit QRAM variants (measurement-based uncompute), checked with Aer's simulation.

The reference is the query semantics as a dense numpy matrix written from the definition
(:func:`tests.qcompile.qram.qram_sim.reference_matrix`), not from any construction. Aer runs the
built circuit, mid-circuit measurements and feed-forward included, on a random state of the
address and target registers (every amplitude non-zero, so every address is read at once) and
on every address basis state; the final state must equal the reference with every ancilla back
in ``|0>`` for every measurement record (several simulator seeds draw different records).
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator

from hardware_profiles import load_profile
from hardware_profiles.errors import CompileError
from qcompile.qram import CONSTRUCTIONS, QRAMWords, measure_resources
from qcompile.qram.measured import DYNAMIC_KINDS, check_dynamic_target

from .qram_sim import reference_matrix

SIM = AerSimulator(method="statevector")


def _words(mode: str, n: int, b: int, rng: np.random.Generator) -> tuple[QRAMWords, list]:
    if mode == "bits":
        values = [int(x) for x in rng.integers(0, 1 << b, 1 << n)]
        return QRAMWords.bits(values, b=b), values
    values = [tuple(float(a) for a in rng.uniform(-3, 3, b)) for _ in range(1 << n)]
    return QRAMWords.angles(values, mode), values


def _run(built: QuantumCircuit, psi: np.ndarray, seed: int) -> tuple[np.ndarray, int]:
    """Final state of ``built`` on ``psi`` (ancillas |0>), and the measurement record."""
    full = np.zeros(1 << built.num_qubits, dtype=complex)
    full[: len(psi)] = psi
    qc = QuantumCircuit(*built.qregs, *built.cregs)
    qc.set_statevector(full)
    qc.compose(built, inplace=True)
    qc.save_statevector()
    result = SIM.run(qc, shots=1, seed_simulator=seed).result()
    record = int(next(iter(result.get_counts())).replace(" ", ""), 2)
    return np.asarray(result.get_statevector()), record


def _fidelity(expected: np.ndarray, actual: np.ndarray) -> float:
    full = np.zeros_like(actual)
    full[: len(expected)] = expected
    return float(abs(np.vdot(full, actual)) ** 2)


@pytest.mark.parametrize("kind", DYNAMIC_KINDS)
@pytest.mark.parametrize("mode", ["bits", "ry", "phase"])
def test_every_address_and_superposition_match_the_reference(kind, mode):
    rng = np.random.default_rng(11)
    for n in range(1, 7 if mode == "bits" else 5):
        b = 1 if n > 3 else 2
        words, values = _words(mode, n, b, rng)
        built = CONSTRUCTIONS[kind](words).build()
        ref = reference_matrix(mode, n, b, values)
        dim = 1 << (n + b)
        psi = rng.normal(size=dim) + 1j * rng.normal(size=dim)
        psi /= np.linalg.norm(psi)
        records = set()
        for seed in range(4):
            out, record = _run(built, psi, seed)
            records.add(record)
            assert _fidelity(ref @ psi, out) == pytest.approx(1, abs=1e-9), (kind, mode, n, seed)
        if measure_resources(built).measurements:
            assert len(records) > 1, "every seed drew the same record: fix-ups not exercised"
        if mode == "bits":  # each address alone, target |0>: exactly |i>|d_i>|0...0>
            for i in range(1 << n):
                basis = np.zeros(dim, dtype=complex)
                basis[i] = 1
                out, _ = _run(built, basis, seed=i)
                assert _fidelity(ref @ basis, out) == pytest.approx(1, abs=1e-9), (kind, n, i)


@pytest.mark.parametrize("kind", DYNAMIC_KINDS)
def test_uncompute_toffolis_halved_against_the_unitary_kind(kind):
    unitary = CONSTRUCTIONS[kind.removesuffix("-mbu")]
    measured = CONSTRUCTIONS[kind]
    for n in range(2, 21):
        for b in (1, 8):
            options = {"block_bits": 1} if "select" in kind else {}
            u = unitary.resources(n, b, "ry", **options)
            m = measured.resources(n, b, "ry", **options)
            assert 2 * m.toffoli == u.toffoli, (n, b)
            assert m.measurements == m.feed_forward == u.toffoli - m.toffoli
            assert m.cswap == u.cswap and m.qubits == u.qubits
            # each uncompute Toffoli (6 CX) becomes one conditional CZ
            assert u.cx_count - m.cx_count == 5 * m.measurements


@pytest.mark.parametrize("kind", DYNAMIC_KINDS)
def test_refused_in_one_line_where_the_device_has_no_feed_forward(kind):
    check_dynamic_target(load_profile("heron_r2").target(), kind, "heron_r2")
    with pytest.raises(CompileError, match="feed-forward") as info:
        check_dynamic_target(load_profile("grid_10x10").target(), kind, "grid_10x10")
    assert "\n" not in str(info.value)
