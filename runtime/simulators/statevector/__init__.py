"""Batched statevector simulators in torch with adjoint gradients, for parametrised circuits.

**The fused engine** (what training uses): :func:`compile_engine` turns a circuit, its
per-sample ``inputs``, shared ``weights`` and observables into a :class:`StatevectorEngine`
whose :meth:`~StatevectorEngine.expectation_values` is differentiable by torch autograd with
a vector-Jacobian backward: one adjoint sweep per batch, weighted by the upstream gradient.
Gates are fused by cost into dense blocks, multiplexers and permutations
(``plan``), their matrices built with torch from the gate angles (``op_matrices``), the
state swept as a few GEMM/einsum calls per block and swept back in the same fused form
(``sweep``), observables applied as diagonals and phased bit flips (``pauli``); see
``engine``.

**The Jacobian engine** (earlier; kept for its public names and tests):
:func:`compile_circuit` turns a parametrised :class:`~qiskit.circuit.QuantumCircuit` into a
:class:`TorchCircuit` once. Every instruction is expanded through its ``definition`` until it
is a one-qubit gate (``rx``/``ry``/``rz``/``p``/``u`` or any fixed 2x2 unitary), a controlled
one-qubit gate (any number of controls, any ``ctrl_state``; annotated ``.control()`` gates
too) or ``rzz`` (simulated as ``CX · RZ · CX``). Gate angles form one table: angles affine in
the parameters (``0.5*x``, ``x + 2*y``) are one matrix product, others (``x*y``) are evaluated
with torch, so any angle expression is differentiated exactly.

The expanded gates are then fused into *blocks*: every run of (controlled) one-qubit gates
on the same target and the same controls becomes one ``2x2`` matrix per control value (a
multiplexer: a QRAM-style lookup of 16 controlled rotations is one block), and every run of
controlled-X gates becomes one basis permutation. Blocks outside the backward light cone of
the observables are skipped when computing expectation values, and each qubit's first
block, when it is an uncontrolled one-qubit block, only prepares the product state
``(x)_q M_q |0>``, built directly. The light cone's last blocks, while they and the
observables act on at most four qubits ``S``, are folded into the observables
(``O'_k = T^† O_k T``, one ``2**|S|``-square matrix, built once per batch when the tail reads
only parameters equal on every row, i.e. weights): the values are ``sum(R * O')`` with
``R`` the state's overlaps on ``S``.

The state is real-split and batch-innermost, ``(re/im, 2**n, batch)``, so each block is a
few contiguous, vectorised float64 multiply-adds (torch's complex kernels are several times
slower); a multiplexer whose controls are consecutive qubits is applied on the state as it
lies, other multiplexers on a copy with the controls leading. Gradients use the adjoint
method: the forward sweep keeps the state after each parametrised block, then one backward
sweep un-applies each block to ``lambda_k = O'_k |psi>`` for every observable at once, and
collects ``G = sum conj(lambda_i) psi_j`` per block (for the product-state prefix:
``lambda`` contracted with every other qubit's column, all qubits by divide and conquer; for
the folded tail: ``O^T conj(T) R`` pushed through the tail's small matrices); then
``d value = 2 Re sum((G @ conj(M)) * dM)`` per block. The chain rule from each block's
matrix to its gates (``F_t = A_t^T E B_t^T`` for the products ``A``/``B`` after and before
gate ``t``), to the gates' angles (closed-form ``dC / d angle``) and through the affine
angle table to the parameters is explicit; only angles that are not affine in the
parameters go through torch autograd, on the angle expressions alone. No autograd graph is
built over the state. Everything is float64. Sweep buffers of small states (the product
state, block outputs, the prefix's contractions) are kept between calls (per thread), kept
states and ``lambda`` are written straight into buffers that :meth:`TorchCircuit.release`
hands back from a consumed evaluation, so a training step does not page-fault fresh
multi-megabyte tensors in (a step of the 11-qubit benchmark took a few thousand faults).

Modules, in the order a circuit meets them:
    ``gates``: one-qubit gate components and the angle table they read.
    ``fusion``: fusing gates into multiplexer and permutation blocks.
    ``compiler``: :func:`compile_circuit`, expanding Qiskit instructions into gates.
    ``prepared``: blocks made ready to run; the product-state prefix split.
    ``matrices``: gate and block matrices for a batch of angles.
    ``kernels``: applying a block to the real-split state; reused buffers.
    ``product_state``: building the prefix's product state and its gradient.
    ``observables``: observables as a diagonal plus signed permutations.
    ``tail``: the light cone's last blocks folded into the observables.
    ``overlaps``: the adjoint sweep's per-block overlaps.
    ``chain_rule``: from block gradients to gates, angles and parameters.
    ``torch_circuit``: :class:`TorchCircuit` (forward, values, adjoint) and
    :class:`Evaluation`.

References:
    Jones & Gacon, "Efficient calculation of gradients in classical simulations of
    variational quantum algorithms", arXiv:2009.02823 (adjoint differentiation).
"""

from runtime.simulators.statevector.compiler import compile_circuit
from runtime.simulators.statevector.engine import StatevectorEngine, compile_engine
from runtime.simulators.statevector.torch_circuit import Evaluation, TorchCircuit

__all__ = ["Evaluation", "StatevectorEngine", "TorchCircuit", "compile_circuit", "compile_engine"]
