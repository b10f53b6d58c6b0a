"""IBM Quantum execution through qiskit-ibm-runtime primitives, behind one factory.

qiskit-ibm-runtime 0.50 deprecated the server-side primitives in favour of client-side,
executor-based ones (``qiskit_ibm_runtime.executor_sampler.Sampler`` and
``qiskit_ibm_runtime.executor_estimator.Estimator``), which qattn uses for job, batch and
session modes and for local testing mode. Callers only see :class:`IBMExecutor` and qattn's
PUBs and results; the classes are chosen in :func:`primitive_classes`. A qiskit-ibm-runtime
without them under those names (0.49 and older) is refused with a one-line error naming the
version to install. Error suppression and mitigation (resilience level, twirling, dynamical
decoupling, TREX, ZNE) come as one :class:`~runtime.execution.mitigation.MitigationOptions`,
mapped onto the primitives' own options in local testing mode and on hardware alike.

Credentials come from ``QISKIT_IBM_TOKEN`` (with ``QISKIT_IBM_INSTANCE``,
``QISKIT_IBM_CHANNEL``, default ``ibm_quantum_platform``, and ``QISKIT_IBM_URL``, default IBM
Cloud) or else from the account saved with ``QiskitRuntimeService.save_account``. A failure to
connect is one :class:`~hardware_profiles.errors.JobError` line that names its cause (no
network, token rejected, instance not found, backend not found or not available to the
instance; :func:`connect_service`); the token never appears in a message, a log record or the
fingerprint.

Jobs are retrieved by id from any process (:func:`fetch_job`): the service post-processes an
executor job into the same ``PrimitiveResult`` as the one ``run`` returned, and whether it
holds counts or expectation values is read from the result itself.

**Local testing mode** (:meth:`IBMExecutor.local`) runs the same primitive code path
with a backend object as ``mode``, offline. Passing ``FakeFez()`` itself would make every
call build a noise model for all 156 qubits (15-18 s). Instead each PUB is restricted to its
active qubits and runs on an :class:`ActiveQubitsBackend`: a ``BackendV2`` whose Target is the
snapshot's Target on those qubits and whose ``run`` uses the matching noise model
(:mod:`runtime.execution.noise`, the same channels as ``NoiseModel.from_backend``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
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
from runtime.execution.mitigation import MitigationOptions, apply_ibm_options
from runtime.execution.noise import target_noise_model
from runtime.execution.secrets import redacted_line

__all__ = [
    "CHANNEL_ENV",
    "INSTANCE_ENV",
    "LEAST_BUSY",
    "TOKEN_ENV",
    "URL_ENV",
    "ActiveQubitsBackend",
    "IBMExecutor",
    "RuntimeJobHandle",
    "connect_service",
    "fetch_job",
    "least_busy_backend",
    "primitive_classes",
]

TOKEN_ENV = "QISKIT_IBM_TOKEN"
INSTANCE_ENV = "QISKIT_IBM_INSTANCE"
CHANNEL_ENV = "QISKIT_IBM_CHANNEL"
URL_ENV = "QISKIT_IBM_URL"
CHANNELS = ("ibm_quantum_platform", "ibm_cloud")
LEAST_BUSY = "least_busy"
"""The backend name that asks for the least busy backend able to run the circuit."""
ExecutionMode = Literal["job", "batch", "session"]


def primitive_classes() -> tuple[type, type]:
    """The (sampler, estimator) classes qattn uses from the installed qiskit-ibm-runtime.

    The executor-based primitives of ``qiskit_ibm_runtime.executor_sampler`` and
    ``executor_estimator`` (named ``Sampler`` and ``Estimator`` since 0.50). They run on IBM
    hardware and, with a backend object as ``mode``, in local testing mode.

    Raises:
        JobError: the installed qiskit-ibm-runtime does not have them (0.49 and older).
    """
    try:
        from qiskit_ibm_runtime.executor_estimator import Estimator
        from qiskit_ibm_runtime.executor_sampler import Sampler
    except ImportError:
        import qiskit_ibm_runtime

        raise JobError(
            f"qiskit-ibm-runtime {qiskit_ibm_runtime.__version__} has no executor-based "
            "Sampler/Estimator; install qiskit-ibm-runtime>=0.50"
        ) from None
    return Sampler, Estimator


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 32:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _network_cause(error: BaseException) -> str | None:
    """Why the network failed, if it did: ``cannot reach HOST (reason)``; else None."""
    import requests

    for cause in _causes(error):
        if isinstance(cause, requests.exceptions.RequestException) and isinstance(
            cause, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)
        ):
            request = getattr(cause, "request", None)
            url = getattr(request, "url", None) or ""
            host = url.split("://", 1)[-1].split("/", 1)[0] or "the service"
            return f"cannot reach {host} ({_network_reason(cause)})"
        if isinstance(cause, (socket.gaierror, ConnectionRefusedError, TimeoutError)):
            return f"cannot reach the service ({_network_reason(cause)})"
    return None


def _network_reason(error: BaseException) -> str:
    for cause in _causes(error):
        if isinstance(cause, socket.gaierror):
            return "host name not resolved"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, TimeoutError) or "timed out" in str(cause).lower():
            return "timed out"
    return "connection failed"


def _http_status(error: BaseException) -> int | None:
    for cause in _causes(error):
        for name in ("status_code", "code", "status"):
            value = getattr(cause, name, None)
            if isinstance(value, int) and 400 <= value < 600:
                return value
    return None


def _is_crn(instance: str) -> bool:
    return instance.startswith("crn:")


def _check_instance(instance: str | None) -> None:
    """Refuses a malformed CRN before the service parses it (it raises AttributeError)."""
    if instance is None or not _is_crn(instance):
        return
    parts = instance.split(":")
    if len(parts) < 8 or not parts[5] or parts[4] != "quantum-computing":
        raise JobError(
            f"instance not found: {instance!r} is not an IBM Quantum CRN "
            "(crn:v1:bluemix:public:quantum-computing:REGION:a/ACCOUNT:ID::)"
        )


def connection_error(error: BaseException, instance: str | None = None) -> JobError:
    """One line that names why talking to IBM Quantum failed (never the token).

    The cause is one of: no network; token rejected; instance not found; backend not found
    or not available to the instance; else the service's own message.
    """
    from qiskit.providers.exceptions import QiskitBackendNotFoundError

    network = _network_cause(error)
    if network is not None:
        return JobError(f"no network: {network}")
    text = redacted_line(error, limit=200)
    for cause in _causes(error):
        name = type(cause).__name__
        message = str(cause)
        if (
            name == "CloudResourceNameResolutionError"
            or "access to the instance" in message
            or "not a valid instance" in message
        ):
            return JobError(
                f"instance not found: {instance or 'the instance'} is not available to "
                f"this token's account (set {INSTANCE_ENV} or --instance)"
            )
        if isinstance(cause, QiskitBackendNotFoundError):
            return JobError(f"backend not found: {redacted_line(cause, limit=200)}")
    status = _http_status(error)
    if status in (400, 401, 403) or "valid API token" in text or "nauthorized" in text:
        code = f" (HTTP {status})" if status else ""
        return JobError(
            f"token rejected{code}: IBM Cloud refused the API key in {TOKEN_ENV} or the "
            "saved account"
        )
    return JobError(f"cannot connect to IBM Quantum ({type(error).__name__}): {text}")


def connect_service(channel: str | None = None, instance: str | None = None) -> Any:
    """A ``QiskitRuntimeService`` from the environment or the saved account.

    Args:
        channel: ``ibm_quantum_platform`` or ``ibm_cloud``. Defaults to
            ``$QISKIT_IBM_CHANNEL``, else the saved account's, else ``ibm_quantum_platform``.
        instance: an instance CRN or name. Defaults to ``$QISKIT_IBM_INSTANCE``, else the
            saved account's.

    Raises:
        JobError: no credentials, no network, token rejected or instance not found (one
            line, never the token).
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    token = os.environ.get(TOKEN_ENV)
    channel = channel or os.environ.get(CHANNEL_ENV) or None
    instance = instance or os.environ.get(INSTANCE_ENV) or None
    url = os.environ.get(URL_ENV) or None
    if channel is not None and channel not in CHANNELS:
        raise JobError(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    _check_instance(instance)
    try:
        if token:
            extra = {"url": url} if url else {}
            return QiskitRuntimeService(
                channel=channel or "ibm_quantum_platform",
                token=token,
                instance=instance,
                **extra,
            )
        if not QiskitRuntimeService.saved_accounts():
            raise JobError(
                f"no IBM Quantum credentials: set {TOKEN_ENV} (and {INSTANCE_ENV}) or save "
                "an account with QiskitRuntimeService.save_account"
            )
        return QiskitRuntimeService(channel=channel, instance=instance)
    except JobError:
        raise
    except Exception as error:  # classified: network, token, instance, else the message
        raise connection_error(error, instance) from None


def service_backend(service: Any, name: str, instance: str | None = None) -> Any:
    """The backend ``name`` of ``service``.

    Raises:
        JobError: the backend does not exist or is not available to the instance (one line
            that lists the ones that are), or the service cannot be reached.
    """
    from qiskit.providers.exceptions import QiskitBackendNotFoundError

    try:
        return service.backend(name)
    except QiskitBackendNotFoundError:
        where = instance or os.environ.get(INSTANCE_ENV) or "this account's instances"
        try:
            available = sorted(b.name for b in service.backends())
        except Exception:
            available = []
        listing = f"; available: {', '.join(available[:12])}" if available else ""
        raise JobError(
            f"backend not found: {name!r} does not exist or is not available to {where}{listing}"
        ) from None
    except Exception as error:
        raise connection_error(error, instance) from None


def least_busy_backend(service: Any, circuit: QuantumCircuit) -> str:
    """The least busy operational backend whose Target runs ``circuit`` as compiled.

    Raises:
        JobError: no backend of the service can run the circuit, or the service failed.
    """
    from qcompile.isa import isa_violations

    try:
        backend = service.least_busy(
            min_num_qubits=circuit.num_qubits,
            operational=True,
            simulator=False,
            filters=lambda b: not isa_violations(circuit, b.target, limit=1),
        )
    except Exception as error:
        if type(error).__name__ == "QiskitBackendNotFoundError":
            raise JobError(
                f"backend not found: no operational backend can run this {circuit.num_qubits}-"
                "qubit ISA circuit as compiled; name one with --ibm"
            ) from None
        raise connection_error(error) from None
    return str(backend.name)


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
        options: dict[str, Any] = {"noise_model": None}
        if noisy:
            options["noise_model"] = target_noise_model(self._target, noise_scale)
            if len(qubits) <= 10:
                options["method"] = "density_matrix"
        self._simulator = AerSimulator.from_backend(self, **options)

    @property
    def target(self) -> Target:
        """The reduced Target."""
        return self._target

    @property
    def simulator(self) -> AerSimulator:
        """The simulator the primitives run on: this Target, this noise model.

        Local testing mode runs an ``AerSimulator`` given as ``mode`` as it is; any other
        backend would get ``NoiseModel.from_backend`` (unscaled), so this is what
        :class:`IBMExecutor` passes.
        """
        return self._simulator

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
    """One or more runtime jobs making up one qattn request.

    ``kind`` None (a job fetched by id alone) is read from the result: expectation values
    make it an estimate, counts a sample.
    """

    kind: RequestKind | None
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
            primitive_results = [job.result() for job in self.jobs]
        except Exception as error:
            detail = redacted_line(error, limit=200)
            raise JobError(f"job {self.job_id or 'local'} failed: {detail}") from None
        results = [pub for primitive_result in primitive_results for pub in primitive_result]
        metadata = dict(self.metadata, job_id=self.job_id)
        options = _primitive_options(primitive_results)
        if options is not None:
            metadata["primitive_options"] = options
        kind = self.kind or _result_kind(results)
        if kind == "sample":
            counts = tuple(_pub_counts(r) for r in results)
            shots = int(_bit_array(results[0]).num_shots) if results else (self.shots or 0)
            return SampleResult(counts, shots, metadata)
        values = tuple(np.asarray(r.data.evs, dtype=float) for r in results)
        stds = tuple(np.asarray(r.data.stds, dtype=float) for r in results)
        return EstimateResult(values, stds, metadata)


def _primitive_options(primitive_results: Sequence[Any]) -> dict[str, Any] | None:
    """The options the primitive ran with (finalized, as the result reports them), if any."""
    import json

    for primitive_result in primitive_results:
        options = getattr(primitive_result, "metadata", {}).get("options")
        if isinstance(options, dict):
            return dict(json.loads(json.dumps(options, default=str)))
    return None


def _result_kind(pub_results: Sequence[Any]) -> RequestKind:
    """``estimate`` when the PUB results hold expectation values, else ``sample``."""
    with_values = ["evs" in r.data for r in pub_results]
    if with_values and all(with_values):
        return "estimate"
    if any(with_values):
        raise JobError("the job's result mixes counts and expectation values")
    return "sample"


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


@dataclass(frozen=True)
class RemoteJob:
    """What the service says about a job fetched by id (:func:`fetch_job`).

    Attributes:
        job_id: the job id.
        status: ``QUEUED``, ``RUNNING``, ``DONE``, ``ERROR`` or ``CANCELLED``.
        backend: the backend's name, or None if the service does not say.
        primitive: the program id (``executor`` for executor-based primitives).
        created: the creation time as the service gives it, or None.
        handle: the job's handle (waits for and returns the result).
    """

    job_id: str
    status: str
    backend: str | None
    primitive: str
    created: str | None
    handle: RuntimeJobHandle

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (no handle)."""
        return {
            "job_id": self.job_id,
            "status": self.status,
            "backend": self.backend,
            "primitive": self.primitive,
            "created": self.created,
        }


def fetch_job(job_id: str, channel: str | None = None, instance: str | None = None) -> RemoteJob:
    """Any job of the account by its id, from the service (not only ones qattn stored).

    Raises:
        JobError: no credentials or no connection, or the service has no such job.
    """
    service = connect_service(channel, instance)
    try:
        job = service.job(job_id)
        backend = job.backend()
        status = _status_name(job.status())
    except Exception as error:
        if type(error).__name__ == "RuntimeJobNotFound":
            raise JobError(f"job {job_id!r} not found on IBM Quantum") from None
        raise connection_error(error, instance) from None
    backend_name = str(getattr(backend, "name", "")) or None
    primitive = str(getattr(job, "primitive_id", "") or "")
    kind: RequestKind | None = {"estimator": "estimate", "sampler": "sample"}.get(primitive)  # type: ignore[assignment]
    created = getattr(job, "creation_date", None)
    metadata = {"executor": f"ibm:{backend_name}", "backend": backend_name}
    handle = RuntimeJobHandle(kind, [job], None, metadata)
    return RemoteJob(
        job_id=job_id,
        status=status,
        backend=backend_name,
        primitive=primitive,
        created=str(created) if created is not None else None,
        handle=handle,
    )


class IBMExecutor:
    """Runs PUBs with qiskit-ibm-runtime's executor-based primitives, on IBM or locally.

    Args:
        backend: an IBM backend name (``ibm_fez``), or a ``BackendV2`` object (a fake
            backend runs in local testing mode; prefer :meth:`local`).
        mode: ``job``, ``batch`` or ``session``. Defaults to ``job``.
        mitigation: error suppression and mitigation (resilience level, twirling, DD,
            TREX, ZNE). Defaults to IBM's defaults.
        instance: IBM Cloud instance (CRN or name); defaults to ``$QISKIT_IBM_INSTANCE``.
        channel: defaults to ``$QISKIT_IBM_CHANNEL`` or ``ibm_quantum_platform``.
        seed: simulator seed in local testing mode. Defaults to None.
        noise_scale: local testing mode only; see :mod:`runtime.execution.noise`. Defaults to 1.0.

    Raises:
        JobError: an unknown mode.
    """

    def __init__(
        self,
        backend: str | BackendV2,
        mode: ExecutionMode = "job",
        mitigation: MitigationOptions | None = None,
        instance: str | None = None,
        channel: str | None = None,
        seed: int | None = None,
        noise_scale: float = 1.0,
    ) -> None:
        if mode not in ("job", "batch", "session"):
            raise JobError(f"mode must be job, batch or session, got {mode!r}")
        self.backend = backend
        self.mode = mode
        self.mitigation = mitigation or MitigationOptions()
        self.instance = instance
        self.channel = channel
        self.seed = seed
        self.noise_scale = noise_scale
        self._service: Any = None
        self._backend_object: Any = None
        self._session: Any = None

    @classmethod
    def local(
        cls,
        fake_backend: str | BackendV2,
        seed: int | None = None,
        noise_scale: float = 1.0,
        mitigation: MitigationOptions | None = None,
    ) -> IBMExecutor:
        """Local testing mode with a fake backend (``FakeFez``, ``FakeBrisbane``...), offline."""
        if isinstance(fake_backend, str):
            from hardware_profiles.ibm_snapshot import snapshot_backend

            try:
                fake_backend = snapshot_backend(fake_backend)
            except Exception as error:
                raise JobError(str(error)) from None
        return cls(fake_backend, seed=seed, noise_scale=noise_scale, mitigation=mitigation)

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
        """Backend, mode, primitives and mitigation options; never a credential."""
        import qiskit_ibm_runtime

        fingerprint: dict[str, Any] = {
            "executor": self.name,
            "backend": self.backend_name,
            "mode": self.mode,
            "primitives": "executor",
            "mitigation": self.mitigation.to_dict(),
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
        self.mitigation.check_kind(kind)
        shots = DEFAULT_SHOTS if shots is None and kind == "sample" else shots
        metadata = {"executor": self.name, "backend": self.backend_name, "mode": self.mode}
        if self.is_local:
            jobs = [self._run_local(kind, pub, shots, precision) for pub in pubs]
            return RuntimeJobHandle(kind, jobs, shots, metadata, remote=False)
        primitive_pubs = [_primitive_pub(kind, pub.circuit, pub) for pub in pubs]
        mode = self._remote_mode()
        try:
            primitive = self._primitive(kind, mode)
            job = _call(primitive, kind, primitive_pubs, shots, precision)
        except JobError:
            raise
        except Exception as error:
            if _network_cause(error) is not None:
                raise connection_error(error, self.instance) from None
            detail = redacted_line(error, limit=200)
            raise JobError(f"cannot submit to {self.backend_name}: {detail}") from None
        return RuntimeJobHandle(kind, [job], shots, metadata)

    def retrieve(self, job_id: str) -> JobHandle:
        """The handle of an earlier job, from the service."""
        if self.is_local:
            raise JobError(
                f"{self.name} runs locally and keeps no jobs; cannot retrieve {job_id!r}"
            )
        return fetch_job(job_id, self.channel, self.instance).handle

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
            self._backend_object = service_backend(
                self._connect(), self.backend_name, self.instance
            )
        if self.mode == "job":
            return self._backend_object
        if self._session is None:
            from qiskit_ibm_runtime import Batch, Session

            factory = Batch if self.mode == "batch" else Session
            try:
                self._session = factory(backend=self._backend_object)
            except Exception as error:
                raise connection_error(error, self.instance) from None
        return self._session

    def _primitive(self, kind: RequestKind, mode: Any) -> Any:
        sampler_class, estimator_class = primitive_classes()
        primitive = (sampler_class if kind == "sample" else estimator_class)(mode=mode)
        apply_ibm_options(primitive.options, self.mitigation, kind)
        if self.is_local and self.seed is not None:
            primitive.options.simulator.seed_simulator = self.seed
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
        primitive = self._primitive(kind, reduced.simulator)
        try:
            return _call(
                primitive, kind, [_primitive_pub(kind, circuit, pub, active)], shots, precision
            )
        except JobError:
            raise
        except Exception as error:  # the primitive refused the PUB or an option
            raise JobError(f"{self.name}: {redacted_line(error, limit=200)}") from None


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
