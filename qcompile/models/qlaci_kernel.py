"""QLACI with a fidelity-kernel score: normalised kernel attention that can retrieve.

QLACI as published (:mod:`qcompile.models.qlaci`) averages a learned function of each entry
with weight ``1/N``: no score can single out the matching key. This variant keeps QLACI's
registers and its QRAM-addressed index superposition, but makes the query-key interaction an
overlap of two feature-map states, so each index branch carries the weight
``kappa(q, k_j) = |<phi(k_j)|phi(q)>|**2`` and a ratio of two expectation values normalises
them, as a softmax does.

The circuit (registers ``query``, ``index``, ``out``):

* **Feature map** ``U(x) = R(x) W_{L-1} ... R(x) W_0`` on ``d`` qubits, applied to
  ``|0...0>``: ``W_l`` is a trainable ``RY RZ`` on every qubit then a ``CX`` chain
  ``a -> a+1``; ``R(x)`` is ``RY(x_a)`` on qubit ``a`` (data re-uploading for ``L > 1``).
  The same weights serve the query and the keys, so ``kappa(q, q) = 1`` and ``kappa`` is a
  positive semi-definite (fidelity) kernel.
* **Sharpening.** The ``query`` register holds ``m`` copies of the ``d`` feature-map qubits,
  each prepared by ``U(q)``; the probability that all ``m d`` qubits read 0 on branch ``j``
  is ``kappa(q, k_j)**m``. A temperature (bandwidth) is a scale on the angles: the hybrid
  module (:mod:`runtime.train.hybrid_qlaci_kernel`) learns it with the projections.
* **Key lookups.** ``H`` on ``index``; then ``U(k_j)^dagger`` on every copy, conditioned on
  the index: for ``l = L-1 .. 0`` one QRAM lookup (:class:`~qcompile.qram.QRAMQuery`,
  ``"ry"`` words of ``m d`` angles ``-K_{j,a}``, the same ``d`` angles for every copy) then
  ``W_l^dagger`` on every copy. Branch ``j`` now has amplitude ``<phi(k_j)|phi(q)>`` (per
  copy) on ``|0...0>_query``.
* **Amplitude amplification** (``grover_iterations = g``, optional): with ``A`` the circuit so
  far (feature maps, ``H``, key lookups) and the good subspace ``query = |0...0>``,
  ``g`` times ``S_chi`` (phase ``-1`` on ``query = 0``) then ``A S_0 A^dagger`` (``S_0``:
  phase ``-1`` on ``query = index = 0``). The good component's amplitude goes from
  ``sin(theta)``, ``sin(theta)**2 = p = mean_j kappa_j**m``, to ``sin((2g+1) theta)``; the
  normalised good state is unchanged (the Grover rotation acts on the plane of the good
  and the bad component), so the ratio below is the same and only its post-selection
  succeeds more often.
* **Value lookup.** One QRAM lookup, ``"ry"`` words ``V_{j,c}`` on ``out[c]``: after it the
  out register of branch ``j`` holds ``RY(V_j)|0>``, so ``<Z_c> = cos(V_{j,c}) = f(v_j)``.
  It acts on ``index`` and ``out`` only, so it commutes with the amplification and is
  applied once, after it.

**Readout.** Observables, in order: ``P0`` (projector on ``query = |0...0>``), then
``P0 Z_out[c]`` for every out qubit. Without amplification
``<P0> = p = (1/N) sum_j kappa_j**m`` and ``<P0 Z_c> = (1/N) sum_j kappa_j**m cos V_{j,c}``;
the context is the ratio ``<P0 Z_c> / <P0> = sum_j kappa_j**m cos V_{j,c} / sum_j
kappa_j**m`` (normalised kernel attention; with amplification only ``<P0>`` and ``<P0 Z_c>``
are both multiplied by ``sin((2g+1) theta)**2 / p``). On a device: measure every qubit,
keep the shots whose query bits are all 0 (post-selection, acceptance ``<P0>``), and
average ``Z_out`` over the kept shots.

Parameter layout (flat ParameterVectors): ``inputs[a] = Q_a`` (``a < d``),
``inputs[d + j d + a] = K_{j,a}``, ``inputs[d + N d + j o + c] = V_{j,c}``, length
``d + N (d + o)``; ``weights[2 (l d + a)]`` and ``[2 (l d + a) + 1]`` are the ``RY`` and
``RZ`` angles of qubit ``a`` in ``W_l``, length ``2 L d``.

Registers:
    query: ``m d`` qubits, copy ``c`` on qubits ``c d .. c d + d - 1``.
    index: ``log2 N`` address qubits in uniform superposition (little-endian).
    out: ``o`` qubits loaded with ``RY(V_j)`` by the value lookup.

References:
    "Toward a Hybrid Quantum-Classical Transformer with Logarithmically Scaling Attention for
    Long Sequences" (QLACI), sections 3.2-3.3 (registers, index superposition, QRAM access).
    Havlicek et al., "Supervised learning with quantum-enhanced feature spaces",
    arXiv:1804.11326 (fidelity kernels). Katharopoulos et al., "Transformers are RNNs",
    arXiv:2006.16236 (normalised kernel attention). Brassard, Hoyer, Mosca, Tapp, "Quantum
    amplitude amplification and estimation", arXiv:quant-ph/0005055.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qiskit.circuit import ParameterVector, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import ZGate
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit, ModelResources
from qcompile.qram import QRAMQuery, QRAMWords
from qcompile.qram.query import MAX_ADDRESS_BITS

__all__ = [
    "KernelSizes",
    "build_qlaci_kernel",
    "grover_acceptance",
    "grover_iterations_for",
    "kernel_observables",
    "qlaci_kernel_resources",
]

MAX_QUERY_QUBITS = 16
"""``m d`` above this makes the ``P0`` observables (``2**(m d)`` Pauli terms) impractical."""


@dataclass(frozen=True)
class KernelSizes:
    """Sizes of a ``qlaci-kernel`` circuit.

    Attributes:
        seq_len: ``N``, a power of two >= 2.
        feature_qubits: ``d`` qubits per feature-map copy. Defaults to 2.
        copies: ``m`` copies of the feature map (kernel ``kappa**m``). Defaults to 1.
        out_qubits: ``o`` = context dimension. Defaults to 2.
        layers: ``L`` data layers of the feature map. Defaults to 1.
        grover_iterations: ``g`` amplitude-amplification iterations. Defaults to 0.

    Raises:
        ResourceError: On an impossible size.
    """

    seq_len: int
    feature_qubits: int = 2
    copies: int = 1
    out_qubits: int = 2
    layers: int = 1
    grover_iterations: int = 0

    def __post_init__(self) -> None:
        n = self.seq_len
        if (
            isinstance(n, bool)
            or not isinstance(n, int)
            or n < 2
            or n & (n - 1)
            or n.bit_length() - 1 > MAX_ADDRESS_BITS
        ):
            raise ResourceError(
                f"qlaci-kernel seq_len must be a power of two in [2, 2**{MAX_ADDRESS_BITS}], "
                f"got {n!r}"
            )
        for name in ("feature_qubits", "copies", "out_qubits", "layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ResourceError(f"qlaci-kernel {name} must be a positive int, got {value!r}")
        g = self.grover_iterations
        if isinstance(g, bool) or not isinstance(g, int) or g < 0:
            raise ResourceError(f"qlaci-kernel grover_iterations must be an int >= 0, got {g!r}")
        if self.query_qubits > MAX_QUERY_QUBITS:
            raise ResourceError(
                f"qlaci-kernel copies x feature_qubits must be <= {MAX_QUERY_QUBITS}, "
                f"got {self.query_qubits}"
            )

    @property
    def index_qubits(self) -> int:
        """``n = log2 N``."""
        return self.seq_len.bit_length() - 1

    @property
    def query_qubits(self) -> int:
        """``m d``."""
        return self.copies * self.feature_qubits

    @property
    def num_qubits(self) -> int:
        """``m d + n + o``."""
        return self.query_qubits + self.index_qubits + self.out_qubits

    @property
    def num_inputs(self) -> int:
        """``d + N (d + o)``."""
        return self.feature_qubits + self.seq_len * (self.feature_qubits + self.out_qubits)

    @property
    def num_weights(self) -> int:
        """``2 L d``."""
        return 2 * self.layers * self.feature_qubits


def grover_acceptance(p: float, iterations: int) -> float:
    """Post-selection probability after ``iterations`` Grover steps: ``sin((2g+1) theta)**2``.

    Args:
        p: Acceptance without amplification, ``sin(theta)**2``, in ``[0, 1]``.
        iterations: ``g >= 0``.

    Returns:
        The amplified acceptance.
    """
    theta = math.asin(math.sqrt(min(max(p, 0.0), 1.0)))
    return math.sin((2 * iterations + 1) * theta) ** 2


def grover_iterations_for(p: float) -> int:
    """The iteration count that brings acceptance ``p`` closest to 1: ``round(pi/(4 theta) - 1/2)``.

    Args:
        p: Acceptance without amplification, in ``(0, 1]``.

    Returns:
        ``g >= 0``.
    """
    theta = math.asin(math.sqrt(min(max(p, 1e-300), 1.0)))
    return max(0, round(math.pi / (4 * theta) - 0.5))


def kernel_observables(sizes: KernelSizes) -> tuple[SparsePauliOp, ...]:
    """``P0`` on the query register, then ``P0 Z_out[c]`` for each out qubit (full width).

    ``P0 = prod_a (I + Z_a) / 2`` over the ``m d`` query qubits (``2**(m d)`` Z terms).
    """
    width, mq = sizes.num_qubits, sizes.query_qubits
    p0 = SparsePauliOp.from_sparse_list([("", [], 1.0)], num_qubits=width)
    for a in range(mq):
        factor = SparsePauliOp.from_sparse_list([("", [], 0.5), ("Z", [a], 0.5)], num_qubits=width)
        p0 = p0.compose(factor).simplify()
    first_out = mq + sizes.index_qubits
    outs = [
        p0.compose(SparsePauliOp.from_sparse_list([("Z", [first_out + c], 1.0)], width)).simplify()
        for c in range(sizes.out_qubits)
    ]
    return (p0, *outs)


def _feature_layer(
    qc: QuantumCircuit, qubits: list, weights: ParameterVector, layer: int, *, inverse: bool
) -> None:
    """``W_l`` (or ``W_l^dagger``) on one copy."""
    d = len(qubits)
    base = 2 * layer * d
    if not inverse:
        for a, q in enumerate(qubits):
            qc.ry(weights[base + 2 * a], q)
            qc.rz(weights[base + 2 * a + 1], q)
        for a in range(d - 1):
            qc.cx(qubits[a], qubits[a + 1])
        return
    for a in reversed(range(d - 1)):
        qc.cx(qubits[a], qubits[a + 1])
    for a, q in enumerate(qubits):
        qc.rz(-weights[base + 2 * a + 1], q)
        qc.ry(-weights[base + 2 * a], q)


def _reflect_zero(qc: QuantumCircuit, qubits: list) -> None:
    """``I - 2 |0...0><0...0|`` on ``qubits``."""
    qc.x(qubits)
    if len(qubits) == 1:
        qc.z(qubits[0])
    else:
        qc.append(ZGate().control(len(qubits) - 1, annotated=False), qubits)
    qc.x(qubits)


def build_qlaci_kernel(sizes: KernelSizes) -> ModelCircuit:
    """Build the kernel-attention QLACI circuit for one query over ``N`` entries.

    See the module docstring for the gates, the readout and the parameter layout.

    Args:
        sizes: The sizes.

    Returns:
        The model: registers ``query, index, out``; ``inputs`` of length ``d + N (d + o)``;
        ``weights`` of length ``2 L d``; observables ``P0`` then ``P0 Z_out[c]``.
    """
    s = sizes
    d, m, o, big_n, n = s.feature_qubits, s.copies, s.out_qubits, s.seq_len, s.index_qubits
    query = QuantumRegister(m * d, "query")
    index = QuantumRegister(n, "index")
    out = QuantumRegister(o, "out")
    inputs = ParameterVector("inputs", s.num_inputs)
    weights = ParameterVector("weights", s.num_weights)
    copies = [list(query[c * d : (c + 1) * d]) for c in range(m)]

    prep = QuantumCircuit(query, index, name="kernel_prep")  # A: everything amplified
    for copy in copies:
        for layer in range(s.layers):
            _feature_layer(prep, copy, weights, layer, inverse=False)
            for a, q in enumerate(copy):
                prep.ry(inputs[a], q)
    prep.h(index)
    key_words = QRAMWords.angles(
        [tuple(-inputs[d + j * d + a] for _ in range(m) for a in range(d)) for j in range(big_n)]
    )
    for layer in reversed(range(s.layers)):
        prep.append(QRAMQuery(key_words, label="K†"), [*index, *query])
        for copy in copies:
            _feature_layer(prep, copy, weights, layer, inverse=True)

    qc = QuantumCircuit(query, index, out, name="qlaci_kernel")
    qc.compose(prep, qubits=[*query, *index], inplace=True)
    for _ in range(s.grover_iterations):
        _reflect_zero(qc, list(query))
        qc.compose(prep.inverse(), qubits=[*query, *index], inplace=True)
        _reflect_zero(qc, [*query, *index])
        qc.compose(prep, qubits=[*query, *index], inplace=True)
    value_words = QRAMWords.angles(
        [[inputs[d + big_n * d + j * o + c] for c in range(o)] for j in range(big_n)]
    )
    qc.append(QRAMQuery(value_words, label="V"), [*index, *out])

    return ModelCircuit(
        circuit=qc,
        registers={"query": query, "index": index, "out": out},
        inputs=inputs,
        weights=weights,
        observables=kernel_observables(s),
        metadata={
            "model": "qlaci-kernel",
            "seq_len": big_n,
            "index_qubits": n,
            "feature_qubits": d,
            "copies": m,
            "out_qubits": o,
            "layers": s.layers,
            "grover_iterations": s.grover_iterations,
            "qram_queries": s.layers * (2 * s.grover_iterations + 1) + 1,
            "qram_word_mode": "ry",
            "feature_map": "per layer: RY RZ (weights), CX chain, RY(x) (data)",
            "readout": "context = <P0 Z_out> / <P0>; P0 = |0..0><0..0| on query",
        },
    )


def qlaci_kernel_resources(sizes: KernelSizes) -> ModelResources:
    """Closed-form logical size of :func:`build_qlaci_kernel` (valid far beyond buildable N).

    Counts as :func:`~qcompile.models.base.count_resources` does: a QRAM query or a
    multi-controlled ``Z`` is a two-qubit gate only when it acts on two qubits.

    Args:
        sizes: The sizes.

    Returns:
        The counts of the built circuit.
    """
    s = sizes
    d, m, n, o, big_l, g = (
        s.feature_qubits,
        s.copies,
        s.index_qubits,
        s.out_qubits,
        s.layers,
        s.grover_iterations,
    )
    mq = m * d
    # A: per copy and layer 2d (W) + d (data) one-qubit gates and d-1 CX; H on index; per
    # layer a key lookup and W^dagger on every copy.
    prep_one = m * big_l * 3 * d + n + big_l * m * 2 * d
    prep_two = 2 * m * big_l * (d - 1) + big_l * (mq + n == 2)
    # Each Grover step: S_chi (2 mq X, one Z or mcZ), A^dagger, S_0 (X on mq + n), A.
    s_chi_one = 2 * mq + (mq == 1)
    s_chi_two = int(mq == 2)
    s_0_one = 2 * (mq + n)
    s_0_two = int(mq + n == 2)
    one = prep_one * (2 * g + 1) + g * (s_chi_one + s_0_one)
    two = prep_two * (2 * g + 1) + g * (s_chi_two + s_0_two) + int(n + o == 2)
    return ModelResources(
        num_qubits=s.num_qubits,
        num_inputs=s.num_inputs,
        num_weights=s.num_weights,
        num_two_qubit_gates=two,
        num_one_qubit_gates=one,
    )
