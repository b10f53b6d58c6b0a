"""QLAM: a quantum long-attention memory carried across a token sequence.

QLAM (Nguyen, Pandey, Luu, "QLAM: A Quantum Long-Attention Memory Approach to Long-Sequence
Token Modeling", 2026) keeps the hidden state of a state-space-style recurrence as a quantum
state: each token updates the memory through a parametrised circuit conditioned on it, and a
query-dependent measurement reads the memory out. The paper's circuit is not public; this
module is our concrete instance of that description. The design choices:

* **Memory.** One register ``memory`` of ``m`` qubits (default 8), starting in ``|0...0>``
  and carried across all ``T`` tokens without measurement or reset (the recurrence).
* **Tokens.** A token is a vector of ``F`` features (``features_per_token``); the
  granularity is the caller's: one image row of 8 pixels (``F = 8``), one pixel (``F = 1``)
  or a flattened patch. :func:`image_to_tokens` cuts an image into row or patch tokens.
* **Per-token update = data re-uploading + shared entangler.** Feature ``j`` of token ``t``
  is uploaded on memory qubit ``j mod m`` as ``RY(x_tj)`` followed by ``RZ(x_tj)`` (the same
  angle on both, as QASA does with RX/RZ). When ``F > m`` the features wrap round-robin, so
  qubit ``q`` receives ``ceil((F - q) / m)`` uploads per token in feature order; when
  ``F < m`` qubits ``q >= F`` receive no upload and are reached only through the entangler.
  Then the *shared* trainable entangler acts: ``entangler_reps`` repetitions of
  ``RY(theta_{r,q}) RZ(phi_{r,q})`` on every memory qubit followed by a CNOT chain
  ``q -> q+1`` (``entanglement="linear"``, default: it embeds in heavy-hex without SWAPs)
  or ring (``"ring"``, adds ``CNOT(m-1, 0)``). The entangler parameters are the same for
  every token, like the transition matrix of an SSM, so the weights do not grow with ``T``.
* **Depth** is linear in ``T``: each token adds a fixed block.
* **Query-dependent readout.** After the sequence, memory qubit ``q`` gets
  ``RY(query_q)`` (the query, data: ``m`` values) then the trainable ``RZ(alpha_q)``,
  ``RY(beta_q)``; the observables are ``Z`` on every memory qubit. Together this measures each
  memory qubit along a Bloch axis set by the query and the learned readout.

Parameter layout (flat ParameterVectors):

* ``inputs[t * F + j] = x_tj`` for ``t < T``, ``j < F``; then
  ``inputs[T * F + q] = query_q`` for ``q < m``. Length ``T * F + m``.
* ``weights[2 * (r * m + q)] = theta_{r,q}`` and ``weights[2 * (r * m + q) + 1] =
  phi_{r,q}`` for the entangler; then ``weights[2 * R * m + 2 * q] = alpha_q`` and
  ``weights[2 * R * m + 2 * q + 1] = beta_q`` for the readout. Length ``2 * m * (R + 1)``
  with ``R = entangler_reps``.

Registers:
    memory: the ``m`` memory qubits; observables ``Z`` on each, in order.

References:
    H.-Q. Nguyen, S. Pandey, K. Luu, "QLAM: A Quantum Long-Attention Memory Approach to
    Long-Sequence Token Modeling" (2026).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from qiskit.circuit import ParameterVector, QuantumCircuit, QuantumRegister

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit, ModelResources, z_observables

__all__ = [
    "QLAM_MAX_MEMORY_QUBITS",
    "Entanglement",
    "build_qlam",
    "image_to_tokens",
    "qlam_resources",
]

Entanglement = Literal["linear", "ring"]

QLAM_MAX_MEMORY_QUBITS = 127
"""Largest memory register we build (wider than any device we target)."""


def _check_sizes(
    num_tokens: int,
    features_per_token: int,
    memory_qubits: int,
    entangler_reps: int,
    entanglement: str,
) -> None:
    if num_tokens < 1:
        raise ResourceError(f"QLAM needs at least 1 token, got num_tokens={num_tokens}")
    if features_per_token < 1:
        raise ResourceError(
            f"QLAM needs at least 1 feature per token, got features_per_token={features_per_token}"
        )
    if not 1 <= memory_qubits <= QLAM_MAX_MEMORY_QUBITS:
        raise ResourceError(
            f"QLAM memory_qubits must be in 1..{QLAM_MAX_MEMORY_QUBITS}, got {memory_qubits}"
        )
    if entangler_reps < 1:
        raise ResourceError(f"QLAM needs entangler_reps >= 1, got {entangler_reps}")
    if entanglement not in ("linear", "ring"):
        raise ResourceError(f"QLAM entanglement must be 'linear' or 'ring', got {entanglement!r}")


def _entangler_pairs(memory_qubits: int, entanglement: str) -> list[tuple[int, int]]:
    pairs = [(q, q + 1) for q in range(memory_qubits - 1)]
    if entanglement == "ring" and memory_qubits > 2:
        pairs.append((memory_qubits - 1, 0))
    return pairs


def qlam_resources(
    num_tokens: int,
    features_per_token: int = 8,
    memory_qubits: int = 8,
    *,
    entangler_reps: int = 1,
    entanglement: Entanglement = "linear",
) -> ModelResources:
    """Closed-form logical size of :func:`build_qlam` (valid for any ``T``).

    Args:
        num_tokens: Sequence length ``T``.
        features_per_token: Features per token ``F``. Defaults to 8.
        memory_qubits: Memory qubits ``m``. Defaults to 8.
        entangler_reps: Entangler repetitions per token ``R``. Defaults to 1.
        entanglement: ``"linear"`` or ``"ring"``. Defaults to ``"linear"``.

    Returns:
        The counts :func:`~qcompile.models.base.count_resources` finds in the built circuit.

    Raises:
        ResourceError: On an impossible size.
    """
    _check_sizes(num_tokens, features_per_token, memory_qubits, entangler_reps, entanglement)
    m, t, f, r = memory_qubits, num_tokens, features_per_token, entangler_reps
    cnots = len(_entangler_pairs(m, entanglement))
    return ModelResources(
        num_qubits=m,
        num_inputs=t * f + m,
        num_weights=2 * m * (r + 1),
        num_two_qubit_gates=t * r * cnots,
        num_one_qubit_gates=t * (2 * f + 2 * r * m) + 3 * m,
    )


def build_qlam(
    num_tokens: int,
    features_per_token: int = 8,
    memory_qubits: int = 8,
    *,
    entangler_reps: int = 1,
    entanglement: Entanglement = "linear",
) -> ModelCircuit:
    """Build the QLAM memory circuit for a sequence of ``num_tokens`` tokens.

    See the module docstring for the gates and the parameter layout.

    Args:
        num_tokens: Sequence length ``T``; the depth grows linearly in it.
        features_per_token: Features per token ``F`` (e.g. 8 for one 8-pixel image row).
            Defaults to 8.
        memory_qubits: Memory qubits ``m``. Defaults to 8.
        entangler_reps: Repetitions ``R`` of the shared entangler per token. Defaults to 1.
        entanglement: CNOT pattern of the entangler, ``"linear"`` (chain) or ``"ring"``.
            Defaults to ``"linear"``.

    Returns:
        The model: register ``memory``; ``inputs`` of length ``T * F + m``; ``weights`` of
        length ``2 * m * (R + 1)``; ``m`` observables ``Z_q``.

    Raises:
        ResourceError: If a size is below 1, ``memory_qubits`` exceeds
            :data:`QLAM_MAX_MEMORY_QUBITS` or ``entanglement`` is unknown.
    """
    _check_sizes(num_tokens, features_per_token, memory_qubits, entangler_reps, entanglement)
    m, t_len, f, reps = memory_qubits, num_tokens, features_per_token, entangler_reps
    memory = QuantumRegister(m, "memory")
    inputs = ParameterVector("inputs", t_len * f + m)
    weights = ParameterVector("weights", 2 * m * (reps + 1))
    pairs = _entangler_pairs(m, entanglement)

    qc = QuantumCircuit(memory, name="qlam")
    for t in range(t_len):
        for j in range(f):
            x = inputs[t * f + j]
            qc.ry(x, memory[j % m])
            qc.rz(x, memory[j % m])
        for r in range(reps):
            for q in range(m):
                qc.ry(weights[2 * (r * m + q)], memory[q])
                qc.rz(weights[2 * (r * m + q) + 1], memory[q])
            for c, tgt in pairs:
                qc.cx(memory[c], memory[tgt])
    readout = 2 * reps * m
    for q in range(m):
        qc.ry(inputs[t_len * f + q], memory[q])
        qc.rz(weights[readout + 2 * q], memory[q])
        qc.ry(weights[readout + 2 * q + 1], memory[q])

    return ModelCircuit(
        circuit=qc,
        registers={"memory": memory},
        inputs=inputs,
        weights=weights,
        observables=z_observables(m, range(m)),
        metadata={
            "model": "qlam",
            "num_tokens": t_len,
            "features_per_token": f,
            "memory_qubits": m,
            "query_inputs": m,
            "entangler_reps": reps,
            "entanglement": entanglement,
            "encoding": "feature j of each token -> RY(x) RZ(x) on memory qubit j mod m",
            "readout": "RY(query_q) RZ(alpha_q) RY(beta_q), then Z on every memory qubit",
        },
    )


def image_to_tokens(image: ArrayLike, patch_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Cut an image into a raster-ordered token sequence for :func:`build_qlam`.

    Args:
        image: A 2-D array ``(height, width)``.
        patch_shape: ``(ph, pw)`` pixels per token, flattened row-major into
            ``ph * pw`` features. Defaults to one row per token, ``(1, width)``.

    Returns:
        Array ``(T, F)`` with ``T = (height / ph) * (width / pw)`` tokens in raster order.

    Raises:
        ResourceError: If the image is not 2-D or the patch does not tile it.
    """
    img = np.asarray(image, dtype=float)
    if img.ndim != 2:
        raise ResourceError(f"image_to_tokens expects a 2-D image, got shape {img.shape}")
    height, width = img.shape
    ph, pw = patch_shape if patch_shape is not None else (1, width)
    if ph < 1 or pw < 1 or height % ph or width % pw:
        raise ResourceError(f"patch {ph}x{pw} does not tile a {height}x{width} image")
    blocks = img.reshape(height // ph, ph, width // pw, pw).transpose(0, 2, 1, 3)
    return blocks.reshape(-1, ph * pw)
