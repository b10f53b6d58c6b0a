"""One QRAM construction's costs: analytic, counted on the built circuit, and compiled.

This is what ``qcompile qram`` prints. It sits above :mod:`qcompile.qram` (constructions) and
:mod:`qcompile.pipeline` (the compile path) and drives both, so neither imports it.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit.circuit import ParameterVector, QuantumCircuit

from hardware_profiles.errors import ResourceError
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.qram.base import QRAMResources, measure_resources
from qcompile.qram.query import QRAMQuery, QRAMWords
from qcompile.qram.registry import get_construction

if TYPE_CHECKING:
    from hardware_profiles import DeviceProfile
    from qcompile.report import CompileReport

__all__ = ["MAX_BUILD_ADDRESS_BITS", "QRAMCostReport", "qram_cost_report"]

MAX_BUILD_ADDRESS_BITS = 12
"""Beyond this many address bits only the analytic figures are given."""


@dataclass(frozen=True)
class QRAMCostReport:
    """Costs of one QRAM query.

    Attributes:
        kind: construction kind.
        address_bits: n (N = 2^n words).
        word_bits: b.
        mode: ``bits``, ``ry`` or ``phase``.
        analytic: closed-form resources.
        built: resources counted on the built circuit (None beyond the build limit or
            for the oracle, which has no circuit).
        build_time_s: seconds to build the circuit.
        compiled: the compile report on a profile, if one was given.
    """

    kind: str
    address_bits: int
    word_bits: int
    mode: str
    analytic: QRAMResources
    built: QRAMResources | None
    build_time_s: float | None
    compiled: CompileReport | None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dictionary."""
        return {
            "kind": self.kind,
            "address_bits": self.address_bits,
            "entries": 2**self.address_bits,
            "word_bits": self.word_bits,
            "mode": self.mode,
            "analytic": dataclasses.asdict(self.analytic),
            "built": dataclasses.asdict(self.built) if self.built else None,
            "build_time_s": self.build_time_s,
            "compiled": self.compiled.to_dict() if self.compiled else None,
        }

    def to_text(self) -> str:
        """A terminal table: analytic next to built, then the compiled figures."""
        fields = ("qubits", "cswap", "toffoli", "swap", "cx_count", "t_count", "depth", "queries")
        lines = [
            f"{self.kind} QRAM, N = {2**self.address_bits} words of {self.word_bits} bit(s), "
            f"{self.mode} mode",
            f"  {'figure':<10} {'analytic':>10} {'built':>10}",
        ]
        for name in fields:
            built = getattr(self.built, name) if self.built else "-"
            lines.append(f"  {name:<10} {getattr(self.analytic, name):>10} {built!s:>10}")
        lines.append("  (depth: analytic is an upper bound; cx_count: after lowering to CX+1q)")
        if self.compiled is not None:
            lines.append("compiled:")
            lines.extend("  " + line for line in self.compiled.to_text().splitlines())
        return "\n".join(lines)


def _words(n: int, b: int, mode: str, seed: int) -> QRAMWords:
    if mode == "bits":
        rng = np.random.default_rng(seed)
        return QRAMWords.bits([int(w) for w in rng.integers(0, 2**b, 2**n)], b)
    theta = ParameterVector("theta", 2**n * b)
    angles = [[theta[i * b + j] for j in range(b)] for i in range(2**n)]
    return QRAMWords.angles(angles, mode="ry" if mode == "ry" else "phase")


def qram_cost_report(
    kind: str,
    address_bits: int,
    word_bits: int = 1,
    mode: str = "bits",
    profile: DeviceProfile | None = None,
    options: CompileOptions | None = None,
    seed: int = 0,
) -> QRAMCostReport:
    """Costs of one query of a QRAM construction.

    Classical words are random (seeded); angle words are Parameters, so the compiled
    circuit serves every input by binding.

    Args:
        kind: construction kind (``bucket-brigade``, ``bb-2q``, ``bb-lean``,
            ``qrom``, ``select-swap``, ``multiplexer``, ``oracle``).
        address_bits: n, for N = 2^n words.
        word_bits: b. Defaults to 1.
        mode: ``bits`` (default), ``ry`` or ``phase``.
        profile: compile the built circuit for this profile too. Defaults to None.
        options: compile options. Defaults to the best measured pipeline for ``kind``
            (:func:`qcompile.qram_pipeline.best_qram_options`).
        seed: seed of the random classical words. Defaults to 0.

    Raises:
        ResourceError: impossible sizes, or a compile requested beyond the build limit.
        CompileError: unknown kind, or the oracle asked to compile.
    """
    construction = get_construction(kind)
    if mode not in ("bits", "ry", "phase"):
        raise ResourceError(f"mode must be bits, ry or phase, got {mode!r}")
    analytic = construction.resources(address_bits, word_bits, mode)
    built = build_time = compiled = None
    if address_bits <= MAX_BUILD_ADDRESS_BITS:
        start = time.perf_counter()
        instance = construction(_words(address_bits, word_bits, mode, seed))
        circuit = instance.build()
        build_time = time.perf_counter() - start
        circuit.name = f"qram-{kind}-n{address_bits}-b{word_bits}-{mode}"
        if kind != "oracle":
            built = measure_resources(circuit)
            # Counted figures depend on the actual words; compare like with like.
            analytic = instance.count()
        if profile is not None:
            inputs = address_bits + word_bits
            if options is None:
                from qcompile.qram_pipeline import best_qram_options

                options = best_qram_options(kind, CompileOptions(), num_inputs=inputs)
            # The lookup itself, on the construction's qubits: what the ISA circuit must do.
            reference = QuantumCircuit(circuit.num_qubits, name="lookup")
            reference.append(QRAMQuery(instance.words), range(inputs))
            compiled = compile_circuit(
                circuit, profile, options, lookup_reference=reference, lookup_inputs=inputs
            ).report
    elif profile is not None:
        raise ResourceError(
            f"{2**address_bits} words is past the build limit "
            f"(n <= {MAX_BUILD_ADDRESS_BITS}); drop --profile for analytic figures"
        )
    return QRAMCostReport(
        kind=kind,
        address_bits=address_bits,
        word_bits=word_bits,
        mode=mode,
        analytic=analytic,
        built=built,
        build_time_s=build_time,
        compiled=compiled,
    )
