"""Microsoft's resource estimator (the ``qdk`` package) beside our surface-code model.

Both estimators get the *same* Toffoli-level circuit: a classical-bit table lookup
(``"bits"`` words, ``b`` = 1, fixed random data) built by each QRAM construction, with the
address put in uniform superposition first (so no transpiler can drop a control on a
known-``|0>`` qubit). The circuit is lowered with Qiskit (optimization level 0) to
Clifford + ``ccx``/``cswap``/``rccx`` + rotations; our model counts that circuit's gates
(:func:`clifford_t_counts`) and :func:`qdk.qiskit.estimate` reads the same circuit, also at
optimization level 0 (qdk's own default, level 2, elides the bucket brigades' SWAPs into a
final layout whose OpenQASM its importer rejects as "hardware qubit operands"), with its
default estimator parameters.

Two reference rows use qdk with every default, as in issue 7: Q#'s native
``Std.TableLookup.Select`` (unary iteration whose ANDs are uncomputed by measurement) and
the same lookup written as one multi-controlled X per stored 1, compiled by Qiskit first.

Where the two estimators differ (stated in :data:`QDK_VS_OURS`): the physical qubit model
(qdk ``qubit_gate_ns_e3``: p = 1e-3, 50 ns gates, 100 ns measurement, so a logical cycle of
``0.4 d`` us; ours: the ``ft_logical`` profile, p = 1e-3 and 1 us per code cycle), the
error budget (qdk 1e-3, ours 1e-2), the logical error fit (qdk prefactor 0.03, ours 0.1),
the layout (qdk's PSSPC adds routing qubits: ``2 Q + ceil(sqrt(8 Q)) + 1``; ours counts
``Q``), the magic states (qdk: 4 T states per CCZ, factories chosen from its catalogue;
ours: 7 T per Toffoli or CSWAP from stacked 15-to-1 factories) and the runtime (qdk:
logical depth of its PSSPC schedule; ours: a T-depth bound).

``qdk`` is an optional extra (``pip install -e '.[estimate]'``): without it
:func:`compare_with_qdk` returns a one-line status and no rows.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from hardware_profiles import load_profile
from hardware_profiles.errors import ResourceError
from qcompile.basis import lower_to_basis
from qcompile.estimate.surface_code import SurfaceCodeModel, estimate_surface_code
from qcompile.qram import CONSTRUCTIONS, QRAMWords

__all__ = [
    "QDK_SEQ_LENS",
    "QDK_VS_OURS",
    "CliffordTCounts",
    "QdkComparison",
    "QdkFigures",
    "QdkReport",
    "clifford_t_counts",
    "compare_with_qdk",
    "lookup_circuit",
    "lower_for_estimate",
    "qdk_estimate",
    "qdk_version",
]

QDK_SEQ_LENS = (16,)
"""Lookup sizes N compared by default (qdk takes well under a second per circuit here)."""

QDK_VS_OURS = (
    "qdk (Microsoft resource estimator) with its default parameters: qubit_gate_ns_e3 "
    "(p = 1e-3, 50 ns gates, 100 ns measurement: logical cycle 0.4 d us), error budget 1e-3, "
    "p_L = 0.03 (p/0.01)^((d+1)/2), PSSPC layout (2Q + ceil(sqrt(8Q)) + 1 logical qubits "
    "incl. routing), 4 T states per CCZ (CSWAP = 1 CCZ), T factories from its catalogue. "
    "Ours: ft_logical profile (p = 1e-3, 1 us code cycle), budget 1e-2, p_L = 0.1 "
    "(p/0.01)^((d+1)/2), Q logical qubits (no routing space), 7 T per Toffoli/CSWAP "
    "(4 per relative-phase Toffoli), stacked 15-to-1 factories, runtime = T-depth bound "
    "x d cycles. Q# Select uncomputes its ANDs by measurement (N - 2 CCZ); our unitary "
    "QROM uncomputes with Toffolis (2 (N - 2))."
)
"""What differs between the two estimators (shown with the comparison table)."""

_BASIS = [
    "ccx",
    "cswap",
    "rccx",
    "cx",
    "cz",
    "swap",
    "h",
    "x",
    "y",
    "z",
    "s",
    "sdg",
    "t",
    "tdg",
    "rz",
    "ry",
    "rx",
    "p",
]
_TOFFOLI_LIKE = {"ccx": 7, "cswap": 7, "rccx": 4}
"""T gates per three-qubit gate in our model (rccx: relative-phase Toffoli, 4 T)."""
_CLIFFORD = {"cx", "cz", "swap", "h", "x", "y", "z", "s", "sdg", "barrier"}
_FREE = {"measure", "reset", "delay"}
"""Operations without T cost (a measurement-based uncomputation's measurement)."""


def qdk_version() -> str | None:
    """The installed ``qdk`` version, or None when it is not installed."""
    try:
        return metadata.version("qdk")
    except metadata.PackageNotFoundError:
        return None


def lookup_circuit(kind: str, seq_len: int, seed: int = 7) -> QuantumCircuit:
    """A ``seq_len``-entry one-bit table lookup built by QRAM ``kind``, address in superposition.

    Args:
        kind: A registered QRAM kind other than ``oracle``.
        seq_len: N, a power of two >= 2.
        seed: Seed of the stored bits. Defaults to 7.

    Returns:
        ``H`` on every address qubit, then the construction's circuit, on one register.

    Raises:
        ResourceError: On an unknown kind or a bad size.
    """
    if kind not in CONSTRUCTIONS or kind == "oracle":
        raise ResourceError(f"no Toffoli-level lookup for QRAM kind {kind!r}")
    bits = np.random.default_rng(seed).integers(0, 2, seq_len)
    words = QRAMWords.bits([int(b) for b in bits], 1)
    built = CONSTRUCTIONS[kind](words).build()
    circuit = QuantumCircuit(built.num_qubits, name=f"lookup_{kind.replace('-', '_')}")
    circuit.h(range(words.n))  # address is built.qubits[:n] (address register first)
    circuit.compose(built, range(built.num_qubits), inplace=True)
    return circuit


@dataclass(frozen=True)
class CliffordTCounts:
    """Non-Clifford content of a circuit lowered to :data:`_BASIS`.

    Attributes:
        qubits: Width.
        toffolis: ``ccx`` + ``cswap`` (each one CCZ-equivalent).
        relative_phase_toffolis: ``rccx``.
        t_gates: T/Tdg gates, T-angle rotations and 7 (4) per Toffoli (``rccx``).
        rotations: Rotations by angles that are not multiples of pi/4 (need synthesis).
        t_depth: Longest chain of non-Clifford work: 3 per Toffoli, 2 per ``rccx``, 1 per T
            and ``t_per_rotation`` per rotation.
    """

    qubits: int
    toffolis: int
    relative_phase_toffolis: int
    t_gates: int
    rotations: int
    t_depth: int


def _angle_class(angle: float) -> str:
    quarter = angle / (math.pi / 4)
    if abs(quarter - round(quarter)) > 1e-9:
        return "rotation"
    return "t" if round(quarter) % 2 else "clifford"


def lower_for_estimate(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` in Clifford + ``ccx``/``cswap``/``rccx`` + rotations, no optimization.

    A plain decomposition (:func:`qcompile.basis.lower_to_basis`), not a compilation for a
    device: the estimators read its gate counts.
    """
    return lower_to_basis(circuit, _BASIS)


def clifford_t_counts(circuit: QuantumCircuit, t_per_rotation: int = 0) -> CliffordTCounts:
    """Count the non-Clifford gates of a circuit already in :data:`_BASIS` (no bound params).

    Args:
        circuit: The lowered circuit.
        t_per_rotation: T layers one synthesised rotation takes in the T-depth. Defaults to 0.

    Returns:
        The counts.

    Raises:
        ResourceError: On a gate outside the basis or an unbound parameter.
    """
    toffolis = rccx = t_gates = rotations = 0
    clock = [0] * circuit.num_qubits
    for inst in circuit.data:
        name = inst.operation.name
        weight = 0
        if name in _TOFFOLI_LIKE:
            t_gates += _TOFFOLI_LIKE[name]
            weight = 2 if name == "rccx" else 3
            if name == "rccx":
                rccx += 1
            else:
                toffolis += 1
        elif name in ("t", "tdg"):
            t_gates, weight = t_gates + 1, 1
        elif name in ("rz", "ry", "rx", "p"):
            try:
                angle = float(inst.operation.params[0])
            except TypeError:
                raise ResourceError(f"unbound parameter in {name}: bind angles first") from None
            kind = _angle_class(angle)
            if kind == "t":
                t_gates, weight = t_gates + 1, 1
            elif kind == "rotation":
                rotations, weight = rotations + 1, t_per_rotation
        elif getattr(inst.operation, "blocks", ()):
            # Classically controlled blocks (measurement-based uncomputation's CZ + X fix-up):
            # counted as if every block ran, the op's T-depth the deepest block's.
            inner = [clifford_t_counts(block, t_per_rotation) for block in inst.operation.blocks]
            toffolis += sum(c.toffolis for c in inner)
            rccx += sum(c.relative_phase_toffolis for c in inner)
            t_gates += sum(c.t_gates for c in inner)
            rotations += sum(c.rotations for c in inner)
            weight = max(c.t_depth for c in inner)
        elif name not in _CLIFFORD and name not in _FREE:
            raise ResourceError(f"gate {name!r} is not in the Clifford+T counting basis")
        if weight:
            idx = [circuit.find_bit(q).index for q in inst.qubits]
            start = max(clock[i] for i in idx) + weight
            for i in idx:
                clock[i] = start
    return CliffordTCounts(
        qubits=circuit.num_qubits,
        toffolis=toffolis,
        relative_phase_toffolis=rccx,
        t_gates=t_gates,
        rotations=rotations,
        t_depth=max(clock, default=0),
    )


@dataclass(frozen=True)
class QdkFigures:
    """What qdk's estimator reports for one circuit.

    Attributes:
        algorithm_qubits: Qubits of the program (``logicalCounts.numQubits``).
        logical_qubits: Logical qubits after its PSSPC layout (routing included).
        t_count: T gates in the program.
        ccz_count: CCZ gates (each Toffoli or CSWAP).
        rotations: Arbitrary rotations.
        measurements: Measurements.
        t_states: T states consumed (4 per CCZ, plus rotations' and T gates').
        code_distance: Surface-code distance.
        t_factories: Number of T factories.
        physical_qubits: Total physical qubits (algorithm + factories).
        runtime_s: Runtime.
    """

    algorithm_qubits: int
    logical_qubits: int
    t_count: int
    ccz_count: int
    rotations: int
    measurements: int
    t_states: int
    code_distance: int
    t_factories: int
    physical_qubits: int
    runtime_s: float


def _figures(data: dict[str, Any]) -> QdkFigures:
    counts, physical = data["logicalCounts"], data["physicalCounts"]
    breakdown = physical["breakdown"]
    return QdkFigures(
        algorithm_qubits=int(counts["numQubits"]),
        logical_qubits=int(breakdown["algorithmicLogicalQubits"]),
        t_count=int(counts["tCount"]),
        ccz_count=int(counts["cczCount"]) + int(counts.get("ccixCount", 0)),
        rotations=int(counts["rotationCount"]),
        measurements=int(counts["measurementCount"]),
        t_states=int(breakdown["numTstates"]),
        code_distance=int(data["logicalQubit"]["codeDistance"]),
        t_factories=int(breakdown["numTfactories"]),
        physical_qubits=int(physical["physicalQubits"]),
        runtime_s=float(physical["runtime"]) * 1e-9,  # qdk reports nanoseconds
    )


def _import_qdk() -> Any:
    # Keep qdk from sending usage telemetry (it is on by default in release builds).
    os.environ.setdefault("QDK_PYTHON_TELEMETRY", "none")
    import qdk.qiskit

    return qdk.qiskit


def qdk_estimate(circuit: QuantumCircuit, **options: Any) -> QdkFigures:
    """Run :func:`qdk.qiskit.estimate` on ``circuit`` with default estimator parameters.

    Args:
        circuit: A Qiskit circuit.
        **options: Transpiler options passed through (e.g. ``optimization_level``).

    Returns:
        qdk's figures.

    Raises:
        ResourceError: If qdk is missing or rejects the circuit.
    """
    try:
        qdk_qiskit = _import_qdk()
    except ImportError:
        raise ResourceError("qdk is not installed: pip install -e '.[estimate]'") from None
    try:
        with warnings.catch_warnings():
            # qdk 1.2x-1.3x: "This version of QRE is deprecated" (qdk.qre is its successor).
            warnings.simplefilter("ignore", DeprecationWarning)
            result = qdk_qiskit.estimate(circuit, **options)
        return _figures(result.data())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # QasmError, QSharpError; EstimatorError is a BaseException
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResourceError(f"qdk could not estimate {circuit.name}: {first}") from None


def _qsharp_select(seq_len: int, seed: int) -> QdkFigures:
    """Estimate Q#'s native ``Std.TableLookup.Select`` with the same stored bits."""
    _import_qdk()
    from qdk import qsharp

    bits = np.random.default_rng(seed).integers(0, 2, seq_len)
    data = ", ".join(f"[{'true' if b else 'false'}]" for b in bits)
    n = seq_len.bit_length() - 1
    qsharp.init()
    qsharp.eval(
        "operation QattnLookup() : Unit {\n"
        f"    use address = Qubit[{n}];\n"
        "    use target = Qubit[1];\n"
        "    ApplyToEach(H, address);\n"
        f"    Std.TableLookup.Select([{data}], address, target);\n"
        "    ResetAll(address);\n"
        "    ResetAll(target);\n"
        "}\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # qsharp.estimate -> qdk.qre later
        return _figures(qsharp.estimate("QattnLookup()").data())


def _mcx_lookup(seq_len: int, seed: int) -> QuantumCircuit:
    from qiskit.circuit.library import MCXGate

    bits = np.random.default_rng(seed).integers(0, 2, seq_len)
    n = seq_len.bit_length() - 1
    circuit = QuantumCircuit(n + 1, name="lookup_mcx")
    circuit.h(range(n))
    for address, bit in enumerate(bits):
        if bit:
            circuit.append(MCXGate(n, ctrl_state=address), range(n + 1))
    return circuit


@dataclass(frozen=True)
class QdkComparison:
    """One circuit estimated by qdk and by our surface-code model.

    Attributes:
        circuit: What was estimated (e.g. ``"qrom lookup, N=16, b=1"``).
        qram: QRAM kind, or ``"q#-select"`` / ``"mcx"`` for the reference rows.
        seq_len: N.
        qdk: qdk's figures (None if it failed; see ``note``).
        ours: Our :class:`~qcompile.estimate.surface_code.SurfaceCodeEstimate` as a dict
            (None for the Q# row, which has no Qiskit circuit).
        counts: Our Clifford+T counts of the circuit (None for the Q# row).
        qdk_seconds: Wall time of the qdk call.
        qdk_options: Options given to qdk beyond its defaults.
        note: Caveats or the qdk error.
    """

    circuit: str
    qram: str
    seq_len: int
    qdk: QdkFigures | None
    ours: dict[str, Any] | None
    counts: CliffordTCounts | None
    qdk_seconds: float
    qdk_options: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class QdkReport:
    """The comparison: a status line, the qdk version and the rows."""

    status: str
    qdk_version: str | None
    rows: list[QdkComparison]
    assumptions: str = QDK_VS_OURS

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dictionary."""
        return asdict(self)


def _our_estimate(
    lowered: QuantumCircuit, model: SurfaceCodeModel
) -> tuple[dict[str, Any], CliffordTCounts]:
    """Our surface-code estimate of a circuit already lowered by :func:`lower_for_estimate`."""
    counts = clifford_t_counts(lowered)
    if counts.rotations:
        # Rotations take t_per_rotation T layers each; that number depends on the budget.
        probe = estimate_surface_code(counts.qubits, counts.t_gates, counts.rotations, 1, model)
        counts = clifford_t_counts(lowered, probe.t_per_rotation)
    est = estimate_surface_code(
        counts.qubits, counts.t_gates, counts.rotations, max(counts.t_depth, 1), model
    )
    return asdict(est), counts


def compare_with_qdk(
    kinds: Sequence[str],
    seq_lens: Sequence[int] = QDK_SEQ_LENS,
    model: SurfaceCodeModel | None = None,
    *,
    references: bool = True,
    seed: int = 7,
) -> QdkReport:
    """Estimate each kind's lookup with qdk and with our model.

    Args:
        kinds: Registered QRAM kinds (``oracle`` is skipped: it has no circuit).
        seq_lens: Lookup sizes N. Defaults to :data:`QDK_SEQ_LENS`.
        model: Our surface-code model. Defaults to the ``ft_logical`` profile's parameters.
        references: Add the Q# ``Select`` and MCX reference rows. Defaults to True.
        seed: Seed of the stored bits. Defaults to 7.

    Returns:
        The report; without qdk installed, only a status line. A circuit qdk rejects
        (e.g. one without any non-Clifford gate) gets a row with its error as the note.

    Raises:
        ResourceError: On an unknown QRAM kind or a bad size.
    """
    try:
        _import_qdk()
    except ImportError:
        return QdkReport(
            "qdk (Microsoft resource estimator) not installed: no comparison figures "
            "(pip install -e '.[estimate]')",
            None,
            [],
        )
    version = qdk_version() or "unknown version"
    if model is None:
        logical = load_profile("ft_logical").logical
        model = SurfaceCodeModel.of_logical(logical) if logical else SurfaceCodeModel()
    rows: list[QdkComparison] = []
    level0 = {"optimization_level": 0}
    for n in seq_lens:
        for kind in kinds:
            if kind == "oracle":
                continue
            lowered = lower_for_estimate(lookup_circuit(kind, n, seed))
            ours, counts = _our_estimate(lowered, model)
            start = time.perf_counter()
            try:
                figures: QdkFigures | None = qdk_estimate(lowered, **level0)
                note = ""
            except ResourceError as exc:
                figures, note = None, str(exc)
            rows.append(
                QdkComparison(
                    f"{kind} lookup, N={n}, b=1",
                    kind,
                    n,
                    figures,
                    ours,
                    counts,
                    time.perf_counter() - start,
                    level0,
                    note,
                )
            )
        if references:
            start = time.perf_counter()
            try:
                native: QdkFigures | None = _qsharp_select(n, seed)
                note = "Q# native; ANDs uncomputed by measurement; qdk defaults"
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a Q# or estimator failure: report it, go on
                native, note = None, f"qdk failed on Q# Select: {str(exc).splitlines()[0]}"
            rows.append(
                QdkComparison(
                    f"Q# Std.TableLookup.Select, N={n}, b=1",
                    "q#-select",
                    n,
                    native,
                    None,
                    None,
                    time.perf_counter() - start,
                    {},
                    note,
                )
            )
            mcx = _mcx_lookup(n, seed)
            ours, counts = _our_estimate(lower_for_estimate(mcx), model)
            start = time.perf_counter()
            try:
                figures = qdk_estimate(mcx)
                note = (
                    "one MCX per stored 1; qdk transpiles it at its default level, ours "
                    "counts Qiskit's level-0 lowering (so their rotation counts differ)"
                )
            except ResourceError as exc:
                figures, note = None, str(exc)
            rows.append(
                QdkComparison(
                    f"MCX lookup via Qiskit, N={n}, b=1",
                    "mcx",
                    n,
                    figures,
                    ours,
                    counts,
                    time.perf_counter() - start,
                    {},
                    note,
                )
            )
    ok = sum(r.qdk is not None for r in rows)
    return QdkReport(
        f"qdk {version}: {ok} of {len(rows)} circuits estimated (defaults, see assumptions)",
        version,
        rows,
    )
