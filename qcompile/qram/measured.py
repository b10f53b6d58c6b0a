"""Dynamic-circuit QRAM variants: temporary ANDs uncomputed by measurement, not by Toffolis.

:class:`QROMMeasured` (``qrom-mbu``) and :class:`SelectSwapMeasured` (``select-swap-mbu``) are
:class:`~qcompile.qram.qrom.QROM` and :class:`~qcompile.qram.select_swap.SelectSwapQRAM` with
the unary iteration's second Toffoli of every node replaced by an X-basis measurement of the AND
ancilla and a classically controlled ``CZ`` + ``X`` (Gidney, arXiv:1709.06648, Fig. 3; the
count Babbush et al. and Berry et al. quote). Per kind, the Toffoli count halves exactly:

* ``qrom-mbu``: ``N - 2`` Toffolis (unitary: ``2(N - 2)``), ``N - 2`` measurements and
  feed-forward blocks;
* ``select-swap-mbu``: ``N/K - 2`` per phase pass (unitary: ``2(N/K - 2)``); its swap networks
  are permutations that leave no garbage, so they stay unitary (no measurement applies).

The bucket brigades have no measured variant: a router's content is a function of the whole
address prefix, so the phase fix-up after measuring it would need the routing tree again.

Built circuits hold one classical register ``mbu`` (one bit per AND ancilla, reused by every
node at that level); ancillas end in ``|0>`` whatever the outcomes, so a superposed query is
exact on every measurement record. They run on devices whose Target has ``if_else``
(:func:`check_dynamic_target`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from qiskit.transpiler import Target

from hardware_profiles.errors import CompileError
from qcompile.qram.qrom import QROM
from qcompile.qram.select_swap import SelectSwapQRAM

__all__ = ["DYNAMIC_KINDS", "QROMMeasured", "SelectSwapMeasured", "check_dynamic_target"]


@dataclass(frozen=True)
class QROMMeasured(QROM):
    """QROM with measurement-based uncomputation of its temporary ANDs (``qrom-mbu``).

    Registers as :class:`~qcompile.qram.qrom.QROM`, plus the classical register ``mbu``
    (``n - 1`` bits).
    """

    kind: ClassVar[str] = "qrom-mbu"
    dynamic: ClassVar[bool] = True


@dataclass(frozen=True)
class SelectSwapMeasured(SelectSwapQRAM):
    """Select-swap with measurement-based uncomputation in its QROM (``select-swap-mbu``).

    Registers as :class:`~qcompile.qram.select_swap.SelectSwapQRAM`, plus the classical
    register ``mbu`` (``n - block_bits - 1`` bits).
    """

    kind: ClassVar[str] = "select-swap-mbu"
    dynamic: ClassVar[bool] = True


DYNAMIC_KINDS = (QROMMeasured.kind, SelectSwapMeasured.kind)
"""Kinds that need mid-circuit measurement and feed-forward."""


def check_dynamic_target(target: Target | None, kind: str, profile: str = "") -> None:
    """Refuse, in one line, a dynamic-circuit kind on a device without feed-forward.

    Args:
        target: The device's Target (None: a logical compile, always allowed).
        kind: The QRAM kind.
        profile: The profile's name, for the message.

    Raises:
        CompileError: If ``kind`` is dynamic and ``target`` lacks ``if_else`` or ``measure``.
    """
    if kind not in DYNAMIC_KINDS or target is None:
        return
    missing = [op for op in ("measure", "if_else") if op not in target.operation_names]
    if missing:
        where = f"profile {profile!r}" if profile else "this target"
        raise CompileError(
            f"QRAM kind {kind!r} needs mid-circuit measurement and feed-forward, but {where} "
            f"has no {' or '.join(missing)}; use {kind.removesuffix('-mbu')!r} instead"
        )
