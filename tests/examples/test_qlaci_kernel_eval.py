"""``examples/qlaci_kernel_eval.py`` and its page section, against independent references.

A real (tiny) training run in the training tables' layout is evaluated: the kept fraction of
Aer's post-selected shots must match the numpy reference's ``p = mean_j kappa_j``, and the
one-copy "sharpened" accuracy (numpy contexts) the exact circuit's. Shot subsets are checked
against the hypergeometric law; the rendered tables against numpy's mean and sample std.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))

import qlaci_kernel_eval as evaluation  # noqa: E402
from qlaci_kernel_section import MIN_NOISY_SAMPLES, render_section  # noqa: E402


def test_find_runs_reads_the_train_tables_layout(tmp_path: Path) -> None:
    for task, seed in (("needle-4", 0), ("needle-4", 2), ("needle-8", 1)):
        run = tmp_path / task / "qlaci-kernel" / f"seed{seed}"
        run.mkdir(parents=True)
        (run / "run.json").write_text("{}")
        (run / "checkpoint.pt").write_bytes(b"")
    (tmp_path / "needle-8" / "softmax-attn" / "seed0").mkdir(parents=True)
    unfinished = tmp_path / "needle-16" / "qlaci-kernel" / "seed0"
    unfinished.mkdir(parents=True)
    (unfinished / "run.json").write_text("{}")  # no checkpoint
    found = evaluation.find_runs(tmp_path, ["needle-4", "needle-8", "needle-16"], [0, 1, 2])
    assert [(t, s) for t, s, _ in found] == [("needle-4", 0), ("needle-4", 2), ("needle-8", 1)]
    assert found[1][2] == tmp_path / "needle-4" / "qlaci-kernel" / "seed2"


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.text("01", min_size=3, max_size=3), st.integers(1, 50), min_size=1),
    st.data(),
)
def test_subsample_counts_is_a_subset_of_the_shots(
    counts: dict[str, int], data: st.DataObject
) -> None:
    total = sum(counts.values())
    shots = data.draw(st.integers(0, total))
    drawn = evaluation.subsample_counts(counts, shots, np.random.default_rng(0))
    assert sum(drawn.values()) == shots
    assert all(0 < drawn[k] <= counts[k] for k in drawn)


def test_subsample_counts_follows_the_hypergeometric_law() -> None:
    counts = {"000": 700, "101": 250, "111": 50}
    rng = np.random.default_rng(1)
    draws = [evaluation.subsample_counts(counts, 100, rng).get("111", 0) for _ in range(4000)]
    # Hypergeometric: mean n K / N, variance n K/N (1 - K/N) (N - n) / (N - 1).
    mean, var = 100 * 0.05, 100 * 0.05 * 0.95 * 900 / 999
    assert abs(np.mean(draws) - mean) < 4 * math.sqrt(var / len(draws))
    assert abs(np.var(draws) / var - 1) < 0.1


def _record(rng: np.random.Generator, noisy_samples: int) -> dict:
    runs = []
    for n in (4, 16):
        for seed in range(3):
            sharp = {
                m: {"acc": rng.random(), "p": rng.random() / int(m), "needle_weight": rng.random()}
                for m in ("1", "4")
            }
            budget = {"acc": rng.random(), "kept_fraction": rng.random(), "empty": 0}
            ideal = {"samples": 200, "cpu_s_per_sample": 0.1, "budgets": {"1000": budget}}
            ideal |= {"two_qubit_gates": 88, "active_qubits": 10}
            noisy = {**ideal, "samples": noisy_samples, "cpu_s_per_sample": 60.0}
            noisy |= {"exact_on_subset": 0.5, "ideal_on_subset": {"1000": 0.5}}
            sharp_budget = {"acc": rng.random(), "kept_fraction": 0.1, "empty": 0}
            sharpened = {**ideal, "copies": 4, "budgets": {"1000": sharp_budget}}
            runs.append(
                {
                    "task": f"needle-{n}",
                    "n": n,
                    "seed": seed,
                    "epochs_done": 5,
                    "best_epoch": 2,
                    "stopped_early": True,
                    "best_epoch_acc": rng.random(),
                    "exact": sharp["1"]["acc"],
                    "test_samples": 200,
                    "sharpened": sharp,
                    "argmax": {"acc": rng.random(), "top1": 0.2},
                    "shots": {"ideal": ideal, "noisy": noisy}
                    | ({"ideal_sharpened": sharpened} if n == 4 else {}),
                }
            )
    return {
        "command": "cmd",
        "written": "now",
        "run_key": "k",
        "profile": {"name": "heron_r2", "digest": "ab" * 32, "calibration_date": "d"},
        "versions": {"qiskit": "2.6.2"},
        "settings": {"sharpen": [1, 4], "shots": [1000]},
        "runs": runs,
    }


def _cell(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def _row(page: str, start: str) -> list[str]:
    line = next(line for line in page.splitlines() if line.startswith(start))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_render_section_tabulates_mean_and_sample_std_and_says_what_matched() -> None:
    record = _record(np.random.default_rng(7), noisy_samples=MIN_NOISY_SAMPLES)
    runs = {n: [r for r in record["runs"] if r["n"] == n] for n in (4, 16)}
    kappa4 = {n: float(np.mean([r["sharpened"]["4"]["acc"] for r in runs[n]])) for n in runs}
    softmax = {"needle-4": kappa4[4] - 0.01, "needle-16": kappa4[16] + 0.5}
    page = render_section(record, softmax)
    row = _row(page, "| needle-4 | ")
    assert row[1] == _cell([r["best_epoch_acc"] for r in runs[4]])
    assert row[4] == _cell([r["sharpened"]["4"]["acc"] for r in runs[4]])
    assert row[5] == _cell([r["argmax"]["acc"] for r in runs[4]])
    shots = _row(page.split("**Finite shots**")[1], "| needle-16 | ")
    ideal = [r["shots"]["ideal"]["budgets"]["1000"] for r in runs[16]]
    kept = np.mean([b["kept_fraction"] for b in ideal])
    assert shots[4] == f"{_cell([b['acc'] for b in ideal])} ({kept:.3f})"
    assert shots[5] == str(MIN_NOISY_SAMPLES)
    matched = page.split("**Softmax attention matched or beaten")[1].split("\n")[0]
    missed = page.split("**Softmax attention not matched:**")[1].split("\n")[0]
    assert "needle-16" in missed and "needle-4" not in missed and "needle-16" not in matched
    # The cheapest copy count whose mean reaches softmax is named.
    means = {m: np.mean([r["sharpened"][m]["acc"] for r in runs[4]]) for m in ("1", "4")}
    first = next(m for m in ("1", "4") if means[m] >= softmax["needle-4"])
    assert f"needle-4: κ^{first} {means[first]:.3f} vs softmax {softmax['needle-4']:.3f}" in matched
    assert "lower bound" not in page
    sharp = _row(page.split("The sharpened circuit itself")[1], "| needle-4 | ")
    assert sharp[1] == "4" and sharp[4] == row[4]
    accs = [r["shots"]["ideal_sharpened"]["budgets"]["1000"]["acc"] for r in runs[4]]
    assert sharp[6] == f"{_cell(accs)} (0.100)"
    for n in (4, 16):
        at = np.mean([r["shots"]["ideal"]["budgets"]["1000"]["acc"] for r in runs[n]])
        assert f"needle-{n} ideal {at:.3f}, " in page
        if n == 4:  # the better of the one-copy and the sharpened circuit counts
            assert f"ideal κ^4 {np.mean(accs):.3f}, noisy" in page
            at = max(at, np.mean(accs))
        assert (f"matched (ideal) on needle-{n}" in page) == (at >= softmax[f"needle-{n}"])
    assert "lower bound" in render_section(record, softmax, frozenset({"needle-16"}))


def test_render_section_marks_a_noisy_cost_probe_as_not_run() -> None:
    page = render_section(_record(np.random.default_rng(3), noisy_samples=1))
    shots = _row(page.split("**Finite shots**")[1], "| needle-4 | ")
    # 60 CPU s per sample for 200 samples x 3 seeds.
    assert shots[5].startswith("not run: 60 CPU s per sample (measured on 3 samples), 10.0 CPU h")
    assert "Softmax attention" not in page


def test_train_tables_reads_the_json_beside_the_runs_and_compares_with_softmax(
    tmp_path: Path,
) -> None:
    import json

    import train_tables

    record = _record(np.random.default_rng(5), noisy_samples=1)
    second = tmp_path / "key2"
    second.mkdir()
    (second / "qlaci-kernel-eval.json").write_text(json.dumps(record))
    # softmax-attn's best validation epochs (2 and 1) scored 0.9 and 0.7: mean 0.8; both
    # runs reached the 2-epoch cap without stopping early.
    history = [{"metrics": {"retrieval_acc": a}} for a in (0.5, 0.9)]
    capped = {"epochs_done": 2, "config": {"epochs": 2}, "stopped_early": False}
    results = {
        ("needle-4", "softmax-attn"): [
            {"best_epoch": 2, "history": history, **capped},
            {
                "best_epoch": 1,
                "history": [history[0] | {"metrics": {"retrieval_acc": 0.7}}, history[1]],
                **capped,
            },
        ]
    }
    assert train_tables._kernel_eval(results, (str(tmp_path / "key1"),)) == []
    section = "\n".join(train_tables._kernel_eval(results, (str(tmp_path / "key1"), str(second))))
    assert section.startswith("### qlaci-kernel: sharpening and finite shots")
    assert _row(section, "| needle-4 | ")[-1] == "0.800"
    assert _row(section, "| needle-16 | ")[-1] == "–"
    assert "softmax-attn reached the epoch cap still improving on needle-4 " in section


@pytest.mark.slow
def test_evaluate_run_agrees_with_the_numpy_reference_and_aer(tmp_path: Path) -> None:
    import torch

    from qcompile.models.qlaci_kernel_reference import kernel_values
    from runtime.train.loop import TrainConfig, train

    config = TrainConfig(
        task="needle-4",
        model="qlaci-kernel",
        epochs=1,
        seed=0,
        train_size=40,
        test_size=12,
        val_fraction=0.2,
        patience=1,
    )
    run = tmp_path / "needle-4" / "qlaci-kernel" / "seed0"
    train(config, run, progress=False)
    settings_ = {"sharpen": [1, 3], "shots": [500, 40000], "profile": "heron_r2"}
    entry = evaluation.evaluate_run("needle-4", 0, str(run), settings_ | {"noisy_samples": {}})
    assert entry["exact"] == entry["recorded_last_epoch"]
    assert entry["sharpened"]["1"]["acc"] == entry["exact"]

    model, _, data, _ = evaluation._load(run)
    att = model.attention
    sizes = att.circuit_sizes
    with torch.no_grad():
        h = model.embed(data.x_test) + model.pos
        q = att.query_proj(h[:, -1]) * att.log_beta.exp()
        k = att.key_proj(h[:, :-1]) * att.log_beta.exp()
    kappa = np.array(
        [
            kernel_values(qi, ki, att.circuit_weights(), sizes.layers)
            for qi, ki in zip(q, k, strict=True)
        ]
    )
    assert entry["sharpened"]["3"]["p"] == pytest.approx(float((kappa**3).mean()), abs=1e-6)
    p = float(kappa.mean())
    shots = 40000 * len(kappa)
    kept = entry["shots"]["ideal"]["budgets"]["40000"]["kept_fraction"]
    assert abs(kept - p) < 5 * math.sqrt(p * (1 - p) / shots)
    assert entry["shots"]["ideal"]["samples"] == 12
