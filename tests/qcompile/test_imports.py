"""The compiler and the profiles load without torch: only training needs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TORCH_FREE = (
    "hardware_profiles",
    "qcompile",
    "qcompile.models",
    "qcompile.cli",
    "qcompile.estimate",
)


def _torch_modules_after(imports: str) -> list[str]:
    code = (
        f"import sys, {imports}; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    )
    return done.stdout.split()


def test_the_compiler_and_profiles_do_not_import_torch() -> None:
    assert _torch_modules_after(", ".join(TORCH_FREE))[:5] == []


def test_the_check_sees_torch_when_it_is_loaded() -> None:
    assert "torch" in _torch_modules_after("runtime.train.qubo_torch")
