"""Delays made to fit the device's timing grid before compilation.

IBM devices run instructions on a grid: every delay must last a whole number of ``dt`` and,
where the Target states a pulse alignment (Eagle: 8 dt), a multiple of it. Qiskit rounds a
delay in seconds to whole ``dt`` itself (with a warning), but a delay off the alignment grid
makes its preset pass managers stop with "the input circuit is not scheduled" unless the whole
circuit is scheduled, which pads every idle qubit of the device with delays. Rounding each delay
to the nearest multiple of the alignment is what the device would have to do anyway, changes
what the circuit computes by nothing (a delay is the identity on an ideal device) and keeps the
circuit on its active qubits.
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp, Delay
from qiskit.transpiler import Target

from qcompile.report import iter_instructions

__all__ = ["align_delays"]

_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}


def _aligned(delay: Delay, dt: float, alignment: int) -> Delay | None:
    duration = delay.duration
    if not isinstance(duration, int | float):
        return None  # a parametrised or expression duration: leave it to Qiskit
    samples = float(duration) if delay.unit == "dt" else float(duration) * _SECONDS[delay.unit] / dt
    rounded = round(samples / alignment) * alignment
    if delay.unit == "dt" and rounded == duration:
        return None
    return Delay(rounded, unit="dt")


def align_delays(circuit: QuantumCircuit, target: Target) -> QuantumCircuit:
    """``circuit`` with every delay in whole ``dt``, a multiple of the Target's pulse alignment.

    A Target without ``dt`` (synthetic profiles that state durations in seconds only) or a
    circuit without delays is returned as it is. Delays inside control-flow blocks are aligned
    too.
    """
    dt = target.dt
    if not dt or not any(
        isinstance(inst.operation, Delay) for inst, _ in iter_instructions(circuit)
    ):
        return circuit
    alignment = max(1, int(getattr(target, "pulse_alignment", 1) or 1))
    return _align(circuit, dt, alignment)


def _align(circuit: QuantumCircuit, dt: float, alignment: int) -> QuantumCircuit:
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        operation = inst.operation
        if isinstance(operation, Delay) and operation.unit in _SECONDS.keys() | {"dt"}:
            operation = _aligned(operation, dt, alignment) or operation
        elif isinstance(operation, ControlFlowOp):
            operation = operation.replace_blocks(
                [_align(block, dt, alignment) for block in operation.blocks]
            )
        out.append(operation, inst.qubits, inst.clbits, copy=False)
    return out
