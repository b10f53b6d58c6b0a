"""Tutorial (a): compile your own circuit, for a built-in profile and for your own device.

    .venv/bin/python examples/tutorial_compile.py                # a 6-qubit QFT
    .venv/bin/python examples/tutorial_compile.py --small        # 3 qubits (what CI runs)

Writes the artifacts under ``--out`` (default ``out/tutorial-compile``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate

from hardware_profiles import load_profile
from qcompile import Artifact, CompileOptions, compile_circuit

# A device of your own: a 12-qubit line with a native CZ. Only the fields you see are needed;
# `qcompile profiles show heron_r2` and hardware_profiles/data/*.toml show the rest.
MY_DEVICE = """\
[profile]
name = "my_line_12"
kind = "synthetic"
description = "A 12-qubit line with CZ (tutorial)"

[topology]
kind = "line"
num_qubits = 12

[coherence]
t1 = 150e-6   # seconds
t2 = 100e-6

[gates.rz]
error = 0.0
duration = 0.0
[gates.sx]
error = 2e-4
duration = 32e-9
[gates.x]
error = 2e-4
duration = 32e-9
[gates.cz]
error = 3e-3
duration = 70e-9
[gates.measure]
error = 1e-2
duration = 1e-6
[gates.reset]
error = 1e-3
duration = 1e-6
[gates.delay]
error = 0.0
duration = 0.0
"""


def my_circuit(num_qubits: int) -> QuantumCircuit:
    """Your circuit: any Qiskit circuit (or a .qasm/.qasm3/.qpy file via load_circuit)."""
    circuit = QuantumCircuit(num_qubits, name=f"qft{num_qubits}")
    circuit.x(0)
    circuit.append(QFTGate(num_qubits), range(num_qubits))
    circuit.measure_all()
    return circuit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="3 qubits instead of 6")
    parser.add_argument("--out", default="out/tutorial-compile", help="output directory")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    circuit = my_circuit(3 if args.small else 6)
    options = CompileOptions(optimization_level=3, seed=7)

    # 1. A built-in profile: IBM Heron r2's calibration snapshot (FakeFez).
    heron = compile_circuit(circuit, load_profile("heron_r2"), options)
    print(heron.report.to_text())

    # 2. Your own device: write its TOML file and load it by path (or put its folder on
    #    $QATTN_PROFILE_PATH and load it by name).
    profile_file = out / "my_line_12.toml"
    profile_file.write_text(MY_DEVICE)
    mine = load_profile(profile_file)
    line = compile_circuit(circuit, mine, options)
    print(f"\n{'profile':<12} {'2q gates':>8} {'depth':>6} {'duration':>12} {'success':>8}")
    for name, result in (("heron_r2", heron), (mine.name, line)):
        report = result.report
        duration = f"{report.duration_s * 1e6:.2f} us" if report.duration_s else "n/a"
        print(
            f"{name:<12} {report.two_qubit_gates:>8} {report.depth:>6} "
            f"{duration:>12} {report.success_probability:>8.4f}"
        )

    # 3. Save the artifact (ISA circuit + layout + report + profile identity) and load it
    #    back, as `qrun` does: what crosses from compiler to runtime is this one value.
    line.artifact.save(out / "qft-my_line_12")
    artifact = Artifact.load(out / "qft-my_line_12")
    assert artifact.profile == "my_line_12" and artifact.profile_digest == mine.digest()
    print(f"\nsaved {artifact.source} (equivalence: {line.report.equivalence['status']})")


if __name__ == "__main__":
    main()
