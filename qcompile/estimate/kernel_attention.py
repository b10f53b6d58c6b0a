"""The honest cost of kernel-attention QLACI: gates, post-selection shots and amplification.

The context of :mod:`qcompile.models.qlaci_kernel` is a ratio ``<P0 Z>/<P0>`` read by
post-selection: a shot counts only when the query register reads ``|0...0>``, which happens
with probability ``p = mean_j kappa_j**m``. Per context component, to a standard error ``eps``
(``Z`` has variance <= 1, so ``1/eps**2`` kept shots suffice):

* **plain**: ``shots = ceil(1 / (p eps**2))`` runs of the circuit;
* **amplified** (``g = round(pi/(4 theta) - 1/2)`` Grover iterations, ``sin(theta)**2 = p``):
  acceptance ``p_g = sin((2g+1) theta)**2`` (close to 1), ``shots = ceil(1 / (p_g eps**2))``
  runs of a circuit that applies the state preparation ``A`` ``2g + 1`` times: cost
  ``~ (2g+1)/eps**2 ~ (pi/2) / (sqrt(p) eps**2)`` preparations;
* **amplitude estimation** (canonical QAE, Brassard et al., arXiv:quant-ph/0005055): error
  ``<= 2 pi sqrt(a)/M`` on an amplitude ``a <= p`` with ``M`` Grover steps; the ratio needs
  each of ``<P0 Z'>`` and ``<P0>`` to ``p eps / 2``, so ``M = ceil(4 pi / (sqrt(p) eps))``
  per amplitude, two amplitudes, each step 2 preparations: ``~ 16 pi / (sqrt(p) eps)``
  preparations (success probability ``>= 8/pi**2`` each; no median boosting counted).

``p`` is a stated assumption: ``p = (1 + (N - 1) kappa_bg) / N`` for a query whose match has
``kappa = 1`` and whose other keys have mean kernel ``kappa_bg`` (0: perfectly sharp
retrieval, the most favourable case for the shot count's ``1/N`` is then exact).

Gate counts: the plain circuit's two-qubit gates on the device come from the estimate report
(compiled where the circuit was compiled, its closed form beyond); the amplified circuit's are
closed forms (:func:`kernel_logical_size`: lowered CX count, no routing), with the
multi-controlled ``Z`` of each reflection counted by synthesising it alone (Qiskit, ``cx``/``u``
basis, optimisation level 0, no helper qubits: an upper bound, since inside the whole circuit
Qiskit may borrow idle qubits and synthesise it with fewer). Classical softmax FLOPs are
:func:`~qcompile.estimate.classical.classical_attention_cost` divided by ``N`` (per query).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hardware_profiles.errors import ResourceError
from qcompile.estimate.classical import DEFAULT_HEAD_DIM, classical_attention_cost
from qcompile.estimate.sections import ReportSection
from qcompile.estimate.sizes import LogicalSize
from qcompile.models.qlaci_kernel import KernelSizes, grover_acceptance, grover_iterations_for
from qcompile.plots import LogLogPlot, Point, Series
from qcompile.qram import CONSTRUCTIONS

if TYPE_CHECKING:
    from qcompile.estimate.report import EstimateReport

__all__ = [
    "DEFAULT_PRECISION",
    "KERNEL_SEQ_LENS",
    "KernelCostRow",
    "kernel_attention_section",
    "kernel_cost_table",
    "kernel_logical_size",
    "reflection_cx",
]

DEFAULT_PRECISION = 0.01
"""Target standard error ``eps`` of each context component."""

KERNEL_SEQ_LENS = (4, 8, 16, 32, 64, 128, 256, 512, 1024)
"""The sequence lengths of the cost table."""


@lru_cache(maxsize=64)
def reflection_cx(num_qubits: int) -> int:
    """CX count of ``I - 2|0..0><0..0|`` on ``num_qubits`` qubits (Qiskit's MCZ synthesis).

    Args:
        num_qubits: Qubits reflected, >= 1.

    Returns:
        Two-qubit gates after transpiling to ``cx``/``u`` at optimisation level 0.
    """
    if num_qubits < 1:
        raise ResourceError(f"a reflection needs >= 1 qubit, got {num_qubits}")
    if num_qubits == 1:
        return 0
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit.library import ZGate

    qc = QuantumCircuit(num_qubits)
    qc.append(ZGate().control(num_qubits - 1, annotated=False), range(num_qubits))
    out = transpile(qc, basis_gates=["cx", "u"], optimization_level=0)
    return int(out.count_ops().get("cx", 0))


def _prep_counts(s: KernelSizes, kind: str) -> tuple[int, int, int, int]:
    """(CX, one-qubit, depth bound, ancillas) of the state preparation ``A``."""
    d, m, n, big_l = s.feature_qubits, s.copies, s.index_qubits, s.layers
    key = CONSTRUCTIONS[kind].resources(n, m * d, "ry")
    cx = 2 * m * big_l * (d - 1) + big_l * key.cx_count
    one = m * big_l * 5 * d + n + 2 * big_l * key.rotations
    depth = big_l * (2 * (2 + d)) + 1 + big_l * key.depth
    return cx, one, depth, key.qubits - n - m * d


def kernel_logical_size(seq_len: int, qram: str, sizes: KernelSizes | None = None) -> LogicalSize:
    """Closed-form size of a ``qlaci-kernel`` circuit with its lookups lowered as ``qram``.

    Args:
        seq_len: ``N``, a power of two.
        qram: A QRAM kind.
        sizes: The other sizes (``seq_len`` is replaced). Defaults to the catalog's
            (4 feature qubits, 1 copy, 4 out qubits, 1 layer, no amplification).

    Returns:
        The size; two-qubit gates are the lowered CX count (no routing).

    Raises:
        ResourceError: On an unknown kind or an impossible size.
    """
    if qram not in CONSTRUCTIONS:
        raise ResourceError(f"unknown QRAM kind {qram!r}; known: {', '.join(CONSTRUCTIONS)}")
    base = sizes or KernelSizes(seq_len, 4, 1, 4)
    s = KernelSizes(
        seq_len,
        base.feature_qubits,
        base.copies,
        base.out_qubits,
        base.layers,
        base.grover_iterations,
    )
    g, mq, n = s.grover_iterations, s.query_qubits, s.index_qubits
    cx, one, depth, ancillas = _prep_counts(s, qram)
    value = CONSTRUCTIONS[qram].resources(n, s.out_qubits, "ry")
    reflections = reflection_cx(mq) + reflection_cx(mq + n)
    key_t = CONSTRUCTIONS[qram].resources(n, mq, "ry").t_count
    return LogicalSize(
        qubits=s.num_qubits + max(ancillas, value.qubits - n - s.out_qubits),
        two_qubit_gates=(2 * g + 1) * cx + g * reflections + value.cx_count,
        one_qubit_gates=(2 * g + 1) * one + g * 4 * (mq + n) + 2 * value.rotations,
        depth=(2 * g + 1) * depth + g * (reflections + 4) + value.depth,
        rotations=(2 * g + 1) * (one - n) + 2 * value.rotations,
        t_gates=(2 * g + 1) * s.layers * key_t + value.t_count,
    )


@dataclass(frozen=True)
class KernelCostRow:
    """The cost of one query at one ``N``.

    Attributes:
        seq_len: ``N``.
        qram: QRAM kind serving the lookups.
        qubits: Logical qubits, QRAM ancillas included (plain circuit).
        two_qubit_gates: Two-qubit gates of the plain circuit on the device profile.
        gates_source: Where ``two_qubit_gates`` comes from (``compiled``, ``extrapolated``,
            ``analytic``), as the estimate row says.
        closed_form_two_qubit_gates: The plain circuit's closed form (lowered CX, no routing).
        acceptance: Assumed post-selection probability ``p``.
        shots: Plain: shots for precision ``eps``.
        grover_iterations: ``g`` for the amplified circuit.
        amplified_acceptance: ``sin((2g+1) theta)**2``.
        amplified_two_qubit_gates: 2q gates of the amplified circuit on the device: its
            closed form times ``two_qubit_gates / closed_form_two_qubit_gates`` (the plain
            circuit's routing factor at the same ``N``, assumed to carry over).
        amplified_shots: Shots of the amplified circuit for precision ``eps``.
        plain_gate_executions: ``shots x two_qubit_gates``.
        amplified_gate_executions: ``amplified_shots x amplified_two_qubit_gates``.
        qae_preparations: State preparations of amplitude estimation, ``~16 pi/(sqrt(p) eps)``.
        classical_flops: Softmax attention FLOPs per query (one head, ``d`` = head_dim).
    """

    seq_len: int
    qram: str
    qubits: int
    two_qubit_gates: int
    gates_source: str
    closed_form_two_qubit_gates: int
    acceptance: float
    shots: int
    grover_iterations: int
    amplified_acceptance: float
    amplified_two_qubit_gates: int
    amplified_shots: int
    plain_gate_executions: int
    amplified_gate_executions: int
    qae_preparations: int
    classical_flops: int


def kernel_cost_table(
    rows: list[Any],
    qram: str,
    profile: str,
    *,
    precision: float = DEFAULT_PRECISION,
    background_kernel: float = 0.0,
    head_dim: int = DEFAULT_HEAD_DIM,
    sizes: KernelSizes | None = None,
) -> dict[str, Any]:
    """The cost table of kernel-attention QLACI from an estimate report's rows.

    Args:
        rows: :class:`~qcompile.estimate.report.EstimateRow` objects of model
            ``qlaci-kernel`` (one per N for ``qram`` on ``profile`` is used).
        qram: The QRAM kind to tabulate.
        profile: The profile to tabulate.
        precision: ``eps``, the standard error per context component. Defaults to 0.01.
        background_kernel: ``kappa_bg`` in ``p = (1 + (N-1) kappa_bg)/N``. Defaults to 0.
        head_dim: Classical head dimension. Defaults to 64.
        sizes: Circuit sizes other than ``N``. Defaults to the catalog's.

    Returns:
        ``{"qram", "profile", "precision", "background_kernel", "assumptions", "rows"}``,
        JSON-friendly.

    Raises:
        ResourceError: On ``precision`` outside ``(0, 1]`` or ``background_kernel``
            outside ``[0, 1]``.
    """
    if not (0 < precision <= 1):
        raise ResourceError(f"precision must be in (0, 1], got {precision!r}")
    if not (0 <= background_kernel <= 1):
        raise ResourceError(f"background_kernel must be in [0, 1], got {background_kernel!r}")
    base = sizes or KernelSizes(4, 4, 1, 4)
    table = []
    for row in rows:
        if row.qram != qram or row.profile != profile:
            continue
        n = row.seq_len
        p = (1 + (n - 1) * background_kernel) / n
        g = grover_iterations_for(p)
        p_g = grover_acceptance(p, g)
        amplified = KernelSizes(
            n, base.feature_qubits, base.copies, base.out_qubits, base.layers, g
        )
        closed = kernel_logical_size(n, qram, replace(base, seq_len=n)).two_qubit_gates
        closed_g = kernel_logical_size(n, qram, amplified).two_qubit_gates
        gates_g = round(closed_g * row.two_qubit_gates / closed) if closed else closed_g
        shots = math.ceil(1 / (p * precision**2))
        shots_g = math.ceil(1 / (p_g * precision**2))
        table.append(
            KernelCostRow(
                seq_len=n,
                qram=qram,
                qubits=row.logical_qubits,
                two_qubit_gates=row.two_qubit_gates,
                gates_source=row.source,
                closed_form_two_qubit_gates=closed,
                acceptance=p,
                shots=shots,
                grover_iterations=g,
                amplified_acceptance=p_g,
                amplified_two_qubit_gates=gates_g,
                amplified_shots=shots_g,
                plain_gate_executions=shots * row.two_qubit_gates,
                amplified_gate_executions=shots_g * gates_g,
                qae_preparations=2 * 2 * math.ceil(4 * math.pi / (math.sqrt(p) * precision)),
                classical_flops=classical_attention_cost(n, head_dim).flops // n,
            )
        )
    return {
        "qram": qram,
        "profile": profile,
        "precision": precision,
        "background_kernel": background_kernel,
        "assumptions": (
            f"p = (1 + (N-1) x {background_kernel:g}) / N; eps = {precision:g} per context "
            "component; plain shots = 1/(p eps^2); amplified: g = round(pi/(4 theta) - 1/2), "
            "shots = 1/(sin^2((2g+1) theta) eps^2), 2q gates = closed form (lowered CX, MCZ "
            "reflections synthesised alone) x the plain circuit's device/closed-form ratio; "
            "QAE preparations = 16 pi/(sqrt(p) eps); "
            f"classical = softmax FLOPs per query, d = {head_dim}; circuit: "
            f"d = {base.feature_qubits}, m = {base.copies}, o = {base.out_qubits}, "
            f"L = {base.layers}"
        ),
        "rows": [asdict(r) for r in table],
    }


_HEADS = (
    "N",
    "qubits",
    "2q gates",
    "closed form",
    "p",
    "shots",
    "2q-gate runs",
    "g",
    "p_g",
    "2q gates (AA)",
    "shots (AA)",
    "2q-gate runs (AA)",
    "QAE preps",
    "softmax FLOPs / query",
)


def _cells(r: dict[str, Any]) -> tuple[str, ...]:
    src = "" if r["gates_source"] == "compiled" else f" ({r['gates_source']})"
    return (
        str(r["seq_len"]),
        str(r["qubits"]),
        f"{r['two_qubit_gates']:,}{src}",
        f"{r['closed_form_two_qubit_gates']:,}",
        f"{r['acceptance']:.4g}",
        f"{r['shots']:,}",
        f"{r['plain_gate_executions']:.3g}",
        str(r["grover_iterations"]),
        f"{r['amplified_acceptance']:.3f}",
        f"{r['amplified_two_qubit_gates']:,}",
        f"{r['amplified_shots']:,}",
        f"{r['amplified_gate_executions']:.3g}",
        f"{r['qae_preparations']:,}",
        f"{r['classical_flops']:,}",
    )


def kernel_attention_section(report: EstimateReport) -> ReportSection | None:
    """The cost table of kernel-attention QLACI, for reports of model ``qlaci-kernel``.

    One table per (QRAM kind, non-fault-tolerant profile) of the report, the first kind and
    profile also plotted. None for other models.
    """
    if report.model != "qlaci-kernel":
        return None
    tables = []
    for kind in report.qram:
        if kind == "oracle":
            continue
        for prof in report.profiles:
            table = kernel_cost_table(
                [r for r in report.rows if r.fault_tolerant is None], kind, prof
            )
            if table["rows"]:
                tables.append(table)
    if not tables:
        return None
    first = tables[0]
    rows = tuple((f"{t['qram']} / {t['profile']}", *_cells(r)) for t in tables for r in t["rows"])

    def series(label: str, key: str, marker: str) -> Series:
        pts = tuple(Point(float(r["seq_len"]), float(r[key])) for r in first["rows"] if r[key] > 0)
        return Series(label, pts, marker=marker)

    plot = LogLogPlot(
        plot_id="kernel-attention-cost",
        title=f"kernel attention per query ({first['qram']}, {first['profile']})",
        xlabel="N",
        ylabel="operations per query",
        series=(
            series("2q-gate runs, post-selection", "plain_gate_executions", "o"),
            series("2q-gate runs, amplified", "amplified_gate_executions", "s"),
            series("softmax FLOPs", "classical_flops", "^"),
        ),
        x_base=2,
    )
    return ReportSection(
        key="kernel-attention",
        title="Kernel attention: post-selection shots and amplitude amplification",
        paragraphs=(
            "The context is <P0 Z>/<P0>, read by keeping the shots whose query register is "
            "|0..0> (probability p). Without amplification the shots for a precision eps grow "
            "as 1/(p eps^2); with g Grover iterations on the |0..0> subspace the acceptance is "
            "sin^2((2g+1) theta) ~ 1 but every shot runs the preparation 2g+1 ~ (pi/4)/sqrt(p) "
            "times, so the 2q-gate runs grow as 1/(sqrt(p) eps^2); amplitude estimation gets "
            "1/(sqrt(p) eps) preparations (QAE preps column) at the price of a coherent, "
            "much deeper circuit.",
            "2q gates: compiled on the profile where the report compiled the circuit, the "
            "routing-model extrapolation (or closed form) beyond, as the rows above; the "
            "amplified circuit's is its closed form times the plain circuit's ratio of device "
            "to closed-form 2q gates at the same N.",
            first["assumptions"],
        ),
        table_heads=("QRAM / profile", *_HEADS),
        table_rows=rows,
        figures=(("operations per query vs N", plot),),
        data={"tables": tables},
    )
