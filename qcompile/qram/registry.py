"""Kind names of the QRAM constructions, as used by the lowering pass and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hardware_profiles.errors import CompileError
from qcompile.qram.base import QRAMConstruction
from qcompile.qram.bucket_brigade import BucketBrigadeQRAM
from qcompile.qram.bucket_brigade_2q import BucketBrigade2QRAM
from qcompile.qram.lean_bb import LeanBucketBrigadeQRAM
from qcompile.qram.measured import QROMMeasured, SelectSwapMeasured
from qcompile.qram.multiplexer import MultiplexerQRAM
from qcompile.qram.oracle import OracleQRAM
from qcompile.qram.qrom import QROM
from qcompile.qram.select_swap import SelectSwapQRAM

__all__ = ["CONSTRUCTIONS", "get_construction"]

CONSTRUCTIONS: Mapping[str, type[QRAMConstruction]] = MappingProxyType(
    {
        cls.kind: cls
        for cls in (
            BucketBrigadeQRAM,
            BucketBrigade2QRAM,
            LeanBucketBrigadeQRAM,
            QROM,
            SelectSwapQRAM,
            MultiplexerQRAM,
            OracleQRAM,
            QROMMeasured,
            SelectSwapMeasured,
        )
    }
)
"""Kind name -> construction class."""


def get_construction(kind: str) -> type[QRAMConstruction]:
    """The construction class registered under ``kind``.

    Raises:
        CompileError: If no construction has that kind.
    """
    try:
        return CONSTRUCTIONS[kind]
    except KeyError:
        raise CompileError(
            f"unknown QRAM kind {kind!r}; known: {', '.join(CONSTRUCTIONS)}"
        ) from None
