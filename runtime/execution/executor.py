"""The one interface every executor implements: PUBs in, results out.

An executor runs compiled (ISA) circuits and never re-transpiles them. Sampler requests
take ``(circuit, parameter_values)`` PUBs and a shot count; estimator requests take
``(circuit, observables, parameter_values)`` PUBs with observables already on the ISA
circuit's qubits and a target precision. Execution is split into ``submit`` (which may
return a remote job id as soon as one exists) and ``JobHandle.result`` (which waits), so a
job store can record the id before waiting and resume from it later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

__all__ = [
    "EstimateResult",
    "EstimatorPub",
    "Executor",
    "JobHandle",
    "RequestKind",
    "SampleResult",
    "SamplerPub",
]

RequestKind = Literal["sample", "estimate"]


@dataclass(frozen=True)
class SamplerPub:
    """One sampler PUB: an ISA circuit with measurements and its parameter values.

    Attributes:
        circuit: the ISA circuit (measured).
        parameter_values: shape ``(num_parameters,)`` or ``batch + (num_parameters,)``;
            empty for a parameter-free circuit.
    """

    circuit: QuantumCircuit
    parameter_values: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class EstimatorPub:
    """One estimator PUB: an ISA circuit, observables on its qubits, parameter values.

    Attributes:
        circuit: the ISA circuit (unmeasured).
        observables: each on ``circuit.num_qubits`` qubits (``SparsePauliOp.apply_layout``).
        parameter_values: as for :class:`SamplerPub`.
    """

    circuit: QuantumCircuit
    observables: tuple[SparsePauliOp, ...]
    parameter_values: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class SampleResult:
    """Counts per PUB (and per parameter set of a PUB, flattened in row-major order).

    Attributes:
        counts: one ``{bitstring: count}`` per PUB and parameter set; bitstrings are
            Qiskit's (classical bit 0 rightmost).
        shots: shots per parameter set.
        metadata: executor facts (backend, method, noise scale, job id...), JSON-friendly.
    """

    counts: tuple[tuple[Mapping[str, int], ...], ...]
    shots: int
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict; :meth:`from_dict` inverts it."""
        return {
            "kind": "sample",
            "counts": [[dict(c) for c in pub] for pub in self.counts],
            "shots": self.shots,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SampleResult:
        """The result that :meth:`to_dict` (or its JSON round trip) described."""
        counts = tuple(
            tuple({str(k): int(v) for k, v in c.items()} for c in pub) for pub in data["counts"]
        )
        return cls(counts, int(data["shots"]), dict(data.get("metadata", {})))


@dataclass(frozen=True)
class EstimateResult:
    """Expectation values per PUB: arrays of shape ``batch + (num_observables,)``.

    Attributes:
        values: expectation values per PUB.
        stds: standard errors per PUB (zeros for exact simulation).
        metadata: executor facts, JSON-friendly.
    """

    values: tuple[np.ndarray, ...]
    stds: tuple[np.ndarray, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict (arrays as nested lists); :meth:`from_dict` inverts it."""
        return {
            "kind": "estimate",
            "values": [np.asarray(v, dtype=float).tolist() for v in self.values],
            "stds": [np.asarray(s, dtype=float).tolist() for s in self.stds],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EstimateResult:
        """The result that :meth:`to_dict` (or its JSON round trip) described."""
        return cls(
            tuple(np.asarray(v, dtype=float) for v in data["values"]),
            tuple(np.asarray(s, dtype=float) for s in data["stds"]),
            dict(data.get("metadata", {})),
        )


@runtime_checkable
class JobHandle(Protocol):
    """A submitted request."""

    @property
    def job_id(self) -> str | None:
        """The remote job id, or None for local execution."""
        ...

    def status(self) -> str:
        """``QUEUED``, ``RUNNING``, ``DONE``, ``ERROR`` or ``CANCELLED``."""
        ...

    def result(self) -> SampleResult | EstimateResult:
        """Waits for and returns the result; raises ``JobError`` if the job failed."""
        ...


@runtime_checkable
class Executor(Protocol):
    """Runs sampler and estimator requests on one backend."""

    @property
    def name(self) -> str:
        """Short name, e.g. ``aer-ideal``, ``aer-noisy``, ``ibm:ibm_fez``, ``local-ibm:FakeFez``."""
        ...

    def fingerprint(self) -> dict[str, Any]:
        """Everything about this executor that determines results (never a secret)."""
        ...

    def submit(
        self,
        kind: RequestKind,
        pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
        *,
        shots: int | None = None,
        precision: float | None = None,
    ) -> JobHandle:
        """Submits a request; returns as soon as a job id exists (or at once locally)."""
        ...

    def retrieve(self, job_id: str) -> JobHandle:
        """The handle of an earlier remote job; raises ``JobError`` for local executors."""
        ...
