"""Compile one circuit for every qattn profile and compare what it costs.

Run: .venv/bin/python examples/compile_for_every_profile.py [circuit file]
"""

from __future__ import annotations

import sys

from hardware_profiles import list_profiles
from qcompile import CompileOptions, compile_circuit, load_circuit

path = sys.argv[1] if len(sys.argv) > 1 else "examples/circuits/ghz5.qasm"
circuit = load_circuit(path)
print(
    f"{'profile':<16} {'2q gates':>8} {'2q depth':>8} {'duration':>12} {'success':>8}  equivalence"
)
for profile in list_profiles():
    report = compile_circuit(circuit, profile, CompileOptions(optimization_level=3)).report
    duration = f"{report.duration_s * 1e6:.2f} us" if report.duration_s is not None else "n/a"
    print(
        f"{profile.name:<16} {report.two_qubit_gates:>8} {report.two_qubit_depth:>8} "
        f"{duration:>12} {report.success_probability:>8.4f}  {report.equivalence['status']}"
    )
