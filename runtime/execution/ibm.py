"""IBM Quantum execution through qiskit-ibm-runtime primitives, behind one factory.

qiskit-ibm-runtime changes its primitives often (0.50 deprecated the server-side
``SamplerV2``/``EstimatorV2`` in favour of client-side, executor-based ones); callers
only see :class:`IBMExecutor` and qattn's PUBs and results. The primitive classes are
chosen in :func:`primitive_classes`.

Credentials come from ``QISKIT_IBM_TOKEN`` (with ``QISKIT_IBM_INSTANCE`` and
``QISKIT_IBM_CHANNEL``, default ``ibm_quantum_platform``) or else from the account saved
with ``QiskitRuntimeService.save_account``. A missing or rejected credential, or no
network, is a one-line :class:`~hardware_profiles.errors.JobError`; the token never appears in a
message, a log record or the fingerprint.

**Local testing mode** (:meth:`IBMExecutor.local`) runs the same primitive code path
with a backend object as ``mode``, offline. Passing ``FakeFez()`` itself would make every
call build a noise model for all 156 qubits (15-18 s) and the executor-based estimator
refuse to run ("requires more memory than max_memory_mb"). Instead each PUB is
restricted to its active qubits and runs on an :class:`ActiveQubitsBackend`: a
``BackendV2`` whose Target is the snapshot's Target on those qubits and whose ``run``
uses the matching noise model (:mod:`runtime.execution.noise`, the same channels as
``NoiseModel.from_backend``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from qiskit import QuantumCircuit
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target
from qiskit_aer import AerSimulator

from hardware_profiles.errors import JobError
from runtime.execution.active import ActiveCircuit, restrict_circuit, restrict_target
from runtime.execution.aer import DEFAULT_SHOTS
from runtime.execution.executor import (
    EstimateResult,
    EstimatorPub,
    JobHandle,
    RequestKind,
    SampleResult,
    SamplerPub,
)
from runtime.execution.noise import target_noise_model
from runtime.execution.secrets import redacted_line

__all__ = [
    "TOKEN_ENV",
    "ActiveQubitsBackend",
    "IBMExecutor",
    "RuntimeJobHandle",
    "connect_service",
    "primitive_classes",
]

TOKEN_ENV = "QISKIT_IBM_TOKEN"
INSTANCE_ENV = "QISKIT_IBM_INSTANCE"
CHANNEL_ENV = "QISKIT_IBM_CHANNEL"
ExecutionMode = Literal["job", "batch", "session"]


def primitive_classes() -> tuple[type, type]:
    """The (sampler, estimator) classes qattn uses from the installed qiskit-ibm-runtime.

    The server-side V2 primitives: deprecated in 0.50 but the ones that run both on
    IBM hardware and, with a backend as ``mode``, in local testing mode with plain
    ``BackendSamplerV2``/``BackendEstimatorV2``. Change here when they go away.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from qiskit_ibm_runtime import EstimatorV2, SamplerV2
    return SamplerV2, EstimatorV2


def connect_service(channel: str | None = None, instance: str | None = None) -> Any:
    """A ``QiskitRuntimeService`` from the environment or the saved account.

    Raises:
        JobError: no credentials, credentials rejected, or no network (one line, no token).
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    token = os.environ.get(TOKEN_ENV)
    channel = channel or os.environ.get(CHANNEL_ENV) or None
    instance = instance or os.environ.get(INSTANCE_ENV) or None
    try:
        if token:
            return QiskitRuntimeService(
                channel=channel or "ibm_quantum_platform",
                token=token,
                instance=instance,
            )
        if not QiskitRuntimeService.saved_accounts():
            raise JobError(
                f"no IBM Quantum credentials: set {TOKEN_ENV} (and {INSTANCE_ENV}) or save "
                "an account with QiskitRuntimeService.save_account"
            )
        return QiskitRuntimeService(channel=channel, instance=instance)
    except JobError:
        raise
    except Exception as error:  # any failure: rejected token, no network, bad config
        detail = redacted_line(error, limit=200)
        raise JobError(
            f"cannot connect to IBM Quantum ({type(error).__name__}): {detail}"
        ) from None


class ActiveQubitsBackend(BackendV2):
    """A backend made of a device's active qubits: reduced Target, matching Aer noise.

    Args:
        source: the full backend (e.g. ``FakeFez()``); its Target gives errors,
            durations and T1/T2.
        qubits: the physical qubits kept (compact qubit ``i`` is ``qubits[i]``).
        noisy: attach the noise model. Defaults to True.
        noise_scale: see :func:`runtime.execution.noise.scale_target`. Defaults to 1.0.
    """

    def __init__(
        self,
        source: BackendV2,
        qubits: Sequence[int],
        noisy: bool = True,
        noise_scale: float = 1.0,
    ) -> None:
        super().__init__(name=f"{source.name}[{','.join(map(str, qubits))}]")
        self._target = restrict_target(source.target, qubits)
        options: dict[str, Any] = {}
        if noisy:
            options["noise_model"] = target_noise_model(self._target, noise_scale)
            if len(qubits) <= 10:
                options["method"] = "density_matrix"
        self._simulator = AerSimulator(**options)

    @property
    def target(self) -> Target:
        """The reduced Target."""
        return self._target

    @property
    def max_circuits(self) -> None:
        """No limit."""
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=DEFAULT_SHOTS)

    def run(self, run_input: Any, **options: Any) -> Any:
        """Runs on Aer with the reduced noise model (no transpilation)."""
        return self._simulator.run(run_input, **options)


@dataclass
class RuntimeJobHandle:
    """One or more runtime jobs making up one qattn request."""

    kind: RequestKind
    jobs: list[Any]
    shots: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    remote: bool = True

    @property
    def job_id(self) -> str | None:
        """The remote job id (None in local testing mode)."""
        if not self.remote or not self.jobs:
            return None
        return str(self.jobs[0].job_id())

    def status(self) -> str:
        """The worst status among the jobs, in qattn's vocabulary."""
        try:
            statuses = [_status_name(job.status()) for job in self.jobs]
        except Exception as error:
            raise JobError(f"cannot read job status: {redacted_line(error, limit=200)}") from None
        for name in ("ERROR", "CANCELLED", "RUNNING", "QUEUED"):
            if name in statuses:
                return name
        return "DONE"

    def result(self) -> SampleResult | EstimateResult:
        """Waits for the jobs; raises ``JobError`` if one failed."""
        try:
            results = [pub for job in self.jobs for pub in job.result()]
        except Exception as error:
            detail = redacted_line(error, limit=200)
            raise JobError(f"job {self.job_id or 'local'} failed: {detail}") from None
        metadata = dict(self.metadata, job_id=self.job_id)
        if self.kind == "sample":
            counts = tuple(_pub_counts(r) for r in results)
            shots = int(_bit_array(results[0]).num_shots) if results else (self.shots or 0)
            return SampleResult(counts, shots, metadata)
        values = tuple(np.asarray(r.data.evs, dtype=float) for r in results)
        stds = tuple(np.asarray(r.data.stds, dtype=float) for r in results)
        return EstimateResult(values, stds, metadata)


def _status_name(status: Any) -> str:
    name = str(getattr(status, "name", status)).upper()
    if name in ("INITIALIZING", "VALIDATING"):
        return "QUEUED"
    return name if name in ("QUEUED", "RUNNING", "DONE", "ERROR", "CANCELLED") else "RUNNING"


def _bit_array(pub_result: Any) -> Any:
    """All classical registers of a sampler PUB result as one ``BitArray``."""
    names = list(pub_result.data.keys())
    return pub_result.join_data() if len(names) > 1 else pub_result.data[names[0]]


def _pub_counts(pub_result: Any) -> tuple[dict[str, int], ...]:
    """Counts per parameter set (row-major) over all classical registers."""
    bits = _bit_array(pub_result)
    if bits.shape == ():
        return (dict(bits.get_counts()),)
    return tuple(dict(bits.get_counts(loc=index)) for index in np.ndindex(bits.shape))


class IBMExecutor:
    """Runs PUBs with qiskit-ibm-runtime primitives on an IBM backend or locally.

    Args:
        backend: an IBM backend name (``ibm_fez``), or a ``BackendV2`` object (a fake
            backend runs in local testing mode; prefer :meth:`local`).
        mode: ``job``, ``batch`` or ``session``. Defaults to ``job``.
        resilience_level: estimator resilience level 0-2; None keeps IBM's default.
        twirling: Pauli-twirl gates and measurements. Defaults to False.
        dynamical_decoupling: insert DD sequences. Defaults to False.
        instance: IBM Cloud instance (CRN or name); defaults to ``$QISKIT_IBM_INSTANCE``.
        channel: defaults to ``$QISKIT_IBM_CHANNEL`` or ``ibm_quantum_platform``.
        seed: simulator seed in local testing mode. Defaults to None.
        noise_scale: local testing mode only; see :mod:`runtime.execution.noise`. Defaults to 1.0.
    """

    def __init__(
        self,
        backend: str | BackendV2,
        mode: ExecutionMode = "job",
        resilience_level: int | None = None,
        twirling: bool = False,
        dynamical_decoupling: bool = False,
        instance: str | None = None,
        channel: str | None = None,
        seed: int | None = None,
        noise_scale: float = 1.0,
    ) -> None:
        if mode not in ("job", "batch", "session"):
            raise JobError(f"mode must be job, batch or session, got {mode!r}")
        if resilience_level is not None and resilience_level not in (0, 1, 2):
            raise JobError(f"resilience_level must be 0, 1 or 2, got {resilience_level!r}")
        self.backend = backend
        self.mode = mode
        self.resilience_level = resilience_level
        self.twirling = twirling
        self.dynamical_decoupling = dynamical_decoupling
        self.instance = instance
        self.channel = channel
        self.seed = seed
        self.noise_scale = noise_scale
        self._service: Any = None
        self._backend_object: Any = None
        self._session: Any = None

    @classmethod
    def local(
        cls, fake_backend: str | BackendV2, seed: int | None = None, noise_scale: float = 1.0
    ) -> IBMExecutor:
        """Local testing mode with a fake backend (``FakeFez``, ``FakeBrisbane``...), offline."""
        if isinstance(fake_backend, str):
            from hardware_profiles.ibm_snapshot import snapshot_backend

            try:
                fake_backend = snapshot_backend(fake_backend)
            except Exception as error:
                raise JobError(str(error)) from None
        return cls(fake_backend, seed=seed, noise_scale=noise_scale)

    @property
    def is_local(self) -> bool:
        """True in local testing mode (a backend object that is not an IBM cloud backend)."""
        from qiskit_ibm_runtime import IBMBackend

        return isinstance(self.backend, BackendV2) and not isinstance(self.backend, IBMBackend)

    @property
    def backend_name(self) -> str:
        """The backend's name (``ibm_fez``, ``fake_fez``...)."""
        return self.backend if isinstance(self.backend, str) else str(self.backend.name)

    @property
    def name(self) -> str:
        """``local-ibm:<backend>`` or ``ibm:<backend>``."""
        return f"{'local-ibm' if self.is_local else 'ibm'}:{self.backend_name}"

    def fingerprint(self) -> dict[str, Any]:
        """Backend, mode and primitive options; never a credential."""
        import qiskit_ibm_runtime

        fingerprint: dict[str, Any] = {
            "executor": self.name,
            "backend": self.backend_name,
            "mode": self.mode,
            "resilience_level": self.resilience_level,
            "twirling": self.twirling,
            "dynamical_decoupling": self.dynamical_decoupling,
            "qiskit_ibm_runtime": qiskit_ibm_runtime.__version__,
        }
        if self.is_local:
            import qiskit_aer

            fingerprint.update(
                seed=self.seed, noise_scale=self.noise_scale, qiskit_aer=qiskit_aer.__version__
            )
        return fingerprint

    def submit(
        self,
        kind: RequestKind,
        pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
        *,
        shots: int | None = None,
        precision: float | None = None,
    ) -> JobHandle:
        """Submits the request; returns once the runtime job exists."""
        if kind not in ("sample", "estimate"):
            raise JobError(f"unknown request kind {kind!r}; use 'sample' or 'estimate'")
        shots = DEFAULT_SHOTS if shots is None and kind == "sample" else shots
        metadata = {"executor": self.name, "backend": self.backend_name, "mode": self.mode}
        if self.is_local:
            jobs = [self._run_local(kind, pub, shots, precision) for pub in pubs]
            return RuntimeJobHandle(kind, jobs, shots, metadata, remote=False)
        primitive_pubs = [_primitive_pub(kind, pub.circuit, pub) for pub in pubs]
        try:
            primitive = self._primitive(kind, self._remote_mode(), shots)
            job = _call(primitive, kind, primitive_pubs, shots, precision)
        except JobError:
            raise
        except Exception as error:
            detail = redacted_line(error, limit=200)
            raise JobError(f"cannot submit to {self.backend_name}: {detail}") from None
        return RuntimeJobHandle(kind, [job], shots, metadata)

    def retrieve(self, job_id: str) -> JobHandle:
        """The handle of an earlier job, from the service."""
        if self.is_local:
            raise JobError(
                f"{self.name} runs locally and keeps no jobs; cannot retrieve {job_id!r}"
            )
        service = self._connect()
        try:
            job = service.job(job_id)
            kind: RequestKind = "estimate" if "estimator" in str(job.primitive_id) else "sample"
        except Exception as error:
            detail = redacted_line(error, limit=200)
            raise JobError(f"cannot retrieve job {job_id!r}: {detail}") from None
        metadata = {"executor": self.name, "backend": self.backend_name, "mode": self.mode}
        return RuntimeJobHandle(kind, [job], None, metadata)

    def close(self) -> None:
        """Closes the session or batch, if one was opened."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def _connect(self) -> Any:
        if self._service is None:
            self._service = connect_service(self.channel, self.instance)
        return self._service

    def _remote_mode(self) -> Any:
        if self._backend_object is None:
            self._backend_object = self._connect().backend(self.backend_name)
        if self.mode == "job":
            return self._backend_object
        if self._session is None:
            from qiskit_ibm_runtime import Batch, Session

            factory = Batch if self.mode == "batch" else Session
            self._session = factory(backend=self._backend_object)
        return self._session

    def _primitive(self, kind: RequestKind, mode: Any, shots: int | None) -> Any:
        sampler_class, estimator_class = primitive_classes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            primitive = (sampler_class if kind == "sample" else estimator_class)(mode=mode)
        options = primitive.options
        if self.is_local:
            if self.seed is not None:
                options.simulator.seed_simulator = self.seed
            return primitive
        options.dynamical_decoupling.enable = self.dynamical_decoupling
        options.twirling.enable_gates = self.twirling
        options.twirling.enable_measure = self.twirling
        if kind == "estimate" and self.resilience_level is not None:
            options.resilience_level = self.resilience_level
        return primitive

    def _run_local(
        self,
        kind: RequestKind,
        pub: SamplerPub | EstimatorPub,
        shots: int | None,
        precision: float | None,
    ) -> Any:
        assert isinstance(self.backend, BackendV2)
        active = restrict_circuit(pub.circuit)
        reduced = ActiveQubitsBackend(self.backend, active.qubits, noise_scale=self.noise_scale)
        circuit = active.circuit
        if kind == "estimate":
            circuit = circuit.remove_final_measurements(inplace=False)
        primitive = self._primitive(kind, reduced, shots)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _call(
                primitive, kind, [_primitive_pub(kind, circuit, pub, active)], shots, precision
            )


def _primitive_pub(
    kind: RequestKind,
    circuit: QuantumCircuit,
    pub: SamplerPub | EstimatorPub,
    active: ActiveCircuit | None = None,
) -> tuple[Any, ...]:
    values = np.asarray(pub.parameter_values, dtype=float)
    if kind == "sample":
        if not isinstance(pub, SamplerPub):
            raise JobError("a sample request takes SamplerPub objects only")
        return (circuit, values) if values.size else (circuit,)
    if not isinstance(pub, EstimatorPub):
        raise JobError("an estimate request takes EstimatorPub objects only")
    observables = [active.map_observable(o) if active else o for o in pub.observables]
    if not values.size:
        return (circuit, observables)
    # Parameter sets of shape batch broadcast against observables: batch + (num_obs,).
    return (circuit, observables, values.reshape((*values.shape[:-1], 1, values.shape[-1])))


def _call(
    primitive: Any,
    kind: RequestKind,
    pubs: list[tuple[Any, ...]],
    shots: int | None,
    precision: float | None,
) -> Any:
    if kind == "sample":
        return primitive.run(pubs, shots=shots)
    return primitive.run(pubs, precision=precision or None)
