"""The one shape every model circuit in :mod:`qcompile.models` is returned in.

A model builder (``build_qasa``, ``build_qlam``, ``build_qama_qaoa``) returns a frozen
:class:`ModelCircuit`: an unmeasured, parametrised :class:`~qiskit.circuit.QuantumCircuit`
on named registers, the ``inputs`` (data) and ``weights`` (trainable) ParameterVectors it is
parametrised by, and the observables whose expectation values are the model's outputs. Keeping
data and weights as separate ParameterVectors means binding a new sample never recompiles.

:func:`count_resources` counts a built circuit; each model module also has an analytic
``*_resources`` function with the same :class:`ModelResources` result, and the tests check
that the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit, QuantumRegister
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import ResourceError

__all__ = [
    "ModelCircuit",
    "ModelResources",
    "count_resources",
    "z_observables",
]

# Instructions that are bookkeeping rather than gates when counting resources.
_NON_GATES = frozenset({"barrier", "delay"})


@dataclass(frozen=True)
class ModelResources:
    """Logical (pre-transpilation) size of a model circuit.

    Attributes:
        num_qubits: Circuit width.
        num_inputs: Length of the ``inputs`` ParameterVector.
        num_weights: Length of the ``weights`` ParameterVector.
        num_two_qubit_gates: Number of two-qubit gates in the logical circuit.
        num_one_qubit_gates: Number of one-qubit gates in the logical circuit.
    """

    num_qubits: int
    num_inputs: int
    num_weights: int
    num_two_qubit_gates: int
    num_one_qubit_gates: int


@dataclass(frozen=True)
class ModelCircuit:
    """A model's parametrised circuit, its parameters and its observables.

    Attributes:
        circuit: The unmeasured circuit, built on the named registers in ``registers``.
        registers: Register name to QuantumRegister, in circuit order.
        inputs: Data parameters (bound per sample).
        weights: Trainable parameters. A weight may be absent from ``circuit`` when the
            published model declares it but never uses it (see QASA); bind through
            :meth:`parameter_values` or :meth:`bind`, which skip such parameters.
        observables: The model outputs, each a SparsePauliOp on the full circuit width
            in Qiskit's little-endian label order (qubit 0 is the rightmost label character).
        metadata: Model name, sizes and design choices; JSON-friendly values only.

    Raises:
        ResourceError: If the parts are inconsistent (a measured circuit, an observable of
            the wrong width, a circuit parameter that is neither an input nor a weight, or
            registers that are not the circuit's registers).
    """

    circuit: QuantumCircuit
    registers: Mapping[str, QuantumRegister]
    inputs: ParameterVector
    weights: ParameterVector
    observables: tuple[SparsePauliOp, ...]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if any(inst.operation.name == "measure" for inst in self.circuit.data):
            raise ResourceError("a model circuit must not contain measurements")
        if list(self.registers.values()) != list(self.circuit.qregs):
            raise ResourceError("registers must be exactly the circuit's quantum registers")
        if any(name != reg.name for name, reg in self.registers.items()):
            raise ResourceError("each register must be keyed by its own name")
        for obs in self.observables:
            if obs.num_qubits != self.circuit.num_qubits:
                raise ResourceError(
                    f"observable on {obs.num_qubits} qubits for a "
                    f"{self.circuit.num_qubits}-qubit circuit"
                )
        known = set(self.inputs) | set(self.weights)
        stray = [p.name for p in self.circuit.parameters if p not in known]
        if stray:
            raise ResourceError(f"circuit parameters not in inputs or weights: {stray}")

    @property
    def num_qubits(self) -> int:
        """Circuit width."""
        return self.circuit.num_qubits

    def parameter_values(self, inputs: ArrayLike, weights: ArrayLike) -> np.ndarray:
        """Arrange input and weight values in ``circuit.parameters`` order.

        This is the array a PUB for an Estimator or Sampler takes. Values for parameters
        that do not occur in the circuit are dropped.

        Args:
            inputs: Values for ``inputs``; trailing shape ``(len(inputs),)``, any leading
                batch shape.
            weights: Values for ``weights``; shape ``(len(weights),)`` or with the same
                leading batch shape as ``inputs``.

        Returns:
            An array of shape ``batch + (circuit.num_parameters,)``.

        Raises:
            ResourceError: If a trailing dimension does not match its ParameterVector.
        """
        x = np.asarray(inputs, dtype=float)
        w = np.asarray(weights, dtype=float)
        if x.shape[-1:] != (len(self.inputs),):
            raise ResourceError(f"expected {len(self.inputs)} input values, got shape {x.shape}")
        if w.shape[-1:] != (len(self.weights),):
            raise ResourceError(f"expected {len(self.weights)} weight values, got shape {w.shape}")
        batch = np.broadcast_shapes(x.shape[:-1], w.shape[:-1])
        x = np.broadcast_to(x, (*batch, x.shape[-1]))
        w = np.broadcast_to(w, (*batch, w.shape[-1]))
        where: dict[Parameter, tuple[np.ndarray, int]] = {}
        where.update({p: (x, i) for i, p in enumerate(self.inputs)})
        where.update({p: (w, i) for i, p in enumerate(self.weights)})
        columns = [where[p][0][..., where[p][1]] for p in self.circuit.parameters]
        if not columns:
            return np.zeros((*batch, 0))
        return np.stack(columns, axis=-1)

    def bind(self, inputs: ArrayLike, weights: ArrayLike) -> QuantumCircuit:
        """Return the circuit with every parameter bound (one sample, no batch).

        Args:
            inputs: Values for ``inputs``, shape ``(len(inputs),)``.
            weights: Values for ``weights``, shape ``(len(weights),)``.

        Returns:
            A parameter-free copy of ``circuit``.
        """
        values = self.parameter_values(inputs, weights)
        if values.ndim != 1:
            raise ResourceError("bind takes one sample; pass 1-D inputs and weights")
        return self.circuit.assign_parameters(values.tolist())


def z_observables(num_qubits: int, qubits: Sequence[int]) -> tuple[SparsePauliOp, ...]:
    """One single-qubit Z observable per listed qubit, each on the full width.

    Args:
        num_qubits: Width of the circuit the observables are measured on.
        qubits: Circuit qubit indices, one observable each, in this order.

    Returns:
        ``Z_q`` as a SparsePauliOp for each ``q`` (label character ``num_qubits-1-q``).
    """
    return tuple(
        SparsePauliOp.from_sparse_list([("Z", [q], 1.0)], num_qubits=num_qubits) for q in qubits
    )


def count_resources(model: ModelCircuit) -> ModelResources:
    """Count the logical size of a built model circuit.

    Args:
        model: A built model.

    Returns:
        Its width, parameter counts and one- and two-qubit gate counts.
    """
    one = two = 0
    for inst in model.circuit.data:
        if inst.operation.name in _NON_GATES:
            continue
        if inst.operation.num_qubits == 1:
            one += 1
        elif inst.operation.num_qubits == 2:
            two += 1
    return ModelResources(
        num_qubits=model.num_qubits,
        num_inputs=len(model.inputs),
        num_weights=len(model.weights),
        num_two_qubit_gates=two,
        num_one_qubit_gates=one,
    )
