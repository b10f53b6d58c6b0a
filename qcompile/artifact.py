"""The compiled artifact: what crosses from the compiler to the runtime, as one frozen value.

An :class:`Artifact` holds the ISA circuit (with its layout), the model's observables on the
logical qubits and mapped onto the ISA circuit's physical qubits, the parameter order (the
``inputs`` and ``weights`` parameters in circuit order), the compile report, the profile's name
and content digest (:meth:`hardware_profiles.DeviceProfile.digest`) and the versions that made
it. :func:`qcompile.pipeline.compile_circuit` returns one; the runtime (``qrun``, the shots QNN,
the studies) consumes it through :meth:`Artifact.sampler_pubs` and
:meth:`Artifact.estimator_pubs` and never re-derives any of it.

On disk (:meth:`Artifact.save`, :meth:`Artifact.load`) an artifact is the files ``qcompile``
has always written: ``<name>.qpy`` (the circuit; profile, digest, versions and options in its
``metadata["qattn"]``), ``<name>.qasm3`` (with a header comment naming profile and versions),
``<name>.report.json`` and ``<name>.report.md``, and for a model ``<name>.observables.json``.
Files are written atomically (temporary file, then rename), so an interrupted write never leaves
a half-written artifact. Artifacts written before the digest was recorded still load (their
digest is None).

Loading treats every file as untrusted: sizes are checked before reading, the ``.qpy`` file must
hold exactly one circuit (:func:`qcompile.circuit_io.load_qpy_circuit`) and the observables
file valid Pauli terms on existing qubits with finite coefficients. QPY drops a delay's unit
(Qiskit 2.6 reads every delay back in ``dt``), so delays in seconds, as compiled for a profile
without ``dt``, are saved as placeholders and restored from ``metadata["qattn"]["delays"]``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import secrets
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from qiskit import ClassicalRegister, QuantumCircuit, qpy
from qiskit.circuit import ControlFlowOp, Delay
from qiskit.circuit.exceptions import CircuitError
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import CircuitInputError, CompileError, one_line
from hardware_profiles.identity import strong_id
from qcompile.circuit_io import (
    MAX_CIRCUIT_BYTES,
    dumps_qasm3,
    load_qpy_circuit,
    read_limited,
)
from qcompile.report import CompileReport

if TYPE_CHECKING:
    from qcompile.models import ModelCircuit

__all__ = [
    "Artifact",
    "ArtifactPaths",
    "load_artifact_circuit",
    "map_observables",
    "model_facts",
    "sparse_terms",
]

SamplerPubTuple = tuple[QuantumCircuit, np.ndarray]
"""``(circuit, parameter_values)``: a Qiskit sampler PUB in tuple form."""

EstimatorPubTuple = tuple[QuantumCircuit, tuple[SparsePauliOp, ...], np.ndarray]
"""``(circuit, observables, parameter_values)``: an estimator PUB in tuple form."""


@dataclass(frozen=True)
class ArtifactPaths:
    """Files of one written artifact."""

    qpy: Path
    qasm3: Path
    report_json: Path
    report_md: Path
    observables: Path | None = None


def map_observables(
    observables: Sequence[SparsePauliOp], circuit: QuantumCircuit
) -> tuple[SparsePauliOp, ...]:
    """Logical observables mapped onto an ISA circuit's physical qubits (its ``layout``).

    The one place qattn applies a compiled circuit's layout to observables. Without a layout
    (a circuit that was never compiled) the observables are returned as they are.
    """
    if circuit.layout is None:
        return tuple(observables)
    return tuple(op.apply_layout(circuit.layout) for op in observables)


def model_facts(model: ModelCircuit) -> dict[str, Any]:
    """A model's sizes, kept with its artifact's report (``"model"`` in the report JSON)."""
    return {
        "registers": {name: reg.size for name, reg in model.registers.items()},
        "inputs": len(model.inputs),
        "weights": len(model.weights),
        "observables": len(model.observables),
        "metadata": model.metadata,
    }


def _vector_names(circuit: QuantumCircuit, vector: str) -> tuple[str, ...]:
    return tuple(
        p.name
        for p in circuit.parameters
        if getattr(getattr(p, "vector", None), "name", None) == vector
    )


def sparse_terms(op: SparsePauliOp) -> list[list[object]]:
    """``op`` as ``[[pauli, qubits, [re, im]], ...]``: how artifacts and request keys store it."""
    return [
        [label, [int(q) for q in qubits], [float(c.real), float(c.imag)]]
        for label, qubits, c in op.to_sparse_list()
    ]


def _from_sparse(terms: Sequence[Sequence[Any]], num_qubits: int) -> SparsePauliOp:
    return SparsePauliOp.from_sparse_list(
        [(label, qubits, complex(*coeff)) for label, qubits, coeff in terms], num_qubits
    )


@dataclass(frozen=True)
class Artifact:
    """A compiled circuit with everything the runtime needs to run it.

    Attributes:
        circuit: the ISA circuit on the device's physical qubits (carries ``layout``).
        observables: the model's observables on the ISA circuit's qubits (empty for a bare
            circuit).
        logical_observables: the same observables on the logical qubits.
        inputs: names of the circuit's ``inputs`` parameters, in circuit order.
        weights: names of the circuit's ``weights`` parameters, in circuit order.
        report: the compile report (None for a bare QPY file without one).
        profile: the profile's name (None for a bare Target or a file that names none).
        profile_digest: :meth:`~hardware_profiles.DeviceProfile.digest` of the profile it was
            compiled for (None for a bare Target or an artifact written before digests).
        versions: the versions that compiled it.
        model: facts about the model it comes from (:func:`model_facts`), or None.
        name: the file stem (the circuit's name).
        source: the ``.qpy`` file it was loaded from (None in memory); not part of equality.
    """

    circuit: QuantumCircuit
    observables: tuple[SparsePauliOp, ...] = ()
    logical_observables: tuple[SparsePauliOp, ...] = ()
    inputs: tuple[str, ...] = ()
    weights: tuple[str, ...] = ()
    report: CompileReport | None = None
    profile: str | None = None
    profile_digest: str | None = None
    versions: Mapping[str, str] = field(default_factory=dict)
    model: Mapping[str, Any] | None = None
    name: str = "circuit"
    source: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for k, op in enumerate(self.observables):
            if op.num_qubits != self.circuit.num_qubits:
                raise CompileError(
                    f"observable {k} acts on {op.num_qubits} qubits, "
                    f"the ISA circuit has {self.circuit.num_qubits}"
                )

    @classmethod
    def from_compiled(
        cls,
        circuit: QuantumCircuit,
        report: CompileReport,
        *,
        observables: Sequence[SparsePauliOp] = (),
        profile: str | None = None,
        profile_digest: str | None = None,
        model: Mapping[str, Any] | None = None,
    ) -> Artifact:
        """The artifact of a compiled circuit (what :func:`compile_circuit` builds).

        Args:
            circuit: the ISA circuit, with its layout.
            report: its compile report.
            observables: observables on the logical qubits. Defaults to none.
            profile: the profile's name. Defaults to None.
            profile_digest: the profile's content digest. Defaults to None.
            model: the model's facts. Defaults to None.
        """
        return cls(
            circuit=circuit,
            observables=map_observables(observables, circuit),
            logical_observables=tuple(observables),
            inputs=_vector_names(circuit, "inputs"),
            weights=_vector_names(circuit, "weights"),
            report=report,
            profile=profile,
            profile_digest=profile_digest,
            versions=dict(report.versions),
            model=model,
            name=report.circuit_name or "circuit",
        )

    # -- parameters and PUBs -----------------------------------------------------------

    @property
    def parameters(self) -> tuple[str, ...]:
        """Names of the circuit's free parameters, in the order PUB values take them."""
        return tuple(p.name for p in self.circuit.parameters)

    def parameter_values(self, inputs: ArrayLike, weights: ArrayLike) -> np.ndarray:
        """Input and weight values arranged in the circuit's parameter order.

        Args:
            inputs: values of the whole ``inputs`` vector (trailing axis), any batch shape.
            weights: values of the whole ``weights`` vector, broadcast against ``inputs``.

        Returns:
            ``batch + (num_parameters,)``; values of parameters the circuit lacks are dropped.

        Raises:
            CircuitInputError: a parameter that is neither an input nor a weight, or values
                too short for the vectors.
        """
        x = np.asarray(inputs, dtype=float)
        w = np.asarray(weights, dtype=float)
        batch = np.broadcast_shapes(x.shape[:-1], w.shape[:-1])
        columns = []
        for parameter in self.circuit.parameters:
            vector = getattr(parameter, "vector", None)
            source = {"inputs": x, "weights": w}.get(getattr(vector, "name", ""))
            index = getattr(parameter, "index", -1)
            if source is None or not 0 <= index < source.shape[-1]:
                raise CircuitInputError(
                    f"no value for parameter {parameter.name!r} among inputs "
                    f"{x.shape[-1:]} and weights {w.shape[-1:]}"
                )
            columns.append(np.broadcast_to(source[..., index], batch))
        if not columns:
            return np.zeros((*batch, 0))
        return np.stack(columns, axis=-1)

    def _values(self, values: ArrayLike | None) -> np.ndarray:
        array = np.zeros(0) if values is None else np.asarray(values, dtype=float)
        expected = self.circuit.num_parameters
        if (array.ndim == 0 or array.shape[-1] != expected) and not (
            expected == 0 and array.size == 0
        ):
            raise CircuitInputError(
                f"parameter values of shape {array.shape}, the circuit has {expected}"
            )
        return array

    def measured_circuit(self) -> QuantumCircuit:
        """The circuit with its logical qubits measured (in logical order) if it measures none.

        The classical register ``meas`` then holds logical qubit ``k`` in bit ``k``.
        """
        circuit = self.circuit
        if "measure" in circuit.count_ops():
            return circuit
        if circuit.layout is None:
            return circuit.measure_active(inplace=False)
        physical = circuit.layout.final_index_layout(filter_ancillas=True)
        measured = circuit.copy()
        register = ClassicalRegister(len(physical), "meas")
        measured.add_register(register)
        for bit, qubit in enumerate(physical):
            measured.measure(qubit, register[bit])
        return measured

    def sampler_pubs(self, values: ArrayLike | None = None) -> list[SamplerPubTuple]:
        """One sampler PUB ``(measured circuit, parameter values)``.

        Args:
            values: ``(num_parameters,)`` or ``batch + (num_parameters,)``, in
                :attr:`parameters` order. Defaults to none (a parameter-free circuit).

        Raises:
            CircuitInputError: the values do not fit the circuit's parameters.
        """
        return [(self.measured_circuit(), self._values(values))]

    def estimator_pubs(self, values: ArrayLike | None = None) -> list[EstimatorPubTuple]:
        """One estimator PUB ``(unmeasured circuit, ISA observables, parameter values)``.

        Raises:
            CircuitInputError: the artifact has no observables, or the values do not fit.
        """
        if not self.observables:
            raise CircuitInputError(
                f"{self.name}.observables.json: missing; estimate needs a model artifact "
                "(qcompile build)"
            )
        unmeasured = self.circuit.remove_final_measurements(inplace=False)
        assert unmeasured is not None
        return [(unmeasured, self.observables, self._values(values))]

    # -- identity ----------------------------------------------------------------------

    def strong_id(self) -> str:
        """SHA-256 of what determines this artifact's results.

        The circuit (as OpenQASM 3, with its initial and final layout), the ISA observables,
        the parameter order and the profile's name and digest. Reports, compile times and
        versions are left out: two compilations to the same circuit are the same artifact.
        """
        layout = None
        if self.circuit.layout is not None:
            layout = {
                "initial": [int(q) for q in self.circuit.layout.initial_index_layout()],
                "final": [int(q) for q in self.circuit.layout.final_index_layout()],
            }
        return strong_id(
            {
                "qasm3": dumps_qasm3(self.circuit),
                "layout": layout,
                "observables": [sparse_terms(op) for op in self.observables],
                "parameters": list(self.parameters),
                "profile": self.profile,
                "profile_digest": self.profile_digest,
            }
        )

    # -- files -------------------------------------------------------------------------

    def paths(self, out_dir: str | os.PathLike[str]) -> ArtifactPaths:
        """The files :meth:`save` writes into ``out_dir``."""
        out = Path(out_dir)
        return ArtifactPaths(
            qpy=out / f"{self.name}.qpy",
            qasm3=out / f"{self.name}.qasm3",
            report_json=out / f"{self.name}.report.json",
            report_md=out / f"{self.name}.report.md",
            observables=out / f"{self.name}.observables.json" if self.observables else None,
        )

    def save(self, out_dir: str | os.PathLike[str]) -> ArtifactPaths:
        """Writes ``<name>.qpy``, ``.qasm3``, ``.report.json``, ``.report.md`` (and observables).

        Args:
            out_dir: directory, created if missing.

        Returns:
            The paths written.

        Raises:
            CompileError: there is no report to write, or the directory cannot be written.
        """
        report = self.report
        if report is None:
            raise CompileError(f"artifact {self.name!r} has no compile report to save")
        paths = self.paths(out_dir)
        delays: list[list[Any]] = []
        circuit = _store_delays(self.circuit, [], delays)
        circuit.metadata = {
            **(circuit.metadata or {}),
            "qattn": {
                "profile": report.profile,
                "profile_digest": self.profile_digest,
                "provenance": report.provenance,
                "versions": report.versions,
                "options": report.options,
                **({"delays": delays} if delays else {}),
            },
        }
        buffer = io.BytesIO()
        qpy.dump(circuit, buffer)
        header = (
            f"// qattn ISA circuit for profile {report.profile} "
            f"(calibration {report.calibration_date or 'n/a'})\n"
            + "// "
            + ", ".join(f"{k} {v}" for k, v in report.versions.items())
            + "\n"
        )
        report_doc = {**report.to_dict(), **({"model": dict(self.model)} if self.model else {})}
        try:
            paths.qpy.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(paths.qpy, buffer.getvalue())
            _atomic_write(paths.qasm3, (header + dumps_qasm3(self.circuit)).encode())
            _atomic_write(paths.report_json, (json.dumps(report_doc, indent=2) + "\n").encode())
            _atomic_write(paths.report_md, report.to_markdown().encode())
            if paths.observables is not None:
                document = {
                    "num_logical_qubits": (
                        self.logical_observables[0].num_qubits if self.logical_observables else 0
                    ),
                    "num_isa_qubits": self.circuit.num_qubits,
                    "logical": [sparse_terms(op) for op in self.logical_observables],
                    "isa": [sparse_terms(op) for op in self.observables],
                    "profile": report.profile,
                    "profile_digest": self.profile_digest,
                    "versions": report.versions,
                }
                _atomic_write(paths.observables, (json.dumps(document) + "\n").encode())
        except OSError as exc:
            raise CompileError(
                f"{paths.qpy.parent}: cannot write artifact ({exc.strerror or exc})"
            ) from None
        return paths

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Artifact:
        """Reads an artifact back: ``path`` is its ``.qpy`` file or its directory.

        The report and observables files are read when present; a bare ``.qpy`` file loads
        as an artifact without report or observables.

        Every file is untrusted input: sizes are checked before reading, the QPY file must hold
        exactly one circuit with a consistent layout and finite angles, and the observables
        must be Pauli labels on existing qubits with finite coefficients.

        Raises:
            CircuitInputError: no such file, a directory without exactly one ``.qpy`` file,
                an unreadable or inconsistent QPY file, or a malformed report or observables
                file.
        """
        qpy_path = _find_qpy(path)
        circuit = _read_qpy(qpy_path)
        meta = (circuit.metadata or {}).get("qattn", {})
        if not isinstance(meta, dict):
            meta = {}
        circuit = _restore_delays(circuit, meta.get("delays"), qpy_path)
        stem = qpy_path.name.removesuffix(".qpy")
        report, model = _read_report(qpy_path.with_name(f"{stem}.report.json"))
        logical, isa, document = _read_observables(
            qpy_path.with_name(f"{stem}.observables.json"), circuit.num_qubits
        )
        versions = meta.get("versions") or (report.versions if report else {})
        return cls(
            circuit=circuit,
            observables=isa,
            logical_observables=logical,
            inputs=_vector_names(circuit, "inputs"),
            weights=_vector_names(circuit, "weights"),
            report=report,
            profile=meta.get("profile") or (report.profile if report else None),
            profile_digest=meta.get("profile_digest") or document.get("profile_digest"),
            versions=dict(versions),
            model=model,
            name=stem,
            source=qpy_path,
        )


def _atomic_write(path: Path, data: bytes) -> None:
    """Writes ``path`` through a temporary file and a rename, with the umask's permissions.

    ``tempfile.mkstemp`` would make every artifact file private (mode 0600); an artifact is
    meant to be shared like any file the user writes, so the temporary file is created with
    mode 0666 and the kernel applies the umask (0644 under the usual 022).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:  # another writer drew the same name: draw again
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _find_qpy(path: str | os.PathLike[str]) -> Path:
    # The path is used as given: ``x.qpy/`` names a directory and is refused, as the OS does.
    text = os.fspath(path)
    if os.path.isdir(text):
        found = sorted(Path(text).glob("*.qpy"))
        if len(found) != 1:
            what = "no .qpy file" if not found else f"{len(found)} .qpy files; name one"
            raise CircuitInputError(f"{text}: {what}")
        return found[0].resolve()
    try:
        mode = os.stat(text).st_mode
    except FileNotFoundError:
        raise CircuitInputError(f"{text}: no such artifact file or directory") from None
    except OSError as exc:
        raise CircuitInputError(
            f"{text}: no such artifact file or directory ({exc.strerror or exc})"
        ) from None
    if not stat.S_ISREG(mode):
        raise CircuitInputError(f"{text}: not a regular file")
    return Path(text).resolve()


def _read_qpy(path: Path) -> QuantumCircuit:
    data = read_limited(path, MAX_CIRCUIT_BYTES, "QPY file")
    try:
        circuit = load_qpy_circuit(data, str(path))
    except CircuitInputError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise CircuitInputError(
            f"{path}: not a readable QPY circuit ({one_line(reason, 200)})"
        ) from None
    return circuit


def _store_delays(
    circuit: QuantumCircuit, at: list[int], delays: list[list[Any]]
) -> QuantumCircuit:
    """The circuit with its delays in seconds (``s``, ``ns``...) as ``Delay(0, "dt")``.

    QPY (Qiskit 2.6) drops a delay's unit and reads every duration back as ``dt``, which must
    be an integer: a delay in seconds, as compiled for a profile without ``dt``, would make
    the file unreadable. Each replaced delay is recorded in ``delays`` as ``[path, duration,
    unit]`` (``path``: instruction indices, through control-flow block indices) for
    :func:`_restore_delays`. Returns ``circuit`` itself when it has no such delay.
    """
    replaced: dict[int, Any] = {}
    for index, instruction in enumerate(circuit.data):
        operation = instruction.operation
        if isinstance(operation, Delay) and operation.unit != "dt":
            duration = operation.params[0]
            if isinstance(duration, int | float) and not isinstance(duration, bool):
                delays.append([[*at, index], float(duration), operation.unit])
                replaced[index] = Delay(0, "dt")
        elif isinstance(operation, ControlFlowOp):
            blocks = [
                _store_delays(block, [*at, index, k], delays)
                for k, block in enumerate(operation.blocks)
            ]
            if any(new is not old for new, old in zip(blocks, operation.blocks, strict=True)):
                replaced[index] = operation.replace_blocks(blocks)
    return _with_operations(circuit, replaced) if replaced else circuit


def _with_operations(circuit: QuantumCircuit, replaced: Mapping[int, Any]) -> QuantumCircuit:
    # Rebuilt rather than assigned through circuit.data[i]: Qiskit 2.6 panics when a
    # control-flow instruction is replaced in place.
    rebuilt = circuit.copy_empty_like()
    for index, instruction in enumerate(circuit.data):
        operation = replaced.get(index)
        rebuilt._append(
            instruction if operation is None else instruction.replace(operation=operation)
        )
    return rebuilt


def _restore_delays(circuit: QuantumCircuit, delays: Any, path: Path) -> QuantumCircuit:
    """The circuit with the delays :func:`_store_delays` recorded put back."""
    if not delays:
        return circuit
    try:
        for where, duration, unit in delays:
            circuit = _put_delay(circuit, list(where), Delay(float(duration), str(unit)))
    except (TypeError, ValueError, IndexError, AttributeError, CircuitError) as exc:
        raise CircuitInputError(
            f"{path}: not a readable QPY circuit (bad delay record: {one_line(exc, 100)})"
        ) from None
    return circuit


def _put_delay(circuit: QuantumCircuit, where: list[int], delay: Delay) -> QuantumCircuit:
    index = int(where[0])
    if not 0 <= index < len(circuit.data):
        raise IndexError(f"no instruction {index}")
    operation = circuit.data[index].operation
    if len(where) == 1:
        if not isinstance(operation, Delay):
            raise ValueError(f"instruction {index} is {operation.name}, not a delay")
        return _with_operations(circuit, {index: delay})
    if not isinstance(operation, ControlFlowOp) or len(where) < 3:
        raise ValueError(f"instruction {index} has no blocks")
    blocks = list(operation.blocks)
    block = int(where[1])
    if not 0 <= block < len(blocks):
        raise IndexError(f"no block {block}")
    blocks[block] = _put_delay(blocks[block], where[2:], delay)
    return _with_operations(circuit, {index: operation.replace_blocks(blocks)})


_REPORT_FIELDS = {f.name for f in dataclasses.fields(CompileReport)}
_JSON_LIMIT = 16 * 1024 * 1024
"""The largest report or observables file read (16 MiB)."""


def _exists(path: Path) -> bool:
    """Whether a sibling file exists; a name the OS cannot hold (too long) does not."""
    try:
        return path.is_file()
    except OSError:
        return False


def _read_json(path: Path, what: str) -> Any:
    try:
        data = read_limited(path, _JSON_LIMIT, f"{what} file")
        return json.loads(data)
    except CircuitInputError as exc:
        raise CircuitInputError(
            f"malformed {what} ({str(exc).removeprefix(f'{path}: ')})"
        ) from None
    except RecursionError:
        raise CircuitInputError(f"malformed {what} (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise CircuitInputError(f"malformed {what} ({one_line(exc, 200)})") from None


def _read_report(path: Path) -> tuple[CompileReport | None, dict[str, Any] | None]:
    if not _exists(path):
        return None, None
    try:
        document = _read_json(path, "report")
        if not isinstance(document, dict):
            raise CircuitInputError(f"malformed report (a JSON {type(document).__name__})")
        fields = {k: v for k, v in document.items() if k in _REPORT_FIELDS}
        if fields.get("log10_success_probability") is None:
            fields["log10_success_probability"] = float("-inf")
        report = CompileReport(**fields)
    except CircuitInputError as exc:
        raise CircuitInputError(f"{path}: {exc}") from None
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise CircuitInputError(f"{path}: malformed report ({one_line(exc, 200)})") from None
    model = document.get("model")
    return report, model if isinstance(model, dict) else None


_PAULI = frozenset("IXYZ")


def _count_field(document: dict[str, Any], key: str, maximum: int) -> int:
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise CircuitInputError(f"{key} must be an integer in [0, {maximum}], got {value!r:.40}")
    return value


def _parse_observable(terms: Any, num_qubits: int, where: str) -> SparsePauliOp:
    """One observable from ``[[label, qubits, [re, im]], ...]``, every field checked."""
    if not isinstance(terms, list) or not terms:
        raise CircuitInputError(f"{where} must be a non-empty list of terms")
    parsed = []
    for t, term in enumerate(terms):
        at = f"{where} term {t}"
        if not isinstance(term, list) or len(term) != 3:
            raise CircuitInputError(f"{at} must be [label, qubits, [re, im]]")
        label, qubits, coeff = term
        if not isinstance(label, str) or not set(label) <= _PAULI:
            raise CircuitInputError(f"{at}: Pauli label must use I, X, Y, Z, got {label!r:.40}")
        if (
            not isinstance(qubits, list)
            or len(qubits) != len(label)
            or not all(isinstance(q, int) and not isinstance(q, bool) for q in qubits)
        ):
            raise CircuitInputError(f"{at}: qubits must be {len(label)} integers")
        for q in qubits:
            if not 0 <= q < num_qubits:
                raise CircuitInputError(f"{at}: qubit {str(q)[:40]} is outside 0..{num_qubits - 1}")
        if len(set(qubits)) != len(qubits):
            raise CircuitInputError(f"{at}: a qubit appears twice")
        if (
            not isinstance(coeff, list)
            or len(coeff) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coeff)
            or not all(math.isfinite(c) for c in coeff)
        ):
            raise CircuitInputError(f"{at}: coefficient must be two finite numbers [re, im]")
        parsed.append((label, qubits, complex(coeff[0], coeff[1])))
    return SparsePauliOp.from_sparse_list(parsed, num_qubits)


def _read_observables(
    path: Path, num_qubits: int
) -> tuple[tuple[SparsePauliOp, ...], tuple[SparsePauliOp, ...], dict[str, Any]]:
    if not _exists(path):
        return (), (), {}
    try:
        document = _read_json(path, "observables")
        if not isinstance(document, dict):
            raise CircuitInputError(f"malformed observables (a JSON {type(document).__name__})")
        isa_list = document.get("isa")
        if not isinstance(isa_list, list):
            raise CircuitInputError("malformed observables ('isa' must be a list)")
        logical_list = document.get("logical", [])
        if not isinstance(logical_list, list):
            raise CircuitInputError("malformed observables ('logical' must be a list)")
        if logical_list and len(logical_list) != len(isa_list):
            raise CircuitInputError(
                f"malformed observables ({len(logical_list)} logical, {len(isa_list)} isa)"
            )
        num_logical = _count_field(document, "num_logical_qubits", num_qubits)
        isa = tuple(
            _parse_observable(terms, num_qubits, f"isa observable {k}")
            for k, terms in enumerate(isa_list)
        )
        logical = tuple(
            _parse_observable(terms, num_logical, f"logical observable {k}")
            for k, terms in enumerate(logical_list)
        )
    except CircuitInputError as exc:
        message = str(exc)
        if not message.startswith("malformed observables"):
            message = f"malformed observables ({message})"
        raise CircuitInputError(f"{path}: {message}") from None
    return logical, isa, document


def load_artifact_circuit(path: str | os.PathLike[str]) -> QuantumCircuit:
    """The ISA circuit of an artifact (layout included): ``Artifact.load(path).circuit``."""
    return Artifact.load(path).circuit
