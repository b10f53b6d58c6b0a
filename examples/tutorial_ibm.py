"""Tutorial (b): run on IBM Quantum, in local testing mode first, then with an account.

    .venv/bin/python examples/tutorial_ibm.py --small                  # offline (what CI runs)
    .venv/bin/python examples/tutorial_ibm.py --ibm ibm_fez            # IBM Quantum (account)
    .venv/bin/python examples/tutorial_ibm.py --ibm ibm_fez --retrieve JOB_ID   # later on

Local testing mode runs qiskit-ibm-runtime's own primitives on a fake backend (FakeFez, the
calibration snapshot behind the ``heron_r2`` profile) with its noise, offline. With
``--ibm`` the same code submits to a real backend; the account comes from
``QiskitRuntimeService.save_account`` or ``$QISKIT_IBM_TOKEN``/``$QISKIT_IBM_INSTANCE``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qiskit import QuantumCircuit

from hardware_profiles import load_profile
from qcompile import compile_circuit
from runtime import IBMExecutor, JobStore, SampleResult, SamplerPub, run_request


def ghz(num_qubits: int) -> QuantumCircuit:
    """A GHZ state: ideally half 0...0, half 1...1."""
    circuit = QuantumCircuit(num_qubits, name=f"ghz{num_qubits}")
    circuit.h(0)
    for qubit in range(num_qubits - 1):
        circuit.cx(qubit, qubit + 1)
    return circuit


def run(executor: IBMExecutor, pubs: list[SamplerPub], store: Path, shots: int) -> None:
    """The same code for local testing mode and for IBM Quantum."""
    profile = load_profile("heron_r2")
    with JobStore(store) as jobs:
        # Keyed by content: running this again returns the stored result; a run killed while
        # the job was queued resumes from the stored job id (`qrun result KEY`).
        key, result = run_request(jobs, executor, "sample", pubs, shots=shots, profile=profile)
        job_id = jobs.find(key).job_id
    assert isinstance(result, SampleResult)
    counts = result.counts[0][0]
    width = len(next(iter(counts)))
    good = counts.get("0" * width, 0) + counts.get("1" * width, 0)
    print(f"{executor.name}: key {key[:12]}, job id {job_id}")
    print(f"  P(0...0) + P(1...1) = {good / shots:.3f} over {shots} shots (ideal: 1)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="3 qubits, 256 shots")
    parser.add_argument("--ibm", metavar="BACKEND", help="an IBM backend, e.g. ibm_fez")
    parser.add_argument("--retrieve", metavar="JOB_ID", help="fetch an earlier job's result")
    parser.add_argument("--out", default="out/tutorial-ibm", help="job store directory")
    args = parser.parse_args(argv)
    store = Path(args.out) / "jobs.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)

    if args.retrieve:
        # A job submitted earlier, from any process or machine: ask the service for it.
        handle = IBMExecutor(args.ibm or "ibm_fez").retrieve(args.retrieve)
        result = handle.result()
        assert isinstance(result, SampleResult)
        print(handle.status(), result.counts[0][0])
        return

    # Compile once for the device's profile; the ISA circuit is never re-transpiled.
    compiled = compile_circuit(ghz(3 if args.small else 5), load_profile("heron_r2"))
    shots = 256 if args.small else 4096
    pubs = [SamplerPub(*pub) for pub in compiled.artifact.sampler_pubs([])]

    if args.ibm is None:
        # Local testing mode: qiskit-ibm-runtime's primitives on FakeFez, offline.
        run(IBMExecutor.local("FakeFez", seed=7), pubs, store, shots)
    else:
        # The same call on IBM Quantum, here inside a batch (or mode="job" / "session").
        executor = IBMExecutor(args.ibm, mode="batch")
        try:
            run(executor, pubs, store, shots)
        finally:
            executor.close()


if __name__ == "__main__":
    main()
