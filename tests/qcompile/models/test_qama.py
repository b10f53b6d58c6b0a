from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector
from scipy.optimize import minimize

from hardware_profiles.errors import ResourceError
from qcompile.models import (
    attention_couplings,
    build_qama_qaoa,
    count_resources,
    qama_ising,
    qama_qaoa_resources,
    qama_qubo,
    qubo_energy,
    qubo_to_ising,
    solve_qubo_annealing,
    solve_qubo_exact,
    sparsify_couplings,
)
from qcompile.models.qama_reference import (
    qama_qubo_reference,
    qaoa_reference_state,
    qubo_energy_table,
)
from qcompile.models.state_tensor import rx_matrix


def _couplings(heads: int, tokens: int, seed: int, dim: int = 4, batch: tuple[int, ...] = ()):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.normal(size=(*batch, heads, tokens, dim)) for _ in range(3))
    e2v = rng.normal(size=dim)
    return q, k, v, e2v


def _qubo(heads: int, tokens: int, seed: int) -> np.ndarray:
    q, k, v, e2v = _couplings(heads, tokens, seed)
    j, h = attention_couplings(q, k, v, e2v)
    return qama_qubo(j, h)


def test_couplings_follow_the_repository_formulas() -> None:
    q, k, v, e2v = _couplings(2, 5, seed=0, dim=3)
    j, h = attention_couplings(q, k, v, e2v)
    for a in range(2):
        for t in range(5):
            for u in range(5):
                score = sum(q[a, t, c] * k[a, u, c] + q[a, u, c] * k[a, t, c] for c in range(3))
                want = 0.0 if t == u else score / 2 / math.sqrt(3)
                assert j[a, t, u] == pytest.approx(want, abs=1e-12)
            assert h[a, t] == pytest.approx(sum(v[a, t, c] * e2v[c] for c in range(3)) / 3)
    np.testing.assert_array_equal(j, np.swapaxes(j, -1, -2))


@pytest.mark.parametrize(("heads", "tokens"), [(1, 4), (2, 3), (3, 2), (4, 5)])
def test_qubo_matches_entrywise_reference(heads: int, tokens: int) -> None:
    q, k, v, e2v = _couplings(heads, tokens, seed=heads * 10 + tokens)
    j, h = attention_couplings(q, k, v, e2v)
    got = qama_qubo(j, h, linear_coefficient=0.2, penalty_coefficient=0.7)
    want = qama_qubo_reference(j, h, linear_coefficient=0.2, penalty_coefficient=0.7)
    np.testing.assert_allclose(got, want, atol=1e-12)
    np.testing.assert_allclose(got, got.T, atol=0)
    if heads > 1:
        # Repository penalty: 0.8 / 2 * sqrt(2/pi) * N / (H - 1) on each cross-head same-token pair.
        default = qama_qubo(j, h)
        p = 0.4 * math.sqrt(2 / math.pi) * tokens / (heads - 1)
        assert default[0 * tokens + 1, 1 * tokens + 1] == pytest.approx(p)


def test_qubo_is_batched() -> None:
    q, k, v, e2v = _couplings(2, 3, seed=5, batch=(4,))
    j, h = attention_couplings(q, k, v, e2v)
    qm = qama_qubo(j, h)
    assert qm.shape == (4, 6, 6)
    for b in range(4):
        np.testing.assert_allclose(qm[b], qama_qubo_reference(j[b], h[b]), atol=1e-12)
    x = solve_qubo_annealing(qm, seed=0).x
    np.testing.assert_allclose(
        qubo_energy(qm, x),
        [qubo_energy_table(qm[b])[int(x[b] @ (1 << np.arange(6)))] for b in range(4)],
    )


@pytest.mark.parametrize(("heads", "tokens"), [(1, 4), (2, 2), (2, 3), (3, 2)])
def test_ising_energies_equal_qubo_energies_for_all_bitstrings(heads: int, tokens: int) -> None:
    qm = _qubo(heads, tokens, seed=heads + tokens)
    ising, offset = qubo_to_ising(qm)
    assert ising.num_qubits == heads * tokens
    diag = ising.to_matrix(sparse=True).diagonal()
    np.testing.assert_allclose(diag.imag, 0, atol=1e-12)
    np.testing.assert_allclose(diag.real + offset, qubo_energy_table(qm), atol=1e-9)


def test_ising_is_exact_for_asymmetric_qubo_too() -> None:
    qm = np.random.default_rng(9).normal(size=(5, 5))
    ising, offset = qubo_to_ising(qm)
    diag = ising.to_matrix(sparse=True).diagonal().real
    np.testing.assert_allclose(diag + offset, qubo_energy_table(qm), atol=1e-9)
    x = np.array([1, 0, 1, 1, 0])
    assert qubo_energy(qm, x) == pytest.approx(qubo_energy_table(qm)[0b01101])


def test_exact_solver_finds_the_table_minimum() -> None:
    qms = np.stack([_qubo(2, 3, seed=s) for s in range(5)])
    sol = solve_qubo_exact(qms)
    for qm, x, e in zip(qms, sol.x, sol.energy, strict=True):
        table = qubo_energy_table(qm)
        code = int(sum(int(b) << i for i, b in enumerate(x)))
        assert code == table.argmin()
        assert e == pytest.approx(table.min())


@pytest.mark.parametrize(("heads", "tokens"), [(1, 6), (2, 3), (3, 2), (2, 2)])
def test_annealing_finds_the_exact_ground_state(heads: int, tokens: int) -> None:
    qms = np.stack([_qubo(heads, tokens, seed=100 + s) for s in range(8)])
    exact = solve_qubo_exact(qms)
    sa = solve_qubo_annealing(qms, seed=1)
    np.testing.assert_allclose(sa.energy, exact.energy, atol=1e-9)
    np.testing.assert_allclose(qubo_energy(qms, sa.x), sa.energy, atol=1e-9)


def test_annealing_is_seedable_and_handles_larger_instances() -> None:
    qm = _qubo(2, 7, seed=3)
    a = solve_qubo_annealing(qm, seed=42)
    b = solve_qubo_annealing(qm, seed=42)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.x.shape == (14,) and a.energy.shape == ()
    assert float(a.energy) == pytest.approx(float(solve_qubo_exact(qm).energy))


def test_sparsify_keeps_top_k_symmetrically() -> None:
    q, k, v, e2v = _couplings(2, 6, seed=8)
    j, _ = attention_couplings(q, k, v, e2v)
    js = sparsify_couplings(j, 2)
    np.testing.assert_array_equal(js, np.swapaxes(js, -1, -2))
    kept = js != 0
    for a in range(2):
        for row in range(6):
            top = sorted(range(6), key=lambda col: -abs(j[a, row, col]))[:2]
            assert kept[a, row, top].all()
            np.testing.assert_array_equal(js[a, row][kept[a, row]], j[a, row][kept[a, row]])
    assert int(kept.sum()) <= 2 * 6 * 2 * 2
    np.testing.assert_array_equal(sparsify_couplings(j, 5), j)
    assert int((sparsify_couplings(j, 0) != 0).sum()) == 0
    with pytest.raises(ResourceError, match="top_k"):
        sparsify_couplings(j, -1)
    ising, _ = qama_ising(j, attention_couplings(q, k, v, e2v)[1], top_k=1)
    dense, _ = qama_ising(j, attention_couplings(q, k, v, e2v)[1])
    assert len(ising) < len(dense)


def _qaoa_values(model, gammas, betas) -> tuple[np.ndarray, np.ndarray]:
    """Inputs = the Ising coefficients recorded at build time; weights = (gammas, betas)."""
    return np.asarray(model.metadata["coefficients"]), np.concatenate([gammas, betas])


@pytest.mark.parametrize(("heads", "tokens", "reps"), [(2, 2, 1), (2, 3, 2), (1, 5, 3)])
def test_qaoa_statevector_matches_reference(heads: int, tokens: int, reps: int) -> None:
    qm = _qubo(heads, tokens, seed=21)
    ising, offset = qubo_to_ising(qm)
    model = build_qama_qaoa(ising, reps)
    assert len(model.weights) == 2 * reps
    assert list(model.registers) == ["spins"]
    assert all(o.num_qubits == heads * tokens for o in model.observables)
    rng = np.random.default_rng(reps)
    gammas, betas = rng.uniform(-1, 1, reps), rng.uniform(-1, 1, reps)
    sv = Statevector(model.bind(*_qaoa_values(model, gammas, betas)))
    want = qaoa_reference_state(qm, gammas, betas)
    np.testing.assert_allclose(sv.data, want, atol=1e-9)
    # <C> + offset from the per-term observables equals the reference mean QUBO energy.
    coeffs = np.asarray(model.metadata["coefficients"])
    terms = np.array([sv.expectation_value(o).real for o in model.observables])
    mean_energy = np.abs(want) ** 2 @ qubo_energy_table(qm)
    assert coeffs @ terms + offset == pytest.approx(mean_energy, abs=1e-9)


def _fast_qaoa_probs(levels: np.ndarray, angles: np.ndarray, n: int) -> np.ndarray:
    p = len(angles) // 2
    psi = np.full((2,) * n, 2.0 ** (-n / 2), dtype=complex)
    phases = levels.reshape((2,) * n)
    for gamma, beta in zip(angles[:p], angles[p:], strict=True):
        psi = psi * np.exp(-1j * gamma * phases)
        mixer = rx_matrix(2 * beta)
        for axis in range(n):
            psi = np.moveaxis(np.tensordot(mixer, psi, axes=([1], [axis])), 0, axis)
    return np.abs(psi.reshape(-1)) ** 2


# Random QAMA instances whose spectral gap is >= 10% of the energy range: near-degenerate
# instances need far deeper QAOA for the ground state to be the single most likely outcome.
@pytest.mark.slow
@pytest.mark.parametrize(("heads", "tokens", "seed"), [(2, 3, 6), (3, 2, 5), (1, 6, 5), (2, 2, 1)])
def test_optimised_qaoa_most_likely_bitstring_is_the_ground_state(
    heads: int, tokens: int, seed: int
) -> None:
    qm = _qubo(heads, tokens, seed)
    n = heads * tokens
    table = qubo_energy_table(qm)
    ising, _ = qubo_to_ising(qm)
    # Optimise normalised angles on the cheap diagonal form, then check the Qiskit circuit.
    scale = np.abs(table - table.mean()).max()
    levels = (table - table.mean()) / scale
    p = 4
    ramp = np.arange(1, p + 1) / p
    start = np.concatenate([1.5 * ramp, 0.8 * (1 - ramp) + 0.05])
    res = minimize(lambda a: _fast_qaoa_probs(levels, a, n) @ levels, start, method="BFGS")
    gammas, betas = res.x[:p] / scale, res.x[p:]
    model = build_qama_qaoa(ising, p)
    probs = Statevector(model.bind(*_qaoa_values(model, gammas, betas))).probabilities()
    ground = int(solve_qubo_exact(qm).x @ (1 << np.arange(n)))
    assert ground == table.argmin()
    assert int(probs.argmax()) == ground
    assert probs[ground] > 10 / 2**n


def test_qaoa_transpiles_to_heron_isa(assert_isa) -> None:
    ising, _ = qubo_to_ising(_qubo(2, 3, seed=1))
    assert_isa(build_qama_qaoa(ising, reps=2).circuit)


@pytest.mark.parametrize(("heads", "tokens", "reps"), [(1, 3, 1), (2, 3, 2), (3, 4, 1)])
def test_qaoa_resources_match_dense_instance(heads: int, tokens: int, reps: int) -> None:
    ising, _ = qubo_to_ising(_qubo(heads, tokens, seed=4))
    built = count_resources(build_qama_qaoa(ising, reps))
    assert built == qama_qaoa_resources(heads, tokens, reps)


def test_qama_rejects_bad_inputs() -> None:
    ising = SparsePauliOp(["ZZI", "IIZ"], [1.0, 0.5])
    with pytest.raises(ResourceError, match="reps >= 1"):
        build_qama_qaoa(ising, 0)
    with pytest.raises(ResourceError, match="only Z and ZZ"):
        build_qama_qaoa(SparsePauliOp(["XZI"]), 1)
    with pytest.raises(ResourceError, match="at most 2 qubits"):
        build_qama_qaoa(SparsePauliOp(["ZZZ"]), 1)
    with pytest.raises(ResourceError, match="no Z or ZZ term"):
        build_qama_qaoa(SparsePauliOp(["III"]), 1)
    with pytest.raises(ResourceError, match="exceeds"):
        solve_qubo_exact(np.zeros((30, 30)))
    with pytest.raises(ResourceError, match="square"):
        qubo_to_ising(np.zeros((2, 3)))
    with pytest.raises(ResourceError, match="num_reads"):
        solve_qubo_annealing(np.zeros((2, 2)), num_reads=0)
    with pytest.raises(ResourceError, match="H, N, reps"):
        qama_qaoa_resources(0, 3)
    with pytest.raises(ResourceError, match="J must be"):
        qama_qubo(np.zeros((2, 3, 3)), np.zeros((3, 3)))
    with pytest.raises(ResourceError, match="share a shape"):
        attention_couplings(
            np.zeros((2, 3, 4)), np.zeros((2, 3, 5)), np.zeros((2, 3, 4)), np.zeros(4)
        )
