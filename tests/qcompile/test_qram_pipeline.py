"""The QRAM pipeline the CLIs use by default: valid options, fewer gates than plain Qiskit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hardware_profiles import load_profile
from hardware_profiles.errors import CompileError
from qcompile.cli import main
from qcompile.pipeline import CompileOptions, compile_circuit
from qcompile.qram import CONSTRUCTIONS, LeanBucketBrigadeQRAM, QRAMWords
from qcompile.qram.tree_layout import two_qubit_count
from qcompile.qram_pipeline import BEST_PIPELINES, best_qram_options


@pytest.mark.parametrize("kind", [k for k in CONSTRUCTIONS if k != "oracle"])
@pytest.mark.parametrize("lowered", [False, True])
def test_best_options_are_valid_for_every_kind(kind: str, lowered: bool) -> None:
    base = CompileOptions(seed=4, qram=kind if lowered else None)
    options = best_qram_options(kind, base, num_inputs=5, lowered=lowered)
    pipeline = None if lowered else BEST_PIPELINES.get(kind)
    assert options.optimization_level == 3 and options.seed == 4
    known_zero = pipeline is not None and pipeline.known_zero_work > 0
    assert options.known_zero_inputs == (5 if known_zero else None)
    if lowered:
        assert options.tree_candidates == 0  # only placements of the lowered circuit
    if pipeline is not None and (pipeline.tree or pipeline.stage):
        assert options.layouts != "default"
        assert options.layouts == ("both" if pipeline.default else "tree")


def test_tree_candidates_with_lowering_are_refused() -> None:
    with pytest.raises(CompileError, match="tree_candidates"):
        CompileOptions(qram="bb-lean", layouts="tree", tree_candidates=2)
    CompileOptions(qram="bb-lean", layouts="tree", tree_candidates=0)  # the stage alone: fine


@pytest.mark.slow
def test_qram_command_uses_the_best_pipeline_and_checks_the_lookup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["qram", "--kind", "bb-lean", "-n", "4", "--profile", "heron_r2", "--json"]
    assert main(argv) == 0
    best = json.loads(capsys.readouterr().out)["compiled"]
    assert main([*argv, "--pipeline", "qiskit", "-O", "3"]) == 0
    plain = json.loads(capsys.readouterr().out)["compiled"]
    assert best["options"]["known_zero_inputs"] == 5 and best["options"]["tree_stage"]
    assert plain["options"]["layouts"] == "default"
    assert best["two_qubit_gates"] < plain["two_qubit_gates"]
    for report in (best, plain):
        assert report["lookup_check"]["status"] == "exact"


def test_qram_help_says_what_profile_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    with pytest.raises(SystemExit):
        main(["qram", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "only the analytic and built figures" in text
    assert "--pipeline" in text
    # And the behaviour agrees: no --profile, nothing compiled.
    assert main(["qram", "--kind", "bb-lean", "-n", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["compiled"] is None


@pytest.mark.slow
def test_best_pipeline_beats_o3_on_the_lean_brigade() -> None:
    heron = load_profile("heron_r2")
    rng = np.random.default_rng(3)
    words = QRAMWords.bits([int(x) for x in rng.integers(0, 2, 16)], b=1)
    circuit = LeanBucketBrigadeQRAM(words).build()
    o3 = min(
        two_qubit_count(
            compile_circuit(
                circuit,
                heron,
                CompileOptions(optimization_level=3, seed=s, equivalence_max_qubits=0),
            ).circuit
        )
        for s in range(2)
    )
    options = best_qram_options("bb-lean", CompileOptions(), num_inputs=5)
    assert two_qubit_count(compile_circuit(circuit, heron, options).circuit) < o3
