from __future__ import annotations

import math

import pytest
from qiskit_aer.noise import NoiseModel

from hardware_profiles import load_profile
from hardware_profiles.errors import JobError
from hardware_profiles.ibm_snapshot import snapshot_backend
from runtime.execution.active import restrict_circuit, restrict_target
from runtime.execution.noise import noise_model, scale_target
from tests.runtime._circuits import compiled


@pytest.fixture(scope="module")
def fez_full_model() -> NoiseModel:
    # The slow path the issue describes: all 156 qubits (about 4 s).
    return NoiseModel.from_backend(snapshot_backend("FakeFez"))


@pytest.mark.slow
def test_reduced_model_equals_from_backend_on_active_qubits(fez_full_model):
    qubits = restrict_circuit(compiled("heron_r2", True)).qubits
    reduced = noise_model(load_profile("heron_r2"), qubits)
    checked = 0
    for name in ("sx", "x", "cz"):
        for qargs, error in reduced._local_quantum_errors[name].items():
            physical = tuple(qubits[i] for i in qargs)
            assert error == fez_full_model._local_quantum_errors[name][physical], (name, qargs)
            checked += 1
    for (q,), readout in reduced._local_readout_errors.items():
        assert readout == fez_full_model._local_readout_errors[(qubits[q],)]
        checked += 1
    assert checked >= 3 + 3 + 2 + 3


@pytest.mark.parametrize("profile", ["ion_all_to_all", "grid_10x10", "ft_logical", "eagle_r3"])
def test_noise_model_builds_for_every_profile_kind(profile):
    model = noise_model(load_profile(profile), [0, 1, 2])
    assert model.noise_qubits and set(model.noise_qubits) <= {0, 1, 2}


def test_scale_multiplies_errors_and_divides_relaxation_times():
    target = restrict_target(load_profile("heron_r2").target(), [0, 1])
    scaled = scale_target(target, 0.1)
    assert math.isclose(scaled["sx"][(0,)].error, 0.1 * target["sx"][(0,)].error)
    assert math.isclose(scaled["measure"][(1,)].error, 0.1 * target["measure"][(1,)].error)
    assert math.isclose(scaled.qubit_properties[0].t1, 10 * target.qubit_properties[0].t1)
    assert scaled["sx"][(0,)].duration == target["sx"][(0,)].duration
    assert scale_target(target, 0.0).qubit_properties[0].t1 == math.inf
    with pytest.raises(JobError):
        scale_target(target, -1.0)
