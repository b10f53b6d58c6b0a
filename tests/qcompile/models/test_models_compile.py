"""Every model compiles to valid, equivalent ISA on every profile at small sizes."""

from __future__ import annotations

import numpy as np
import pytest

from hardware_profiles import list_profiles, load_profile
from hardware_profiles.errors import CompileError
from qcompile.isa import isa_violations
from qcompile.models.catalog import MODEL_NAMES, ModelSpec, build_model
from qcompile.pipeline import CompileOptions, compile_circuit

SMALL = {
    "qlaci": ModelSpec("qlaci", 4, width=1),
    "qlaci-kernel": ModelSpec("qlaci-kernel", 4, width=1),
    "qlaci_prototype": ModelSpec("qlaci_prototype", 4),
    "qlam": ModelSpec("qlam", 2, width=4),
    "qasa": ModelSpec("qasa", 1, layers=2),
    "qama": ModelSpec("qama", 3, heads=2),
}


def test_every_model_name_has_a_small_spec() -> None:
    assert set(SMALL) == set(MODEL_NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("profile_name", [p.name for p in list_profiles()])
def test_every_model_compiles_to_equivalent_isa(profile_name: str) -> None:
    profile = load_profile(profile_name)
    for name, spec in SMALL.items():
        model = build_model(spec)
        circuit = model.circuit
        if profile.kind == "fault_tolerant":
            # Clifford+T synthesis needs numeric angles: bind random ones.
            rng = np.random.default_rng(0)
            circuit = model.bind(
                rng.uniform(-1, 1, len(model.inputs)), rng.uniform(-1, 1, len(model.weights))
            )
            circuit.name = model.circuit.name
        options = CompileOptions(optimization_level=1, qram="multiplexer")
        result = compile_circuit(circuit, profile, options)
        report = result.report
        assert not isa_violations(result.circuit, profile.target())
        assert report.equivalence["status"] in ("equivalent", "skipped"), (name, report.equivalence)
        if report.active_qubits <= 12:
            assert report.equivalence["status"] == "equivalent", name
        assert report.registers == {r: reg.size for r, reg in model.registers.items()}
        if profile.kind != "fault_tolerant":
            used = {p for p in model.circuit.parameters}
            assert report.parameters.get("inputs", 0) == len(used & set(model.inputs))
            assert report.parameters.get("weights", 0) == len(used & set(model.weights))


def test_free_parameters_on_a_clifford_t_profile_are_a_clear_error() -> None:
    model = build_model(SMALL["qlam"])
    with pytest.raises(CompileError, match="bind them first"):
        compile_circuit(model.circuit, load_profile("ft_logical"))


def test_qlam_depth_grows_linearly_in_tokens() -> None:
    profile = load_profile("heron_r2")
    two_qubit = []
    for tokens in (2, 4, 8):
        model = build_model(ModelSpec("qlam", tokens, width=4))
        report = compile_circuit(
            model.circuit, profile, CompileOptions(equivalence_max_qubits=0)
        ).report
        two_qubit.append(report.two_qubit_depth)
    # Linear: doubling T (nearly) doubles the entangling depth; never super-linear.
    assert two_qubit[0] < two_qubit[1] < two_qubit[2]
    assert two_qubit[2] - two_qubit[1] <= 2.2 * (two_qubit[1] - two_qubit[0])
