"""Running a compiled artifact as a stored request: what ``qrun sample`` and ``estimate`` do.

A :class:`RunRequest` says everything about one run of an artifact (which artifact, which
executor, shots or precision, where the parameter values come from); the job store keeps it as
the record's ``spec`` (:meth:`RunRequest.to_spec`), so ``qrun result`` resumes an unfinished
request from the stored spec (:meth:`RunRequest.from_spec`) rather than from rebuilt command-line
flags. :func:`run_artifact` loads the artifact (:meth:`qcompile.artifact.Artifact.load`), builds
its PUBs, runs them through the job store and, for a run that is not ideal, measures the distance
to the ideal result (:mod:`runtime.execution.compare`): for counts, to the circuit's exact
distribution, with the shot-noise floor beside it; for expectation values (or a circuit whose
distribution no statevector gives), to the ideal Aer run, which it runs or recalls.

Module import is light: numpy, qiskit and the executors load when a request runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hardware_profiles.errors import CircuitInputError, JobError, ProfileError, one_line
from runtime.execution.mitigation import MitigationOptions

if TYPE_CHECKING:
    import numpy as np
    from qiskit import QuantumCircuit

    from hardware_profiles import DeviceProfile
    from qcompile.artifact import Artifact
    from runtime.execution.executor import (
        EstimateResult,
        EstimatorPub,
        Executor,
        SampleResult,
        SamplerPub,
    )
    from runtime.execution.jobstore import JobStore

__all__ = ["EXECUTION_MODES", "MODES", "RunOutcome", "RunRequest", "make_executor", "run_artifact"]

MODES = ("ideal", "noisy", "ibm", "local-ibm")
"""Where a request runs: Aer without noise, Aer with the profile's noise, IBM Quantum, or an
IBM fake backend locally."""

EXECUTION_MODES = ("job", "batch", "session")
"""How IBM Quantum runs the jobs: one by one, as a batch, or in a dedicated session."""

Command = Literal["sample", "estimate"]


@dataclass(frozen=True)
class RunRequest:
    """One run of a compiled artifact, as the job store keeps it.

    Attributes:
        command: ``sample`` (counts) or ``estimate`` (expectation values).
        artifact: the artifact's ``.qpy`` file or directory.
        profile: profile name or ``.toml`` file; None: the one the artifact was compiled for.
        mode: one of :data:`MODES`. Defaults to ``ideal``.
        backend: the IBM backend (``ibm``) or fake backend (``local-ibm``). Defaults to None.
        noise_scale: scale of the noise model (``noisy``, ``local-ibm``). Defaults to 1.
        seed: simulator seed. Defaults to None.
        shots: shots per parameter set (``sample``). Defaults to None (executor's).
        precision: target precision (``estimate``). Defaults to None (executor's).
        parameters: a ``.json`` or ``.npy`` file of parameter values. Defaults to None.
        random_parameters: seed of uniform values in ``[0, 2π)``. Defaults to None.
        execution_mode: ``job``, ``batch`` or ``session`` (``ibm`` only). Defaults to ``job``.
        instance: IBM Cloud instance, CRN or name (``ibm`` only). Defaults to None
            (``$QISKIT_IBM_INSTANCE`` or the saved account's).
        channel: ``ibm_quantum_platform`` or ``ibm_cloud`` (``ibm`` only). Defaults to None
            (``$QISKIT_IBM_CHANNEL`` or the saved account's).
        mitigation: error suppression and mitigation (Aer applies it locally; see aer.py).
            Defaults to none asked (each executor's defaults).

    Raises:
        JobError: an unknown command or mode, a mode without its backend, a shot count,
            precision or noise scale out of range, or an option the mode cannot honour.
    """

    command: Command
    artifact: str
    profile: str | None = None
    mode: str = "ideal"
    backend: str | None = None
    noise_scale: float = 1.0
    seed: int | None = None
    shots: int | None = None
    precision: float | None = None
    parameters: str | None = None
    random_parameters: int | None = None
    execution_mode: str = "job"
    instance: str | None = None
    channel: str | None = None
    mitigation: MitigationOptions = field(default_factory=MitigationOptions)

    def __post_init__(self) -> None:
        if self.command not in ("sample", "estimate"):
            raise JobError(f"unknown request command {self.command!r} (sample or estimate)")
        if self.mode not in MODES:
            raise JobError(f"unknown mode {self.mode!r} (one of {', '.join(MODES)})")
        if self.mode in ("ibm", "local-ibm") and not self.backend:
            raise JobError(f"the {self.mode} executor needs a backend name")
        if self.shots is not None and self.shots < 1:
            raise JobError("--shots must be at least 1")
        if self.precision is not None and self.precision <= 0:
            raise JobError("--precision must be positive")
        if self.noise_scale < 0:
            raise JobError("--noise-scale must be non-negative")
        if self.execution_mode not in EXECUTION_MODES:
            raise JobError(
                f"--mode must be one of {', '.join(EXECUTION_MODES)}, got {self.execution_mode!r}"
            )
        if self.mode != "ibm":
            given = [
                flag
                for flag, value in (
                    ("--mode", self.execution_mode != "job"),
                    ("--instance", self.instance is not None),
                    ("--channel", self.channel is not None),
                )
                if value
            ]
            if given:
                raise JobError(f"{', '.join(given)}: for --ibm runs only")
        self.mitigation.check_kind(self.command)
        if self.mode in ("ideal", "noisy"):
            self.mitigation.check_aer()

    def to_spec(self) -> dict[str, Any]:
        """The request as plain JSON data (the job store's ``spec``)."""
        return {
            "command": self.command,
            "artifact": self.artifact,
            "profile": self.profile,
            "mode": self.mode,
            "backend": self.backend,
            "noise_scale": self.noise_scale,
            "seed": self.seed,
            "shots": self.shots,
            "precision": self.precision,
            "parameters": self.parameters,
            "random_parameters": self.random_parameters,
            "execution_mode": self.execution_mode,
            "instance": self.instance,
            "channel": self.channel,
            "mitigation": self.mitigation.to_dict(),
        }

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> RunRequest:
        """The request :meth:`to_spec` wrote (older specs without a field get its default).

        Raises:
            JobError: the spec was not written by a run request.
        """
        if "command" not in spec or "artifact" not in spec:
            raise JobError("the stored request was not made by qrun")
        known = {name for name in cls.__dataclass_fields__}
        fields = {k: v for k, v in spec.items() if k in known and v is not None}
        fields["mitigation"] = MitigationOptions.from_dict(spec.get("mitigation"))
        return cls(**fields)

    @property
    def ideal(self) -> RunRequest:
        """The same request on the ideal simulator (no IBM settings, no mitigation)."""
        return replace(
            self,
            mode="ideal",
            backend=None,
            execution_mode="job",
            instance=None,
            channel=None,
            mitigation=MitigationOptions(),
        )

    def parameter_values(self, num_parameters: int) -> np.ndarray:
        """The parameter values this request asks for, for a circuit with ``num_parameters``.

        Raises:
            CircuitInputError: an unreadable values file, or none given for a circuit with
                parameters.
        """
        import numpy as np

        if self.parameters is not None:
            values = _read_values(self.parameters)
            if not np.all(np.isfinite(values)):
                raise CircuitInputError(
                    f"{self.parameters}: parameter values must be finite numbers (NaN or inf)"
                )
            return values
        if self.random_parameters is not None:
            rng = np.random.default_rng(self.random_parameters)
            return rng.uniform(0.0, 2 * np.pi, num_parameters)
        if num_parameters:
            raise CircuitInputError(
                f"the circuit has {num_parameters} parameters; pass --parameters or "
                "--random-parameters"
            )
        return np.zeros(0)


MAX_VALUES_BYTES = 64 * 1024 * 1024
"""The largest parameter-values file read (64 MiB)."""


def _read_values(path: str) -> np.ndarray:
    """Parameter values from a ``.npy`` file or a JSON list (of lists), size checked first.

    Raises:
        CircuitInputError: an unreadable, oversized or malformed file.
    """
    import numpy as np

    from qcompile.circuit_io import read_limited

    try:
        if path.endswith(".npy"):
            size = os.stat(path).st_size
            if size > MAX_VALUES_BYTES:
                raise CircuitInputError(
                    f"{path}: {size:,} bytes exceeds the limit of {MAX_VALUES_BYTES:,} bytes"
                )
            # Memory-mapped, so a header that promises more data than the file holds is
            # refused instead of allocated; pickles are never loaded.
            return np.array(np.load(path, mmap_mode="r", allow_pickle=False), dtype=float)
        data = read_limited(path, MAX_VALUES_BYTES, "parameter values file")
        return np.asarray(json.loads(data), dtype=float)
    except CircuitInputError:
        raise
    except RecursionError:
        raise CircuitInputError(f"{path}: not parameter values (nested too deeply)") from None
    except (OSError, ValueError, TypeError, MemoryError, EOFError) as exc:
        raise CircuitInputError(f"{path}: not parameter values ({one_line(exc, 200)})") from None


@dataclass(frozen=True)
class RunOutcome:
    """What one :func:`run_artifact` call produced.

    Attributes:
        request: the request as run (artifact, profile and values file resolved).
        key: the job store's request key.
        executor: the executor's name.
        profile: the profile's name.
        result: the result (fresh or from the store).
        ideal_key: the ideal Aer run's key, for a run that is not ideal and was compared with
            one (expectation values; counts of a circuit without an exact distribution).
        distance: :func:`~runtime.execution.compare.distance_to_exact` (counts) or
            :func:`~runtime.execution.compare.distance_to_ideal`, for a run that is not ideal.
    """

    request: RunRequest
    key: str
    executor: str
    profile: str
    result: SampleResult | EstimateResult
    ideal_key: str | None = None
    distance: dict[str, Any] | None = field(default=None)


def make_executor(
    mode: str,
    profile: DeviceProfile,
    *,
    backend: str | None = None,
    noise_scale: float = 1.0,
    seed: int | None = None,
    execution_mode: str = "job",
    instance: str | None = None,
    channel: str | None = None,
    mitigation: MitigationOptions | None = None,
) -> Executor:
    """The executor for a mode: ``ideal``, ``noisy``, ``ibm`` or ``local-ibm``.

    ``execution_mode``, ``instance`` and ``channel`` are for ``ibm``; ``mitigation`` for every
    mode (Aer applies it locally and refuses, in one line, what it cannot honour).

    Raises:
        JobError: the executor's module is not installed, or the settings do not fit it.
    """
    try:
        if mode in ("ideal", "noisy"):
            from runtime.execution.aer import AerExecutor

            return AerExecutor(
                profile,
                noisy=mode == "noisy",
                noise_scale=noise_scale,
                seed=seed,
                mitigation=mitigation,
            )
        from runtime.execution.ibm import IBMExecutor

        if backend is None:
            raise JobError(f"the {mode} executor needs a backend name")
        if mode == "local-ibm":
            return IBMExecutor.local(
                backend, seed=seed, noise_scale=noise_scale, mitigation=mitigation
            )
        return IBMExecutor(
            backend,
            mode=execution_mode,  # type: ignore[arg-type]
            mitigation=mitigation,
            instance=instance,
            channel=channel,
        )
    except ImportError as exc:
        raise JobError(f"the {mode} executor is not available ({exc})") from None
    except TypeError as exc:
        raise JobError(f"the {mode} executor does not accept these settings ({exc})") from None


def _resolve_profile(requested: str | None, artifact: Artifact) -> DeviceProfile:
    from hardware_profiles import load_profile

    compiled_for = artifact.profile
    if requested is None and compiled_for is None:
        raise ProfileError("the artifact names no profile; pass --profile")
    profile = load_profile(requested or compiled_for)  # type: ignore[arg-type]
    if compiled_for is not None and profile.name != compiled_for:
        raise ProfileError(
            f"the artifact was compiled for {compiled_for}, not {profile.name}; recompile it"
        )
    return profile


def _check_device(request: RunRequest, profile: DeviceProfile) -> None:
    """Refuses to send an artifact to an IBM backend when it was compiled for another device."""
    if request.mode in ("ibm", "local-ibm") and profile.kind != "ibm_snapshot":
        raise ProfileError(
            f"the artifact was compiled for {profile.name} ({profile.kind}), not for an IBM "
            f"device; recompile it for {request.backend}'s profile to run it there"
        )


def _check_isa(
    mode: str, executor: Executor, circuit: QuantumCircuit, profile: DeviceProfile
) -> None:
    """Refuses a circuit a local fake backend's Target cannot run as placed.

    A remote IBM backend checks its own ISA on submission; Aer runs any circuit.
    """
    from qiskit.transpiler import Target

    target = getattr(getattr(executor, "backend", None), "target", None)
    if mode != "local-ibm" or not isinstance(target, Target):
        return
    from qcompile.isa import isa_violations

    violations = isa_violations(circuit, target, limit=1)
    if violations:
        raise ProfileError(
            f"the artifact was compiled for {profile.name}, not for {executor.name} "
            f"({one_line(violations[0], 120)}); recompile it for that device's profile"
        )


def _resolved(request: RunRequest, artifact: Artifact, profile: DeviceProfile) -> RunRequest:
    """The request with paths made absolute, so it resumes from any directory."""
    given = request.profile
    profile_ref = str(Path(given).resolve()) if given and Path(given).is_file() else profile.name
    return replace(
        request,
        artifact=str(artifact.source),
        profile=profile_ref,
        parameters=str(Path(request.parameters).resolve()) if request.parameters else None,
    )


def run_artifact(
    store: JobStore | str | None,
    request: RunRequest,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Runs a request through the job store: at most once, resumed if it was interrupted.

    For a request that is not ideal, the ideal run of the same PUBs runs too (or is recalled)
    and the outcome holds its key and the distance to it.

    Args:
        store: the job store, or its file (None: ``$QATTN_JOBSTORE`` or ``~/.qattn``), which
            is opened only once the artifact and its values have been read.
        request: what to run.
        force: execute again even if the store has a result. Defaults to False.
        progress: called with one-line status messages. Defaults to silence.

    Raises:
        CircuitInputError: the artifact or the parameter values cannot be read.
        ProfileError: the profile is unknown or not the artifact's, or the IBM backend is
            not the device the artifact was compiled for (a non-IBM profile, or a circuit
            the local fake backend's Target cannot run).
        JobError: the executor is unavailable or the request failed.
    """
    from qcompile.artifact import Artifact
    from runtime.execution.executor import EstimatorPub, SamplerPub

    artifact = Artifact.load(request.artifact)
    profile = _resolve_profile(request.profile, artifact)
    _check_device(request, profile)
    if request.mode == "ibm" and request.backend == "least_busy":
        request = replace(request, backend=_least_busy(request, artifact.circuit, progress))
    request = _resolved(request, artifact, profile)
    values = request.parameter_values(artifact.circuit.num_parameters)
    pubs: list[SamplerPub] | list[EstimatorPub]
    if request.command == "sample":
        pubs = [SamplerPub(*pub) for pub in artifact.sampler_pubs(values)]
    else:
        pubs = [EstimatorPub(*pub) for pub in artifact.estimator_pubs(values)]

    from runtime.execution.jobstore import JobStore

    if isinstance(store, JobStore):
        return _run_pubs(store, request, profile, artifact, pubs, force, progress)
    with JobStore(store) as opened:
        return _run_pubs(opened, request, profile, artifact, pubs, force, progress)


def _least_busy(
    request: RunRequest, circuit: QuantumCircuit, progress: Callable[[str], None] | None
) -> str:
    """The least busy IBM backend that runs ``circuit`` as compiled.

    The name goes into the stored spec, so a resumed request goes to the same backend.
    """
    from runtime.execution.ibm import connect_service, least_busy_backend

    service = connect_service(request.channel, request.instance)
    name = least_busy_backend(service, circuit)
    if progress is not None:
        progress(f"least busy backend that runs the circuit: {name}")
    return name


def _exact_distributions(
    pubs: Sequence[SamplerPub],
) -> list[list[dict[str, float]]] | None:
    from runtime.execution.compare import exact_probabilities

    exact = []
    for pub in pubs:
        distributions = exact_probabilities(pub.circuit, pub.parameter_values)
        if distributions is None:
            return None
        exact.append(distributions)
    return exact


def _run_pubs(
    store: JobStore,
    request: RunRequest,
    profile: DeviceProfile,
    artifact: Artifact,
    pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
    force: bool,
    progress: Callable[[str], None] | None,
) -> RunOutcome:
    from runtime.execution.compare import distance_to_exact, distance_to_ideal
    from runtime.execution.executor import SampleResult
    from runtime.execution.jobstore import run_request

    def execute(run: RunRequest) -> tuple[str, str, SampleResult | EstimateResult]:

        executor = make_executor(
            run.mode,
            profile,
            backend=run.backend,
            noise_scale=run.noise_scale,
            seed=run.seed,
            execution_mode=run.execution_mode,
            instance=run.instance,
            channel=run.channel,
            mitigation=run.mitigation,
        )
        _check_isa(run.mode, executor, artifact.circuit, profile)
        noise_scale = run.noise_scale if run.mode in ("noisy", "local-ibm") else None
        key, result = run_request(
            store,
            executor,
            run.command,
            pubs,
            shots=run.shots,
            precision=run.precision,
            profile=profile,
            options={
                "mode": run.mode,
                "backend": run.backend,
                "noise_scale": noise_scale,
                "seed": run.seed,
            },
            artifact=run.artifact,
            spec=run.to_spec(),
            force=force,
            progress=progress,
        )
        return key, executor.name, result

    key, name, result = execute(request)
    if request.mode == "ideal":
        return RunOutcome(request, key, name, profile.name, result)
    if isinstance(result, SampleResult):
        exact = _exact_distributions(pubs)  # type: ignore[arg-type]
        if exact is not None:
            distance = distance_to_exact(result, exact)
            return RunOutcome(request, key, name, profile.name, result, None, distance)
    ideal_key, _, ideal = execute(request.ideal)
    distance = distance_to_ideal(result, ideal)
    return RunOutcome(request, key, name, profile.name, result, ideal_key, distance)
