"""The built-in studies: their grid axes, result columns and what one task computes.

* ``qram-fidelity``: query fidelity of each QRAM construction vs ``N`` and noise scale, by
  Pauli-noise trajectories on basis-state routing
  (:mod:`runtime.simulators.trajectories`), phase words
  so every construction is monomial. Hann et al. 2021 claim the bucket brigade's infidelity
  grows only polylogarithmically in ``N``; the multiplexer and QROM are the comparison.
* ``qlaci-context``: error of QLACI's context vector (``<Z>`` on its ``out`` qubits) under a
  profile's noise vs ``N``: the model (width 1, random inputs and weights from the seed) is
  compiled for the profile and estimated on Aer with its noise model
  (:class:`runtime.execution.aer.AerExecutor`: density matrix, exact, up to 10 active qubits),
  against
  the exact ideal value (:func:`qcompile.models.qlaci_reference.qlaci_reference_expectations`).

Module import is light (numpy and qiskit load inside the task functions).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from types import MappingProxyType

from hardware_profiles import DEFAULT_PROFILE
from hardware_profiles.errors import ResourceError
from runtime.study.task import Scalar, StudyTask, result_versions

__all__ = ["STUDIES", "Axis", "StudySpec", "execute_task", "get_study"]

MAX_STUDY_WORDS = 1 << 14
"""Largest ``N`` a ``qram-fidelity`` task accepts (bucket brigade: ~49k qubits)."""

MAX_QLACI_SIZE = 64
"""Largest ``N`` a ``qlaci-context`` task accepts (width 1: ``log2 N + 4`` qubits, so the
noisy estimate stays an exact density matrix)."""


@dataclass(frozen=True)
class Axis:
    """One grid axis of a study.

    Attributes:
        name: Parameter name (a CSV column).
        kind: ``int``, ``float``, ``str`` or ``bool``: what command-line values become.
        default: Values swept when the command line does not say.
        help: One line for ``--list``.
    """

    name: str
    kind: type
    default: tuple[Scalar, ...]
    help: str


@dataclass(frozen=True)
class StudySpec:
    """A study: grid axes, result columns, and the function computing one task.

    Attributes:
        name: The study's name.
        description: One line.
        axes: Grid axes, in CSV column order.
        results: Result columns, in CSV order.
        run: Computes one task's result columns from its parameters.
        check: Raises a :class:`~hardware_profiles.errors.QattnError` for an impossible grid point.
        notes: What to read off the report, one paragraph. Defaults to empty.
    """

    name: str
    description: str
    axes: tuple[Axis, ...]
    results: tuple[str, ...]
    run: Callable[[Mapping[str, Scalar]], dict[str, Scalar]]
    check: Callable[[Mapping[str, Scalar]], None]
    notes: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """CSV columns: id, study, axes, results, then provenance."""
        return (
            "task_id",
            "study",
            *(a.name for a in self.axes),
            *self.results,
            "seconds",
            "qattn",
            "qiskit",
            "qiskit_aer",
        )

    def tasks(self, values: Mapping[str, Sequence[Scalar]] | None = None) -> list[StudyTask]:
        """The grid's tasks: the product of every axis's values (defaults where not given).

        Raises:
            ResourceError: If ``values`` names an axis this study lacks, or a point is
                impossible (the study's check says which).
        """
        values = dict(values or {})
        names = [a.name for a in self.axes]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ResourceError(
                f"study {self.name!r} has no axis {unknown[0]!r} (axes: {', '.join(names)})"
            )
        grid = []
        for axis in self.axes:
            chosen = values.get(axis.name) or axis.default
            grid.append([_coerce(axis, v) for v in dict.fromkeys(chosen)])
        tasks = []
        for point in product(*grid):
            params = dict(zip(names, point, strict=True))
            self.check(params)
            tasks.append(StudyTask(self.name, params))
        return tasks


def _coerce(axis: Axis, value: Scalar) -> Scalar:
    try:
        if axis.kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if axis.kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if axis.kind is float:
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        return str(value)
    except (TypeError, ValueError):
        raise ResourceError(f"{axis.name} must be {axis.kind.__name__}, got {value!r}") from None


def _check_profile(name: object) -> None:
    from hardware_profiles import load_profile

    load_profile(str(name))  # raises ProfileError for an unknown profile


def _check_power_of_two(name: str, size: object, largest: int) -> None:
    if not isinstance(size, int) or size < 2 or size & (size - 1) or size > largest:
        raise ResourceError(f"{name} must be a power of two in [2, {largest}], got {size!r}")


# -- qram-fidelity --------------------------------------------------------------------------


def _check_qram(p: Mapping[str, Scalar]) -> None:
    from qcompile.qram.registry import CONSTRUCTIONS

    if p["kind"] not in CONSTRUCTIONS or p["kind"] == "oracle":
        known = ", ".join(k for k in CONSTRUCTIONS if k != "oracle")
        raise ResourceError(f"unknown QRAM kind {p['kind']!r} for a fidelity study ({known})")
    _check_power_of_two("size", p["size"], MAX_STUDY_WORDS)
    if not (isinstance(p["noise_scale"], float) and p["noise_scale"] >= 0):
        raise ResourceError(f"noise scale must be >= 0, got {p['noise_scale']!r}")
    if not (isinstance(p["trajectories"], int) and p["trajectories"] >= 1):
        raise ResourceError(f"trajectories must be >= 1, got {p['trajectories']!r}")
    _check_profile(p["profile"])


def _run_qram(p: Mapping[str, Scalar]) -> dict[str, Scalar]:
    from runtime.simulators.trajectories import PauliNoise, qram_query_fidelity

    noise = PauliNoise.from_profile(str(p["profile"]), float(p["noise_scale"]), bool(p["idle"]))
    result = qram_query_fidelity(
        str(p["kind"]), int(p["size"]), noise, int(p["trajectories"]), int(p["seed"])
    )
    return {
        "fidelity": result.mean,
        "stderr": result.stderr,
        "infidelity": 1.0 - result.mean,
        "num_qubits": result.num_qubits,
        "num_gates": result.num_gates,
        "p2": noise.two_qubit,
    }


QRAM_FIDELITY = StudySpec(
    name="qram-fidelity",
    description="QRAM query fidelity vs N and noise scale per construction (Pauli trajectories)",
    axes=(
        Axis(
            "kind",
            str,
            ("bucket-brigade", "bb-2q", "qrom", "select-swap", "multiplexer"),
            "QRAM construction (--kinds)",
        ),
        Axis("size", int, (4, 16, 64, 256), "N words (--sizes)"),
        Axis("profile", str, (DEFAULT_PROFILE,), "noise profile (--profiles)"),
        Axis("noise_scale", float, (0.01, 0.1, 1.0), "noise scale (--noise-scales)"),
        Axis("idle", bool, (False,), "idle errors too (--idle)"),
        Axis("trajectories", int, (200,), "noisy trajectories (--trajectories)"),
        Axis("seed", int, (0,), "seed of words and errors (--seed)"),
    ),
    results=("fidelity", "stderr", "infidelity", "num_qubits", "num_gates", "p2"),
    run=_run_qram,
    check=_check_qram,
    notes=(
        "Query fidelity F = <psi|Tr_anc rho|psi> on address and target (Hann et al. 2021, "
        "arXiv:2012.05340), phase words, target |1>, address in uniform superposition. "
        "Noise: depolarizing after every gate, p1 = scale x median 1q error, "
        "1-(1-scale x median 2q error)^(CX cost) for multi-qubit gates. Hann et al. predict "
        "bucket-brigade infidelity O(eps polylog N) although its gate count grows as N; a "
        "construction without that resilience grows with its gate count (slope ~1 at large N)."
    ),
)


# -- qlaci-context --------------------------------------------------------------------------


def _check_qlaci(p: Mapping[str, Scalar]) -> None:
    from qcompile.qram.registry import CONSTRUCTIONS

    if p["kind"] != "reference" and (p["kind"] not in CONSTRUCTIONS or p["kind"] == "oracle"):
        raise ResourceError(
            f"QLACI's QRAM lowering must be 'reference' or a construction, got {p['kind']!r}"
        )
    _check_power_of_two("size", p["size"], MAX_QLACI_SIZE)
    if not (isinstance(p["noise_scale"], float) and p["noise_scale"] >= 0):
        raise ResourceError(f"noise scale must be >= 0, got {p['noise_scale']!r}")
    _check_profile(p["profile"])


def _run_qlaci(p: Mapping[str, Scalar]) -> dict[str, Scalar]:
    import numpy as np

    from hardware_profiles import load_profile
    from qcompile.models.catalog import ModelSpec, build_model
    from qcompile.models.qlaci import qlaci_input_values
    from qcompile.models.qlaci_reference import (
        qlaci_reference_expectations,
        split_qlaci_weights,
    )
    from qcompile.pipeline import CompileOptions, compile_model
    from runtime.execution.aer import AerExecutor
    from runtime.execution.executor import EstimatorPub

    size, seed = int(p["size"]), int(p["seed"])
    model = build_model(ModelSpec("qlaci", size, width=1, layers=1))
    rng = np.random.default_rng([seed, size])
    query = rng.uniform(0, np.pi, 1)
    keys = rng.uniform(0, np.pi, (size, 1))
    values = rng.uniform(0, np.pi, (size, 1))
    weights = rng.uniform(0, 2 * np.pi, len(model.weights))
    inputs = qlaci_input_values(query, keys, values, size)
    ideal = qlaci_reference_expectations(
        query, keys, values, split_qlaci_weights(weights, 1, 1, 1, 1)
    )
    profile = load_profile(str(p["profile"]))
    qram = None if p["kind"] == "reference" else str(p["kind"])
    options = CompileOptions(seed=seed, equivalence_max_qubits=0, qram=qram)
    compiled = compile_model(model, profile, options)
    artifact = compiled.artifact
    executor = AerExecutor(profile, noisy=True, noise_scale=float(p["noise_scale"]), seed=seed)
    parameters = artifact.parameter_values(inputs, weights)
    result = executor.estimate([EstimatorPub(*pub) for pub in artifact.estimator_pubs(parameters)])
    noisy = np.asarray(result.values[0], dtype=float).reshape(-1)
    diff = noisy - ideal
    return {
        "error_l2": float(np.linalg.norm(diff)),
        "error_max": float(np.max(np.abs(diff))),
        "ideal_norm": float(np.linalg.norm(ideal)),
        "noisy_std": float(np.max(result.stds[0])),
        "active_qubits": compiled.report.active_qubits,
        "two_qubit_gates": compiled.report.two_qubit_gates,
        "method": str(result.metadata["methods"][0]),
    }


QLACI_CONTEXT = StudySpec(
    name="qlaci-context",
    description="QLACI context-vector error vs N under device noise (compiled, Aer noisy)",
    axes=(
        Axis("kind", str, ("reference",), "QRAM lowering: reference or a construction (--kinds)"),
        Axis("size", int, (4, 8, 16, 32), "sequence length N (--sizes)"),
        Axis("profile", str, (DEFAULT_PROFILE, "eagle_r3"), "noise profile (--profiles)"),
        Axis("noise_scale", float, (1.0,), "noise scale (--noise-scales)"),
        Axis("seed", int, (0,), "seed of data, weights, transpiler, simulator (--seed)"),
    ),
    results=(
        "error_l2",
        "error_max",
        "ideal_norm",
        "noisy_std",
        "active_qubits",
        "two_qubit_gates",
        "method",
    ),
    run=_run_qlaci,
    check=_check_qlaci,
    notes=(
        "QLACI (width 1, one layer, random angles from the seed) compiled for the profile "
        "(preset pass manager, level 2) and estimated on Aer with the profile's noise model "
        "times the scale; error = |noisy - ideal| of the context vector, ideal from the "
        "independent numpy reference. Exact density matrix up to 10 active qubits, 1024 "
        "statevector trajectories above (noisy_std says so)."
    ),
)

# -- frontier -------------------------------------------------------------------------------

MAX_FRONTIER_SIZE = {"qram": 1 << 12, "qlaci": 64}
"""Largest ``N`` a frontier scan may reach per target (QLACI: exact density matrix)."""


def _check_frontier(p: Mapping[str, Scalar]) -> None:
    from qcompile.qram.measured import DYNAMIC_KINDS
    from qcompile.qram.registry import CONSTRUCTIONS
    from runtime.study.frontier import MITIGATIONS

    target = p["target"]
    if target not in MAX_FRONTIER_SIZE:
        raise ResourceError(f"frontier target must be qram or qlaci, got {target!r}")
    kinds = [k for k in CONSTRUCTIONS if k != "oracle"]
    if target == "qlaci":
        kinds = ["reference", *(k for k in kinds if k not in DYNAMIC_KINDS)]
    if p["kind"] not in kinds:
        raise ResourceError(
            f"QRAM kind {p['kind']!r} is not available for the {target} frontier "
            f"({', '.join(kinds)})"
        )
    if p["mitigation"] not in MITIGATIONS:
        raise ResourceError(
            f"mitigation must be one of {', '.join(MITIGATIONS)}, got {p['mitigation']!r}"
        )
    _check_power_of_two("max_size", p["max_size"], MAX_FRONTIER_SIZE[str(target)])
    if not (isinstance(p["noise_scale"], float) and p["noise_scale"] >= 0):
        raise ResourceError(f"noise scale must be >= 0, got {p['noise_scale']!r}")
    if not (isinstance(p["trajectories"], int) and p["trajectories"] >= 1):
        raise ResourceError(f"trajectories must be >= 1, got {p['trajectories']!r}")
    _check_profile(p["profile"])


def _run_frontier(p: Mapping[str, Scalar]) -> dict[str, Scalar]:
    from runtime.study.frontier import scan_frontier

    usable, points = scan_frontier(
        str(p["target"]),
        str(p["kind"]),
        str(p["profile"]),
        float(p["noise_scale"]),
        str(p["mitigation"]),
        int(p["max_size"]),
        int(p["trajectories"]),
        int(p["seed"]),
    )
    at = next((q for q in points if q.size == usable), None)
    return {
        "usable_n": usable,
        "value_at_usable": at.value if at else float("nan"),
        "shots_at_usable": at.shots if at else float("nan"),
        "first_failing_n": points[-1].size if points and not points[-1].usable else 0,
        "scan": ";".join(f"{q.size}:{q.value:.4g}:{q.shots:.3g}" for q in points),
    }


FRONTIER = StudySpec(
    name="frontier",
    description="largest usable N per QRAM kind, noise level and mitigation setting",
    axes=(
        Axis("target", str, ("qram",), "qram (query fidelity) or qlaci (context) (--targets)"),
        Axis(
            "kind",
            str,
            ("bb-2q", "qrom", "qrom-mbu", "select-swap", "select-swap-mbu"),
            "QRAM construction; reference for qlaci's multi-controlled lookups (--kinds)",
        ),
        Axis("profile", str, (DEFAULT_PROFILE, "eagle_r3"), "noise profile (--profiles)"),
        Axis("noise_scale", float, (1.0, 0.3, 0.1, 0.03), "noise scale (--noise-scales)"),
        Axis(
            "mitigation",
            str,
            ("none", "dd", "dd+twirl+readout", "dd+twirl+readout+zne"),
            "mitigation setting (--mitigations)",
        ),
        Axis("max_size", int, (1024,), "largest N scanned (--max-size)"),
        Axis("trajectories", int, (200,), "trajectories per noise factor, qram (--trajectories)"),
        Axis("seed", int, (0,), "seed of words, data, errors (--seed)"),
    ),
    results=("usable_n", "value_at_usable", "shots_at_usable", "first_failing_n", "scan"),
    run=_run_frontier,
    check=_check_frontier,
    notes=(
        "Usable: QRAM query fidelity estimate >= 0.5, QLACI context relative error <= 0.3, "
        "each at most 1e7 shots for a 0.05 statistical error (scan: N:value:shots); a "
        "usable N equal to max_size means at least that. Settings that coincide draw on top "
        "of each other. QRAM: "
        "logical constructions (no routing) under the profile's median gate, idle and "
        "mid-circuit readout errors by Pauli trajectories, read out through (1-e_ro)^(n+1); "
        "there, DD and twirling have no coherent error to remove and change nothing. QLACI: "
        "compiled, scheduled ISA circuit, exact density matrix on Aer with the profile's noise "
        "model; DD, twirling (4 instances), readout correction and ZNE (folding 1, 3, 5) run "
        "for real. See runtime/study/frontier.py."
    ),
)

STUDIES: Mapping[str, StudySpec] = MappingProxyType(
    {s.name: s for s in (QRAM_FIDELITY, QLACI_CONTEXT, FRONTIER)}
)
"""Study name -> spec."""


def get_study(name: str) -> StudySpec:
    """The built-in study called ``name``.

    Raises:
        ResourceError: If there is none.
    """
    try:
        return STUDIES[name]
    except KeyError:
        raise ResourceError(f"unknown study {name!r}; known: {', '.join(STUDIES)}") from None


def execute_task(task: StudyTask) -> dict[str, Scalar]:
    """Compute one task's CSV row (runs on a Dask worker or in-process alike).

    Returns:
        Every column of the study's CSV: id, parameters, results, seconds, versions.
    """
    spec = get_study(task.study)
    start = time.perf_counter()
    results = spec.run(task.params)
    seconds = time.perf_counter() - start
    versions = result_versions()
    return {
        "task_id": task.strong_id(),
        "study": task.study,
        **task.params,
        **results,
        "seconds": round(seconds, 3),
        "qattn": versions["qattn"],
        "qiskit": versions["qiskit"],
        "qiskit_aer": versions["qiskit-aer"],
    }


def dedupe(tasks: Iterable[StudyTask]) -> list[StudyTask]:
    """Tasks with distinct ids, first occurrence kept."""
    seen: dict[str, StudyTask] = {}
    for task in tasks:
        seen.setdefault(task.strong_id(), task)
    return list(seen.values())
