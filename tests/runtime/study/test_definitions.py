import pytest

from runtime.study.definitions import STUDIES, execute_task, get_study


@pytest.mark.slow
def test_qlaci_context_error_is_zero_without_noise_and_grows_with_it() -> None:
    # The compiled circuit on Aer vs the independent numpy reference of the model.
    spec = get_study("qlaci-context")
    clean, noisy = spec.tasks({"size": [4], "profile": ["grid_10x10"], "noise_scale": [0, 1]})
    a, b = execute_task(clean), execute_task(noisy)
    assert a["method"] == b["method"] == "density_matrix"
    assert a["error_l2"] < 1e-9
    assert b["error_l2"] > 1e-4
    assert a["ideal_norm"] == b["ideal_norm"] > 0


def test_qram_fidelity_row_has_every_column() -> None:
    spec = STUDIES["qram-fidelity"]
    (task,) = spec.tasks(
        {"kind": ["multiplexer"], "size": [8], "profile": ["grid_10x10"], "noise_scale": [1]}
    )
    row = execute_task(task)
    assert set(row) == set(spec.columns)
    assert row["fidelity"] == pytest.approx(1 - row["infidelity"])
    assert 0 < row["infidelity"] < 1
