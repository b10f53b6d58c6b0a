"""QLACI: quantum log-attention via conditional interaction over a QRAM-addressed sequence.

QLACI (seed paper "Toward a Hybrid Quantum-Classical Transformer with Logarithmically Scaling
Attention for Long Sequences", sections 3.2-3.3) computes one query's context vector as the
expectation values of a circuit whose ``index`` register holds a uniform superposition over
the ``N`` sequence positions and addresses a QRAM holding the keys and values. The paper
specifies the registers and the order of the blocks but no concrete gates; this module is our
concrete instance. The design choices:

* **Registers**, in circuit order: ``query`` (``d_q`` qubits), ``index`` (``n = log2 N``),
  ``key`` (``k``), ``value`` (``v``), ``out`` (``o``).
* **Query encoding.** ``RY(Q_a)`` on ``query[a]`` (angle encoding, ``q_Q = d_q``).
* **Index superposition.** ``H`` on every ``index`` qubit.
* **Key-value access.** Two logical :class:`~qcompile.qram.QRAMQuery` gates with ``"ry"``
  angle words: ``(index, key)`` applies ``RY(K_{j,c})`` to ``key[c]`` and ``(index, value)``
  applies ``RY(V_{j,c})`` to ``value[c]`` when the index is ``j``. The words are input
  Parameters, so a new sequence is a new binding, not a new circuit. The queries stay logical
  here; :func:`~qcompile.qram.qram_lowering_pass_manager` picks a construction at compile
  time, and without it a preset pass manager compiles their reference definition.
* **Interaction** ``U_interact(theta)``, ``layers`` times: ``RY(theta) RZ(theta')`` on every
  query and key qubit, then ``CX(query[a mod d_q] -> key[a mod k])`` for
  ``a < max(d_q, k)``, so every query qubit and every key qubit take part.
* **Aggregation** ``U_score(phi)``, ``layers`` times: ``RY(phi)`` on every out qubit;
  ``CRY(phi)`` from ``key[c mod k]`` to ``out[c mod o]`` for ``c < max(o, k)`` (the score:
  the key qubits carry the query-key interaction); ``CRY(phi)`` from ``query[c mod d_q]`` to
  ``out[c mod o]`` for ``c < max(o, d_q)``; then ``CX(value[c mod v] -> out[c mod o])`` for
  ``c < max(o, v)`` (writes the value onto the output).
* **Readout.** ``Z`` on every ``out`` qubit: the context vector ``c_i`` (``d_ctx = o``).

**What the circuit computes.** Nothing acts on ``index`` after the queries, so the state is
``N**-1/2 sum_j |j> |psi_j>`` with ``|psi_j>`` the same circuit run on entry ``j`` alone, and
every observable off ``index`` averages the branches:
``c = (1/N) sum_j f_{theta,phi}(Q, K_j, V_j)``. Each position contributes (weight ``1/N``
times a learned function of the query and that entry); with one layer and ``v = o = 1`` the
value qubit is only ever a control, so ``f = s(Q, K_j) cos(V_j)``: an unnormalised,
learned-score linear attention. Branches do not interfere (there is no softmax-like
normalisation); that is a property of the paper's design, not of this instance.

**Padding and masking.** ``N`` must be a power of two (a QRAM stores ``2**n`` words). Pad a
shorter sequence of ``M`` entries with zero-angle entries (``K_j = V_j = 0``, which load
nothing) using :func:`qlaci_input_values`. A padded entry still contributes the empty-entry
term ``f(Q, 0, 0)``, which is exactly the output of the same circuit with every entry zero;
:func:`remove_padding` subtracts it: ``c_M = (N c_padded - (N - M) c_empty) / M``.

Parameter layout (flat ParameterVectors, ``L = layers``):

* ``inputs[a] = Q_a`` for ``a < d_q``; ``inputs[d_q + j*k + c] = K_{j,c}``;
  ``inputs[d_q + N*k + j*v + c] = V_{j,c}``. Length ``d_q + N (k + v)``.
* ``weights[l*2*(d_q+k) + 2*i]`` and ``[... + 1]`` are the interaction ``RY`` and ``RZ``
  angles of qubit ``i`` of ``query + key`` (query first) in layer ``l``; then, from offset
  ``2 L (d_q + k)``, per layer ``l``: ``o`` out ``RY`` angles, ``max(o, k)`` key ``CRY``
  angles, ``max(o, d_q)`` query ``CRY`` angles. Length
  ``L (2 (d_q + k) + o + max(o, k) + max(o, d_q))``.

Registers:
    query: ``d_q`` query qubits, ``RY``-encoded.
    index: ``log2 N`` address qubits in uniform superposition (little-endian).
    key: ``k`` qubits loaded with ``RY(K_j)`` by the key QRAM query.
    value: ``v`` qubits loaded with ``RY(V_j)`` by the value QRAM query.
    out: ``o`` output qubits; observables ``Z`` on each, in order.

References:
    "Toward a Hybrid Quantum-Classical Transformer with Logarithmically Scaling Attention for
    Long Sequences" (QLACI), sections 3.2-3.3.
    Giovannetti, Lloyd, Maccone, "Quantum random access memory", arXiv:0708.1879.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from qiskit.circuit import ParameterVector, QuantumCircuit, QuantumRegister

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit, ModelResources, z_observables
from qcompile.qram import QRAMQuery, QRAMWords
from qcompile.qram.query import MAX_ADDRESS_BITS

__all__ = [
    "QLACIStructure",
    "build_qlaci",
    "qlaci_input_values",
    "qlaci_resources",
    "qlaci_structure",
    "remove_padding",
]


def _check_sizes(
    seq_len: int,
    query_qubits: int,
    key_qubits: int,
    value_qubits: int,
    out_qubits: int,
    layers: int,
) -> int:
    if (
        isinstance(seq_len, bool)
        or not isinstance(seq_len, int)
        or seq_len < 2
        or seq_len & (seq_len - 1)
        or seq_len.bit_length() - 1 > MAX_ADDRESS_BITS
    ):
        raise ResourceError(
            f"QLACI seq_len must be a power of two in [2, 2**{MAX_ADDRESS_BITS}] "
            f"(pad with zero-angle entries), got {seq_len!r}"
        )
    for name, value in (
        ("query_qubits", query_qubits),
        ("key_qubits", key_qubits),
        ("value_qubits", value_qubits),
        ("out_qubits", out_qubits),
        ("layers", layers),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ResourceError(f"QLACI {name} must be a positive int, got {value!r}")
    return seq_len.bit_length() - 1


def _interaction_pairs(query_qubits: int, key_qubits: int) -> list[tuple[int, int]]:
    return [(a % query_qubits, a % key_qubits) for a in range(max(query_qubits, key_qubits))]


def _fan_in(source_qubits: int, out_qubits: int) -> list[tuple[int, int]]:
    return [(c % source_qubits, c % out_qubits) for c in range(max(source_qubits, out_qubits))]


def _num_weights(d_q: int, k: int, o: int, layers: int) -> int:
    return layers * (2 * (d_q + k) + o + max(o, k) + max(o, d_q))


@dataclass(frozen=True)
class QLACIStructure:
    """The gates of :func:`build_qlaci` by kind, in closed form, its two QRAM queries whole.

    What a resource estimate composes with the cost of a QRAM construction: the lookups are
    ``lookup_word_bits`` (the key and the value query, ``"ry"`` words, both addressed by the
    ``index_qubits``); everything else is here.

    Attributes:
        num_qubits: Width without QRAM ancillas, ``d_q + n + k + v + o``.
        index_qubits: ``n = log2 N``.
        lookup_word_bits: Word bits of the key and the value query, ``(k, v)``.
        one_qubit_gates: ``RY`` on query, ``H`` on index, the interaction's ``RY RZ``, ``RY``
            on out.
        clifford_one_qubit_gates: The ``n`` Hadamards among them (the rest are rotations).
        cx: ``CX`` of the interaction and of the value write.
        cry: ``CRY`` of the aggregation.
        depth: The gates outside the queries, each layer of gates that act in series counted
            once: encoding (1), per interaction layer ``2 + max(d_q, k)``, per aggregation
            layer ``1 + max(o, k) + max(o, d_q) + max(o, v)``. An upper bound.
    """

    num_qubits: int
    index_qubits: int
    lookup_word_bits: tuple[int, int]
    one_qubit_gates: int
    clifford_one_qubit_gates: int
    cx: int
    cry: int
    depth: int


def qlaci_structure(
    seq_len: int,
    query_qubits: int = 2,
    key_qubits: int = 2,
    value_qubits: int = 2,
    out_qubits: int = 2,
    *,
    layers: int = 1,
) -> QLACIStructure:
    """The gate structure of :func:`build_qlaci` with the same arguments (any ``N``).

    Raises:
        ResourceError: On an impossible size.
    """
    n = _check_sizes(seq_len, query_qubits, key_qubits, value_qubits, out_qubits, layers)
    d_q, k, v, o, big_l = query_qubits, key_qubits, value_qubits, out_qubits, layers
    interaction = len(_interaction_pairs(d_q, k))
    scores = len(_fan_in(k, o)) + len(_fan_in(d_q, o))
    writes = len(_fan_in(v, o))
    return QLACIStructure(
        num_qubits=d_q + n + k + v + o,
        index_qubits=n,
        lookup_word_bits=(k, v),
        one_qubit_gates=d_q + n + big_l * (2 * (d_q + k) + o),
        clifford_one_qubit_gates=n,
        cx=big_l * (interaction + writes),
        cry=big_l * scores,
        depth=1 + big_l * (2 + interaction) + big_l * (1 + scores + writes),
    )


def qlaci_resources(
    seq_len: int,
    query_qubits: int = 2,
    key_qubits: int = 2,
    value_qubits: int = 2,
    out_qubits: int = 2,
    *,
    layers: int = 1,
) -> ModelResources:
    """Closed-form logical size of :func:`build_qlaci` (valid far beyond buildable ``N``).

    A QRAM query counts as a two-qubit gate only when it acts on two qubits (``N = 2`` with a
    one-qubit word), as :func:`~qcompile.models.base.count_resources` counts it.

    Args:
        seq_len: Sequence length ``N``, a power of two.
        query_qubits: ``d_q``. Defaults to 2.
        key_qubits: ``k``. Defaults to 2.
        value_qubits: ``v``. Defaults to 2.
        out_qubits: ``o``. Defaults to 2.
        layers: ``L``. Defaults to 1.

    Returns:
        The counts :func:`~qcompile.models.base.count_resources` finds in the built circuit.

    Raises:
        ResourceError: On an impossible size.
    """
    s = qlaci_structure(seq_len, query_qubits, key_qubits, value_qubits, out_qubits, layers=layers)
    two_qubit_queries = sum(s.index_qubits + b == 2 for b in s.lookup_word_bits)
    return ModelResources(
        num_qubits=s.num_qubits,
        num_inputs=query_qubits + seq_len * (key_qubits + value_qubits),
        num_weights=_num_weights(query_qubits, key_qubits, out_qubits, layers),
        num_two_qubit_gates=two_qubit_queries + s.cx + s.cry,
        num_one_qubit_gates=s.one_qubit_gates,
    )


def build_qlaci(
    seq_len: int,
    query_qubits: int = 2,
    key_qubits: int = 2,
    value_qubits: int = 2,
    out_qubits: int = 2,
    *,
    layers: int = 1,
) -> ModelCircuit:
    """Build the QLACI circuit for one query over ``seq_len`` key-value entries.

    See the module docstring for the gates, the padding scheme and the parameter layout.

    Args:
        seq_len: Sequence length ``N``, a power of two >= 2 (pad shorter sequences with
            :func:`qlaci_input_values`).
        query_qubits: Query qubits ``d_q`` (one angle per query feature). Defaults to 2.
        key_qubits: Key qubits ``k`` (one angle per key feature per entry). Defaults to 2.
        value_qubits: Value qubits ``v`` (one angle per value feature per entry).
            Defaults to 2.
        out_qubits: Output qubits ``o`` = context dimension. Defaults to 2.
        layers: Repetitions ``L`` of both the interaction and the aggregation block.
            Defaults to 1.

    Returns:
        The model: registers ``query, index, key, value, out``; ``inputs`` of length
        ``d_q + N (k + v)``; ``weights`` of length
        ``L (2 (d_q + k) + o + max(o, k) + max(o, d_q))``; ``o`` observables ``Z_out``.

    Raises:
        ResourceError: If ``seq_len`` is not a power of two >= 2 or a size is below 1.
    """
    n = _check_sizes(seq_len, query_qubits, key_qubits, value_qubits, out_qubits, layers)
    d_q, k, v, o = query_qubits, key_qubits, value_qubits, out_qubits
    query = QuantumRegister(d_q, "query")
    index = QuantumRegister(n, "index")
    key = QuantumRegister(k, "key")
    value = QuantumRegister(v, "value")
    out = QuantumRegister(o, "out")
    inputs = ParameterVector("inputs", d_q + seq_len * (k + v))
    weights = ParameterVector("weights", _num_weights(d_q, k, o, layers))
    key_words = [[inputs[d_q + j * k + c] for c in range(k)] for j in range(seq_len)]  # K_{j,c}
    value_words = [
        [inputs[d_q + seq_len * k + j * v + c] for c in range(v)] for j in range(seq_len)
    ]

    qc = QuantumCircuit(query, index, key, value, out, name="qlaci")
    for a in range(d_q):
        qc.ry(inputs[a], query[a])
    qc.h(index)
    qc.append(QRAMQuery(QRAMWords.angles(key_words), label="K"), [*index, *key])
    qc.append(QRAMQuery(QRAMWords.angles(value_words), label="V"), [*index, *value])

    interacting = [*query, *key]
    for layer in range(layers):
        base = layer * 2 * (d_q + k)
        for i, qubit in enumerate(interacting):
            qc.ry(weights[base + 2 * i], qubit)
            qc.rz(weights[base + 2 * i + 1], qubit)
        for a, c in _interaction_pairs(d_q, k):
            qc.cx(query[a], key[c])

    w = layers * 2 * (d_q + k)
    for _ in range(layers):
        for t in range(o):
            qc.ry(weights[w], out[t])
            w += 1
        for c, t in _fan_in(k, o):
            qc.cry(weights[w], key[c], out[t])
            w += 1
        for a, t in _fan_in(d_q, o):
            qc.cry(weights[w], query[a], out[t])
            w += 1
        for c, t in _fan_in(v, o):
            qc.cx(value[c], out[t])

    width = qc.num_qubits
    first_out = d_q + n + k + v
    return ModelCircuit(
        circuit=qc,
        registers={"query": query, "index": index, "key": key, "value": value, "out": out},
        inputs=inputs,
        weights=weights,
        observables=z_observables(width, range(first_out, first_out + o)),
        metadata={
            "model": "qlaci",
            "seq_len": seq_len,
            "index_qubits": n,
            "query_qubits": d_q,
            "key_qubits": k,
            "value_qubits": v,
            "out_qubits": o,
            "layers": layers,
            "qram_queries": 2,
            "qram_word_mode": "ry",
            "interaction": "RY RZ on query+key, CX query[a%d_q] -> key[a%k]",
            "aggregation": "RY on out, CRY key->out, CRY query->out, CX value->out",
            "padding": "zero-angle entries; remove_padding subtracts the empty-entry term",
        },
    )


def qlaci_input_values(
    query: ArrayLike, keys: ArrayLike, values: ArrayLike, seq_len: int | None = None
) -> np.ndarray:
    """Flatten one query and its key-value entries into ``inputs`` order, zero-padding.

    Args:
        query: ``(d_q,)`` query angles.
        keys: ``(M, k)`` key angles, one row per entry.
        values: ``(M, v)`` value angles, one row per entry.
        seq_len: Padded length ``N >= M``. Defaults to the next power of two >= max(M, 2).

    Returns:
        The ``d_q + N (k + v)`` input values; entries ``M..N-1`` are zero-angle padding.

    Raises:
        ResourceError: If the shapes disagree or ``seq_len < M``.
    """
    q = np.asarray(query, dtype=float).reshape(-1)
    kk = np.asarray(keys, dtype=float)
    vv = np.asarray(values, dtype=float)
    if kk.ndim != 2 or vv.ndim != 2 or kk.shape[0] != vv.shape[0] or kk.shape[0] < 1:
        raise ResourceError(
            f"keys and values must be (M, k) and (M, v) with M >= 1, got {kk.shape}, {vv.shape}"
        )
    m = kk.shape[0]
    if seq_len is None:
        seq_len = 1 << max(1, (m - 1).bit_length())
    if seq_len < m:
        raise ResourceError(f"seq_len={seq_len} is shorter than the {m} entries")
    kp = np.zeros((seq_len, kk.shape[1]))
    vp = np.zeros((seq_len, vv.shape[1]))
    kp[:m], vp[:m] = kk, vv
    return np.concatenate([q, kp.reshape(-1), vp.reshape(-1)])


def remove_padding(
    padded: ArrayLike, empty: ArrayLike, num_entries: int, seq_len: int
) -> np.ndarray:
    """Context vector over the real entries from a zero-padded run.

    Because the output averages the ``N`` index branches, padded branches add exactly
    ``(N - M) / N`` times the output of an all-zero sequence (same query and weights).

    Args:
        padded: Expectations of the padded run (any shape).
        empty: Expectations of the same query and weights with every entry zero.
        num_entries: Real entries ``M`` (``1 <= M <= N``).
        seq_len: Padded length ``N``.

    Returns:
        ``(N padded - (N - M) empty) / M``.

    Raises:
        ResourceError: If ``M`` is not in ``1..N``.
    """
    if not 1 <= num_entries <= seq_len:
        raise ResourceError(f"num_entries must be in 1..{seq_len}, got {num_entries}")
    p = np.asarray(padded, dtype=float)
    e = np.asarray(empty, dtype=float)
    return (seq_len * p - (seq_len - num_entries) * e) / num_entries
