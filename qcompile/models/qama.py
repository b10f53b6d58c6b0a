"""QAMA: multi-head attention as a QUBO, its Ising form, classical solvers and a QAOA circuit.

QAMA (Du et al., "QAMA: Scalable Quantum Annealing Multi-Head Attention Operator for Deep
Learning", arXiv:2504.11083) replaces softmax attention by the ground state of an energy
with one binary ``x[a, j]`` per (head ``a``, token ``j``). This module follows the authors'
code, github.com/Dxee-e/QAMA, ``QAMA/QAMA/QAMultiheadAttention.py`` (couplings, local
energy) and ``QAMA/QAMA/QUBO.py`` (``prepare_coefficients``, ``DEFAULT_MODEL_ARGS``):

* Couplings per head (:func:`attention_couplings`): ``J = sym(Q K^T / sqrt(d))`` with zero
  diagonal, and ``h = mean_d(V * E2V)``.
* QUBO (:func:`qama_qubo`), minimised, ``E(x) = x^T Q x`` over the flat index
  ``head * N + token`` (the repository's ``view(b, t*n)``)::

      Q[(a,j),(a,k)] = -c_J * J[a,j,k]                  (within a head)
      Q[(a,j),(a,j)] = -c_h * N * h[a,j]                (linear, c_h = 0.16)
      Q[(a,j),(b,j)] = p,  a != b,  p = c_p / 2 * sqrt(2/pi) * N / (H - 1)   (c_p = 0.8)

  so the cross-head same-token penalty is ``0.4 * sqrt(2/pi) * N / (H-1)`` per ordered pair.
* Local energy of token ``j`` in head ``a`` given a solution (the repository's
  ``calculate_energy``, used in training only: ``runtime.train.qubo_torch.local_energy``):
  ``-(x_aj * sum_k J[a,j,k] x_ak + h[a,j] x_aj)``.

On top of the repository this module provides an exact Ising form (:func:`qubo_to_ising`,
``x_i = (1 - z_i) / 2`` with ``z_i`` the eigenvalue of ``Z_i``, so bit ``i`` of a Qiskit
bitstring is ``x_i``), an exact brute-force solver, a batched numpy simulated-annealing
solver modelled on the repository's ``backend_c_sa`` (geometric cooling, then greedy
single-flip local search), top-k sparsification of ``J`` for hardware, and a QAOA circuit
(:func:`build_qama_qaoa`). Everything here is numpy (a torch tensor is read as its values),
so the compiler never loads torch; training differentiates through the couplings with their
torch twin in ``runtime.train.qubo_torch``, which the tests check against
:func:`attention_couplings`.

A dense QAMA Ising is all-to-all within each head: on IBM heavy-hex devices keep
``H * N`` around 20-30 or sparsify with ``top_k``.

References:
    P. Du, J. Shi, W. Wang, Y. Ma, K. Wen, X. Li, "QAMA: Scalable Quantum Annealing
    Multi-Head Attention Operator for Deep Learning", arXiv:2504.11083 (2025); code:
    https://github.com/Dxee-e/QAMA. E. Farhi, J. Goldstone, S. Gutmann, "A Quantum
    Approximate Optimization Algorithm", arXiv:1411.4028 (2014).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from qiskit.circuit import ParameterVector, QuantumCircuit, QuantumRegister
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit, ModelResources

__all__ = [
    "QAMA_EXACT_MAX_VARIABLES",
    "QuboSolution",
    "attention_couplings",
    "build_qama_qaoa",
    "qama_ising",
    "qama_qaoa_resources",
    "qama_qubo",
    "qubo_energy",
    "qubo_to_ising",
    "solve_qubo_annealing",
    "solve_qubo_exact",
    "sparsify_couplings",
]

QAMA_EXACT_MAX_VARIABLES = 22
"""Largest QUBO :func:`solve_qubo_exact` enumerates (``2**22`` bitstrings)."""

_CHUNK = 1 << 14  # bitstrings per brute-force block: bounds memory at any size


@dataclass(frozen=True)
class QuboSolution:
    """Best bitstrings found for a (batch of) QUBO(s).

    Attributes:
        x: Binary solutions, shape ``batch + (n,)``, dtype int8.
        energy: ``x^T Q x`` of each solution, shape ``batch``.
    """

    x: np.ndarray
    energy: np.ndarray


def _as_numpy(value: ArrayLike) -> np.ndarray:
    detach = getattr(value, "detach", None)
    if detach is not None:  # a torch tensor (any device, with or without a graph): its values
        value = detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def attention_couplings(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, e2v: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Couplings ``J`` and fields ``h`` of QAMA from per-head queries, keys and values.

    Args:
        q: Queries, shape ``batch + (H, N, d)``.
        k: Keys, same shape as ``q``.
        v: Values, same shape as ``q``.
        e2v: The learned ``E2V`` vector, shape ``(d,)``.

    Returns:
        ``(J, h)``: ``J = sym(q k^T / sqrt(d))`` with zero diagonal, shape
        ``batch + (H, N, N)``; ``h = mean_d(v * e2v)``, shape ``batch + (H, N)``.

    Raises:
        ResourceError: If ``q``, ``k`` and ``v`` differ in shape or have fewer than 3 dims.
    """
    qn, kn, vn, en = (_as_numpy(x) for x in (q, k, v, e2v))
    if qn.shape != kn.shape or qn.shape != vn.shape or qn.ndim < 3:
        raise ResourceError(
            f"q, k, v must share a shape (..., H, N, d); got {qn.shape}, {kn.shape}, {vn.shape}"
        )
    n, d = qn.shape[-2], qn.shape[-1]
    scores = qn @ np.swapaxes(kn, -1, -2) / math.sqrt(d)
    off_diagonal = 1.0 - np.eye(n)
    j = (scores + np.swapaxes(scores, -1, -2)) / 2.0 * off_diagonal
    h = (vn * en).mean(axis=-1)
    return j, h


def sparsify_couplings(j: ArrayLike, top_k: int) -> np.ndarray:
    """Keep, per row, the ``top_k`` largest-magnitude couplings (symmetrised by union).

    Entry ``(i, l)`` survives if ``l`` is among the ``top_k`` largest ``|J[i, :]|`` or ``i``
    among those of row ``l``, so the result stays symmetric; a row may keep more than
    ``top_k`` entries but the graph has at most ``N * top_k`` edges per head.

    Args:
        j: Couplings, shape ``batch + (H, N, N)``, symmetric with zero diagonal.
        top_k: Couplings kept per row; ``>= N - 1`` returns ``j`` unchanged.

    Returns:
        The sparsified couplings, same shape as ``j``.

    Raises:
        ResourceError: If ``top_k`` is negative.
    """
    if top_k < 0:
        raise ResourceError(f"top_k must be >= 0, got {top_k}")
    jn = _as_numpy(j)
    n = jn.shape[-1]
    if top_k >= n - 1:
        return jn
    # The diagonal is zero; push it below every real coupling so it is never selected.
    magnitude = np.abs(jn) - np.eye(n)
    keep = np.zeros(magnitude.shape, dtype=bool)
    if top_k > 0:
        idx = np.argsort(-magnitude, axis=-1, kind="stable")[..., :top_k]
        np.put_along_axis(keep, idx, True, axis=-1)
    keep = keep | np.swapaxes(keep, -1, -2)
    return jn * keep


def qama_qubo(
    j: ArrayLike,
    h: ArrayLike,
    *,
    quadratic_coefficient: float = 1.0,
    linear_coefficient: float = 0.16,
    penalty_coefficient: float = 0.8,
) -> np.ndarray:
    """The QAMA QUBO matrix (``QUBO.prepare_coefficients`` of the repository).

    Args:
        j: Couplings, shape ``batch + (H, N, N)``, symmetric with zero diagonal.
        h: Fields, shape ``batch + (H, N)``.
        quadratic_coefficient: ``c_J``. Defaults to 1.0 (the repository's default).
        linear_coefficient: ``c_h``; the diagonal is ``-c_h * N * h``. Defaults to 0.16.
        penalty_coefficient: ``c_p``; the cross-head penalty is
            ``c_p / 2 * sqrt(2/pi) * N / (H - 1)``. Defaults to 0.8.

    Returns:
        ``Q`` of shape ``batch + (H*N, H*N)``, symmetric, index ``head * N + token``;
        the energy of ``x`` is ``x^T Q x``.

    Raises:
        ResourceError: If the shapes are inconsistent or ``H`` or ``N`` is zero.
    """
    jn, hn = _as_numpy(j), _as_numpy(h)
    if jn.ndim < 3 or jn.shape[-1] != jn.shape[-2] or jn.shape[:-1] != hn.shape:
        raise ResourceError(
            f"J must be (..., H, N, N) and h (..., H, N); got {jn.shape}, {hn.shape}"
        )
    heads, n = jn.shape[-3], jn.shape[-1]
    if heads < 1 or n < 1:
        raise ResourceError(f"QAMA needs at least 1 head and 1 token, got H={heads}, N={n}")
    batch = jn.shape[:-3]
    quad = np.zeros((*batch, heads * n, heads * n))
    lin = np.zeros((*batch, heads * n, heads * n))
    flat_h = hn.reshape(*batch, heads * n)
    for a in range(heads):  # block-diagonal: couplings act within a head
        quad[..., a * n : (a + 1) * n, a * n : (a + 1) * n] = jn[..., a, :, :]
    diagonal = np.arange(heads * n)
    lin[..., diagonal, diagonal] = flat_h
    q = -quadratic_coefficient * quad - linear_coefficient * n * lin
    if heads > 1:
        p = penalty_coefficient / 2.0 * math.sqrt(2.0 / math.pi) * n / (heads - 1)
        eye_h = np.eye(heads)
        q = q + p * np.kron(np.ones_like(eye_h) - eye_h, np.eye(n))
    return q


def qubo_energy(q: ArrayLike, x: ArrayLike) -> np.ndarray:
    """``x^T Q x`` for (batches of) bitstrings.

    Args:
        q: QUBO matrix, shape ``(n, n)`` or ``batch + (n, n)``.
        x: Bitstrings, shape ``... + (n,)`` broadcastable against ``q``'s batch.

    Returns:
        The energies.
    """
    qn, xn = _as_numpy(q), _as_numpy(x)
    return np.einsum("...i,...ij,...j->...", xn, qn, xn)


def qubo_to_ising(q: ArrayLike, *, atol: float = 0.0) -> tuple[SparsePauliOp, float]:
    """Exact Ising form of a QUBO: ``x^T Q x = <x| H |x> + offset`` for every bitstring.

    With ``x_i = (1 - z_i) / 2``: ``H = sum_{i<l} S_il / 4 Z_i Z_l - sum_i (Q_ii / 2 +
    sum_{l != i} S_il / 4) Z_i`` with ``S_il = Q_il + Q_li``, and ``offset = sum_i Q_ii / 2 +
    sum_{i<l} S_il / 4``. ``|x>`` is the computational basis state whose qubit ``i`` is
    ``x_i`` (Qiskit little-endian).

    Args:
        q: QUBO matrix, shape ``(n, n)`` (need not be symmetric).
        atol: Terms with ``|coefficient| <= atol`` are dropped. Defaults to 0 (exact zeros).

    Returns:
        ``(H, offset)``: a SparsePauliOp of Z and ZZ terms on ``n`` qubits (no identity
        term; ZZ terms first, in ``(i, l)`` lexicographic order, then Z terms) and the
        constant.

    Raises:
        ResourceError: If ``q`` is not a non-empty square matrix.
    """
    qn = _as_numpy(q)
    if qn.ndim != 2 or qn.shape[0] != qn.shape[1] or qn.shape[0] == 0:
        raise ResourceError(f"qubo_to_ising takes one square QUBO matrix, got shape {qn.shape}")
    n = qn.shape[0]
    s = qn + qn.T
    np.fill_diagonal(s, 0.0)
    diag = np.diag(qn)
    terms: list[tuple[str, list[int], float]] = []
    for i in range(n):
        for l_ in range(i + 1, n):
            c = s[i, l_] / 4.0
            if abs(c) > atol:
                terms.append(("ZZ", [i, l_], float(c)))
    z_coeff = -diag / 2.0 - s.sum(axis=1) / 4.0
    for i in range(n):
        if abs(z_coeff[i]) > atol:
            terms.append(("Z", [i], float(z_coeff[i])))
    offset = float(diag.sum() / 2.0 + np.triu(s, 1).sum() / 4.0)
    if not terms:
        return SparsePauliOp.from_sparse_list([("", [], 0.0)], num_qubits=n), offset
    return SparsePauliOp.from_sparse_list(terms, num_qubits=n), offset


def qama_ising(
    j: ArrayLike,
    h: ArrayLike,
    *,
    top_k: int | None = None,
    quadratic_coefficient: float = 1.0,
    linear_coefficient: float = 0.16,
    penalty_coefficient: float = 0.8,
) -> tuple[SparsePauliOp, float]:
    """QAMA couplings of one sample to an Ising Hamiltonian, optionally sparsified.

    Args:
        j: Couplings, shape ``(H, N, N)``.
        h: Fields, shape ``(H, N)``.
        top_k: If given, :func:`sparsify_couplings` is applied first. Defaults to dense.
        quadratic_coefficient: See :func:`qama_qubo`.
        linear_coefficient: See :func:`qama_qubo`.
        penalty_coefficient: See :func:`qama_qubo`.

    Returns:
        ``(H, offset)`` as from :func:`qubo_to_ising`, on ``H * N`` qubits.
    """
    jn = _as_numpy(j)
    if top_k is not None:
        jn = sparsify_couplings(jn, top_k)
    q = qama_qubo(
        jn,
        h,
        quadratic_coefficient=quadratic_coefficient,
        linear_coefficient=linear_coefficient,
        penalty_coefficient=penalty_coefficient,
    )
    if q.ndim != 2:
        raise ResourceError(f"qama_ising takes one sample, got J of shape {jn.shape}")
    return qubo_to_ising(q)


def _batched(q: ArrayLike) -> tuple[np.ndarray, tuple[int, ...]]:
    qn = _as_numpy(q)
    if qn.ndim < 2 or qn.shape[-1] != qn.shape[-2] or qn.shape[-1] == 0:
        raise ResourceError(f"a QUBO must be (..., n, n) with n >= 1, got shape {qn.shape}")
    batch = qn.shape[:-2]
    n = qn.shape[-1]
    return qn.reshape(-1, n, n), batch


def solve_qubo_exact(q: ArrayLike) -> QuboSolution:
    """Minimise ``x^T Q x`` by enumerating every bitstring (small ``n`` only).

    Ties go to the smallest integer ``sum_i x_i 2**i``.

    Args:
        q: QUBO matrix, shape ``(n, n)`` or ``batch + (n, n)``.

    Returns:
        The exact minimisers and minima.

    Raises:
        ResourceError: If ``n > QAMA_EXACT_MAX_VARIABLES``.
    """
    qb, batch = _batched(q)
    n = qb.shape[-1]
    if n > QAMA_EXACT_MAX_VARIABLES:
        raise ResourceError(
            f"exact QUBO solve enumerates 2**n bitstrings; n={n} exceeds "
            f"{QAMA_EXACT_MAX_VARIABLES}, use solve_qubo_annealing"
        )
    best_e = np.full(qb.shape[0], np.inf)
    best_s = np.zeros(qb.shape[0], dtype=np.int64)
    shifts = np.arange(n)
    for start in range(0, 1 << n, _CHUNK):
        codes = np.arange(start, min(start + _CHUNK, 1 << n))
        bits = ((codes[:, None] >> shifts) & 1).astype(np.float64)
        energies = np.einsum("si,bij,sj->bs", bits, qb, bits)
        arg = energies.argmin(axis=1)
        e = energies[np.arange(qb.shape[0]), arg]
        better = e < best_e
        best_e = np.where(better, e, best_e)
        best_s = np.where(better, codes[arg], best_s)
    x = ((best_s[:, None] >> shifts) & 1).astype(np.int8)
    return QuboSolution(x=x.reshape(*batch, n), energy=best_e.reshape(batch))


def solve_qubo_annealing(
    q: ArrayLike,
    *,
    num_reads: int = 16,
    num_sweeps: int = 200,
    initial_temperature: float | None = None,
    final_temperature: float | None = None,
    local_search: bool = True,
    seed: int | np.random.Generator | None = None,
) -> QuboSolution:
    """Minimise ``x^T Q x`` by batched single-flip simulated annealing (numpy).

    Modelled on the repository's ``backend_c_sa``: Metropolis single-bit flips under
    geometric cooling, the best state seen is kept, then greedy local search flips the
    single most improving bit until none improves. All problems in the batch and all
    ``num_reads`` independent reads run together; each sweep visits every bit once in a
    random order shared by the batch. Reproducible for a fixed ``seed`` (same numpy).

    Args:
        q: QUBO matrix, shape ``(n, n)`` or ``batch + (n, n)``.
        num_reads: Independent annealing runs per problem; the best is returned. Defaults
            to 16.
        num_sweeps: Sweeps per run. Defaults to 200.
        initial_temperature: Defaults to the largest possible single-flip energy change of
            each problem (so early sweeps accept almost everything).
        final_temperature: Defaults to ``1e-3 * initial_temperature``.
        local_search: Finish with greedy single-flip descent. Defaults to True.
        seed: Seed or Generator. Defaults to None (fresh entropy).

    Returns:
        The best solution found per problem (not guaranteed optimal).

    Raises:
        ResourceError: If ``num_reads`` or ``num_sweeps`` is below 1 or a temperature is
            not positive.
    """
    if num_reads < 1 or num_sweeps < 1:
        raise ResourceError(f"num_reads and num_sweeps must be >= 1, got {num_reads}, {num_sweeps}")
    qb, batch = _batched(q)
    b, n = qb.shape[0], qb.shape[-1]
    rng = np.random.default_rng(seed)
    diag = np.diagonal(qb, axis1=1, axis2=2).copy()
    sym = qb + qb.transpose(0, 2, 1)
    idx = np.arange(n)
    sym[:, idx, idx] = 0.0

    # Largest possible |dE| of one flip, per problem: the natural temperature scale.
    scale = (np.abs(diag) + np.abs(sym).sum(axis=2)).max(axis=1)
    scale = np.where(scale > 0, scale, 1.0)
    t0 = np.full(b, float(initial_temperature)) if initial_temperature is not None else scale
    tf = np.full(b, float(final_temperature)) if final_temperature is not None else 1e-3 * t0
    if np.any(t0 <= 0) or np.any(tf <= 0):
        raise ResourceError("annealing temperatures must be positive")
    frac = np.arange(num_sweeps) / max(num_sweeps - 1, 1)
    temps = t0[None, :] * (tf / t0)[None, :] ** frac[:, None]  # (sweeps, b)

    x = rng.integers(0, 2, size=(b, num_reads, n)).astype(np.float64)
    # field[b, r, i] = dE/dx_i = Q_ii + sum_l S_il x_l; flipping i changes E by (1-2x_i)*field.
    field = np.einsum("bil,brl->bri", sym, x) + diag[:, None, :]
    energy = np.einsum("bri,bij,brj->br", x, qb, x)
    best_x, best_e = x.copy(), energy.copy()
    for sweep in range(num_sweeps):
        temp = temps[sweep][:, None]
        for i in rng.permutation(n):
            step = 1.0 - 2.0 * x[:, :, i]
            delta = step * field[:, :, i]
            accept = (delta <= 0) | (
                rng.random((b, num_reads)) < np.exp(-np.maximum(delta, 0) / temp)
            )
            moved = np.where(accept, step, 0.0)
            x[:, :, i] += moved
            energy += np.where(accept, delta, 0.0)
            field += moved[:, :, None] * sym[:, None, i, :]
        improved = energy < best_e
        best_e = np.where(improved, energy, best_e)
        best_x = np.where(improved[:, :, None], x, best_x)

    if local_search:
        field = np.einsum("bil,brl->bri", sym, best_x) + diag[:, None, :]
        while True:
            delta = (1.0 - 2.0 * best_x) * field
            i_best = delta.argmin(axis=2)
            d_best = np.take_along_axis(delta, i_best[:, :, None], axis=2)[:, :, 0]
            active = d_best < -1e-12
            if not active.any():
                break
            bb, rr = np.nonzero(active)
            ii = i_best[bb, rr]
            step = 1.0 - 2.0 * best_x[bb, rr, ii]
            best_x[bb, rr, ii] += step
            best_e[bb, rr] += d_best[bb, rr]
            field[bb, rr, :] += step[:, None] * sym[bb, ii, :]

    # Recompute energies exactly (no drift from incremental updates) and pick the best read.
    best_e = np.einsum("bri,bij,brj->br", best_x, qb, best_x)
    pick = best_e.argmin(axis=1)
    x_out = best_x[np.arange(b), pick].astype(np.int8)
    e_out = best_e[np.arange(b), pick]
    return QuboSolution(x=x_out.reshape(*batch, n), energy=e_out.reshape(batch))


def _ising_terms(ising: SparsePauliOp) -> list[tuple[tuple[int, ...], float]]:
    terms: list[tuple[tuple[int, ...], float]] = []
    for pauli, coeff in zip(ising.paulis, ising.coeffs, strict=True):
        if pauli.x.any():
            raise ResourceError(f"QAOA cost must contain only Z and ZZ terms, got {pauli}")
        support = tuple(int(i) for i in np.flatnonzero(pauli.z))
        if len(support) > 2:
            raise ResourceError(f"QAOA cost terms act on at most 2 qubits, got {pauli}")
        if abs(complex(coeff).imag) > 1e-12:
            raise ResourceError(f"QAOA cost coefficients must be real, got {coeff}")
        if support:
            terms.append((support, float(complex(coeff).real)))
    return terms


def qama_qaoa_resources(num_heads: int, num_tokens: int, reps: int = 1) -> ModelResources:
    """Closed-form logical size of :func:`build_qama_qaoa` on a dense QAMA instance.

    Dense means every within-head coupling and every field is nonzero (the generic case
    without ``top_k``): ``H N (N-1) / 2 + N H (H-1) / 2`` ZZ terms and ``H N`` Z terms.

    Args:
        num_heads: Heads ``H``.
        num_tokens: Tokens ``N``.
        reps: QAOA layers ``p``. Defaults to 1.

    Returns:
        The counts :func:`~qcompile.models.base.count_resources` finds in the built circuit.

    Raises:
        ResourceError: If a size is below 1.
    """
    if num_heads < 1 or num_tokens < 1 or reps < 1:
        raise ResourceError(
            f"QAMA QAOA needs H, N, reps >= 1, got H={num_heads}, N={num_tokens}, reps={reps}"
        )
    n = num_heads * num_tokens
    zz = (
        num_heads * num_tokens * (num_tokens - 1) // 2
        + num_tokens * num_heads * (num_heads - 1) // 2
    )
    z = n
    return ModelResources(
        num_qubits=n,
        num_inputs=zz + z,
        num_weights=2 * reps,
        num_two_qubit_gates=reps * zz,
        num_one_qubit_gates=n + reps * (z + n),
    )


def build_qama_qaoa(ising: SparsePauliOp, reps: int = 1) -> ModelCircuit:
    """QAOA circuit for an Ising cost of Z and ZZ terms (e.g. from :func:`qama_ising`).

    ``H^n``, then for each layer ``l``: ``exp(-i gamma_l C)`` as ``RZZ(2 gamma_l c_k)`` /
    ``RZ(2 gamma_l c_k)`` per term, and the mixer ``RX(2 beta_l)`` on every qubit. The
    circuit uses only standard gates, so any preset pass manager compiles it for any target.

    The term coefficients are *inputs*, not numbers baked into the circuit, so a new
    attention sample with the same sparsity pattern only rebinds: ``inputs[k] = c_k`` in the
    order of ``ising``'s (non-identity) terms, given in ``metadata["coefficients"]``.
    ``weights[l] = gamma_l`` and ``weights[reps + l] = beta_l``. The observables are the
    unit-coefficient terms ``P_k``, so ``<C> = sum_k c_k <P_k>`` and the QUBO energy is
    ``<C> + offset``.

    Args:
        ising: Cost Hamiltonian on ``n`` qubits with only Z/ZZ terms (an identity term is
            ignored).
        reps: QAOA layers ``p``. Defaults to 1.

    Returns:
        The model: register ``spins`` (qubit ``i`` = QUBO variable ``i``), ``inputs`` of
        length ``#terms``, ``weights`` of length ``2 * reps``.

    Raises:
        ResourceError: If ``reps < 1``, the cost has no Z/ZZ term, or a term is not Z/ZZ.
    """
    if reps < 1:
        raise ResourceError(f"QAOA needs reps >= 1, got {reps}")
    terms = _ising_terms(ising)
    if not terms:
        raise ResourceError("QAOA cost has no Z or ZZ term")
    n = ising.num_qubits
    spins = QuantumRegister(n, "spins")
    inputs = ParameterVector("inputs", len(terms))
    weights = ParameterVector("weights", 2 * reps)

    qc = QuantumCircuit(spins, name="qama_qaoa")
    qc.h(spins)
    for layer in range(reps):
        gamma = weights[layer]
        for k, (support, _) in enumerate(terms):
            if len(support) == 2:
                qc.rzz(2 * gamma * inputs[k], spins[support[0]], spins[support[1]])
            else:
                qc.rz(2 * gamma * inputs[k], spins[support[0]])
        qc.rx(2 * weights[reps + layer], spins)

    observables = tuple(
        SparsePauliOp.from_sparse_list([("Z" * len(s), list(s), 1.0)], num_qubits=n)
        for s, _ in terms
    )
    num_zz = sum(1 for s, _ in terms if len(s) == 2)
    return ModelCircuit(
        circuit=qc,
        registers={"spins": spins},
        inputs=inputs,
        weights=weights,
        observables=observables,
        metadata={
            "model": "qama_qaoa",
            "num_variables": n,
            "reps": reps,
            "num_zz_terms": num_zz,
            "num_z_terms": len(terms) - num_zz,
            "terms": [list(s) for s, _ in terms],
            "coefficients": [c for _, c in terms],
            "weight_layout": "weights[l] = gamma_l, weights[reps + l] = beta_l",
        },
    )
