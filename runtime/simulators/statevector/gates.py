"""One-qubit gate components and the angle table they read.

Gate angles form one table: angles affine in the parameters (``0.5*x``, ``x + 2*y``) are rows
of one matrix product, others (``x*y``) are evaluated with torch (their sympy expressions
compiled onto torch functions), so any angle expression is differentiated exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from qiskit.circuit import Parameter, ParameterExpression

from hardware_profiles.errors import CompileError

__all__ = ["PAULI_X", "AngleTable", "Component", "native_component"]

_TORCH_FUNCTIONS: dict[str, Any] = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "asin": torch.asin,
    "acos": torch.acos,
    "atan": torch.atan,
    "Abs": torch.abs,
    "sign": torch.sign,
}
PAULI_X = np.array([[0, 1], [1, 0]], dtype=complex)


@dataclass(frozen=True)
class Component:
    """One one-qubit gate: a rotation reading angle-table ``slots`` or a ``fixed`` matrix.

    Rotations store theta/2 (``rx``, ``ry``, ``rz``), theta (``p``) or (theta/2, phi, lam)
    (``u``): every slot is read through cos/sin.
    """

    kind: str
    slots: tuple[int, ...] = ()
    matrix: np.ndarray | None = None


@dataclass
class AngleTable:
    """Angle expressions, deduplicated; affine ones become rows of ``coeffs``/``offsets``."""

    index: dict[Parameter, int]
    rows: list[tuple[dict[int, float], float]] = field(default_factory=list)
    nonlinear: list[tuple[int, Callable[..., Any], tuple[int, ...]]] = field(default_factory=list)
    keys: dict[Any, int] = field(default_factory=dict)
    constants: list[float] = field(default_factory=list)

    def add(self, value: ParameterExpression | float, scale: float) -> int:
        """The slot of ``scale * value``; constants get negative slots resolved later."""
        if not isinstance(value, ParameterExpression) or not value.parameters:
            self.constants.append(scale * _real(value))
            return -len(self.constants)
        key = (str(value), scale)
        if key in self.keys:
            return self.keys[key]
        slot = len(self.rows)
        self.keys[key] = slot
        params = sorted(value.parameters, key=lambda p: self._column(p))
        coeffs: dict[int, float] = {}
        affine = True
        for param in params:
            grad = value.gradient(param)
            if isinstance(grad, ParameterExpression) and grad.parameters:
                affine = False
                break
            coeffs[self._column(param)] = scale * _real(grad)
        if affine:
            offset = scale * _real(value.bind({p: 0.0 for p in params}))
            self.rows.append((coeffs, offset))
            return slot
        import sympy

        symbols = [sympy.Symbol(p.name) for p in params]
        func = sympy.lambdify(symbols, scale * value.sympify(), modules=[_TORCH_FUNCTIONS, "math"])
        self.rows.append(({}, 0.0))
        self.nonlinear.append((slot, func, tuple(self._column(p) for p in params)))
        return slot

    def _column(self, param: Parameter) -> int:
        if param not in self.index:
            raise CompileError(f"circuit parameter {param.name!r} is neither an input nor a weight")
        return self.index[param]


def _real(value: Any) -> float:
    number = complex(value)
    if abs(number.imag) > 1e-12:
        raise CompileError(f"gate angle {value} is not real")
    return number.real


def native_component(name: str, params: list[Any], table: AngleTable) -> Component:
    """The component of the native rotation ``name``, its angles added to ``table``."""
    # Every slot is read through cos/sin, so rotations store theta/2 and phases store theta.
    if name in ("rx", "ry", "rz"):
        return Component(name, (table.add(params[0], 0.5),))
    if name in ("p", "u1"):
        return Component("p", (table.add(params[0], 1.0),))
    theta, phi, lam = params
    return Component("u", (table.add(theta, 0.5), table.add(phi, 1.0), table.add(lam, 1.0)))
