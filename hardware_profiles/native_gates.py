"""The Qiskit operation behind each native instruction name a synthetic profile may list."""

from __future__ import annotations

from qiskit.circuit import Delay, Instruction, Measure, Parameter, Reset
from qiskit.circuit.library import get_standard_gate_name_mapping

from hardware_profiles.errors import ProfileError

__all__ = ["native_operation"]

_NON_GATES = {"measure": Measure(), "reset": Reset(), "delay": Delay(Parameter("t"))}


def native_operation(name: str) -> Instruction:
    """The Qiskit operation for a native instruction name of a synthetic profile.

    Args:
        name: a Qiskit standard gate name (``rz``, ``sx``, ``cz``, ``rzz``...) or
            ``measure``/``reset``/``delay``.

    Returns:
        The operation, as a Target would hold it.

    Raises:
        ProfileError: not a standard gate, measure, reset or delay; or over 2 qubits.
    """
    operation = _NON_GATES.get(name) or get_standard_gate_name_mapping().get(name)
    if operation is None:
        raise ProfileError(
            f"gates.{name}: not a Qiskit standard gate name (e.g. rz, sx, x, cz, "
            "ecr, rzz, rxx, h, t, cx) nor measure/reset/delay"
        )
    if operation.num_qubits > 2:
        raise ProfileError(
            f"gates.{name}: {operation.num_qubits}-qubit native gates are not supported"
        )
    return operation
