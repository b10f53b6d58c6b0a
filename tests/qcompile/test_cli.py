"""Drive ``qcompile`` through ``main([...])`` and one real subprocess; read what it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from qiskit import qasm2, qasm3

from qcompile.artifact import load_artifact_circuit
from qcompile.cli import main
from qcompile.models.catalog import MODEL_NAMES
from qcompile.qram import CONSTRUCTIONS
from tests.conftest import ghz


def write_qasm(tmp_path: Path, circuit: object, name: str, version: int = 2) -> Path:
    path = tmp_path / name
    dumps = qasm2.dumps if version == 2 else qasm3.dumps
    path.write_text(dumps(circuit))  # type: ignore[arg-type]
    return path


@pytest.mark.slow
def test_compile_writes_artifact_with_versions_and_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_qasm(tmp_path, ghz(4), "ghz4.qasm")
    out = tmp_path / "out"
    code = main(["compile", str(src), "--profile", "eagle_r3", "--out", str(out), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["profile"] == "eagle_r3"
    assert report["versions"]["qiskit"]
    assert report["provenance"]["calibration_date"].startswith("2025-")
    assert report["equivalence"]["status"] == "equivalent"
    assert report["two_qubit_gates"] >= 3
    files = sorted(p.name for p in out.iterdir())
    assert files == ["ghz4.qasm3", "ghz4.qpy", "ghz4.report.json", "ghz4.report.md"]
    circuit = load_artifact_circuit(out / "ghz4.qpy")
    assert circuit.metadata["qattn"]["profile"] == "eagle_r3"
    from hardware_profiles import load_profile  # the digest of the profile's content

    assert circuit.metadata["qattn"]["profile_digest"] == load_profile("eagle_r3").digest()
    assert circuit.metadata["qattn"]["versions"]["qiskit"] == report["versions"]["qiskit"]
    assert circuit.layout is not None
    assert circuit.count_ops()["ecr"] == report["gate_counts"]["ecr"]
    assert "qiskit" in (out / "ghz4.qasm3").read_text().splitlines()[1]
    qasm3.loads((out / "ghz4.qasm3").read_text())
    assert "| Two-qubit gates |" in (out / "ghz4.report.md").read_text()


@pytest.mark.slow
def test_compile_options_reach_the_transpiler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_qasm(tmp_path, ghz(4), "ghz4.qasm3", version=3)
    args = ["compile", str(src), "--out", str(tmp_path / "o"), "--json", "-O", "1", "--seed", "9"]
    assert main([*args, "--layout-method", "trivial", "--routing-method", "basic"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["options"]["optimization_level"] == 1
    assert report["options"]["layout_method"] == "trivial"
    assert report["initial_layout"] == [0, 1, 2, 3]


def test_profiles_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles"]) == 0
    listing = capsys.readouterr().out
    for name in (
        "heron_r2",
        "heron_r1",
        "eagle_r3",
        "ion_all_to_all",
        "grid_10x10",
        "heavy_hex_1k",
    ):
        assert name in listing
    assert main(["profiles", "show", "heron_r2"]) == 0
    shown = capsys.readouterr().out
    assert "156" in shown and "cz" in shown and "2025-02-26" in shown and "excluded" in shown


def test_demo_prints_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "lookup16 on heron_r2" in text and "two-qubit gates" in text
    assert (tmp_path / "lookup16.qpy").exists()


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["compile", "{missing}"], "cannot read"),
        (["compile", "{malformed}"], "malformed qasm2"),
        (["compile", "{wide}", "--profile", "ion_all_to_all"], "needs 40 qubits"),
        (["compile", "{ghz}", "--profile", "atlantis"], "unknown profile 'atlantis'"),
        (["compile", "{opaque}"], "cannot compile"),
        (["compile", "{ghz}", "--layout-method", "tree"], "unknown layout method"),
        (["profiles", "show", "atlantis"], "unknown profile"),
        (["compile"], "the following arguments are required"),
        (["compile", "{ghz}", "-O", "7"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], match: str
) -> None:
    paths = {
        "missing": tmp_path / "missing.qasm",
        "malformed": tmp_path / "bad.qasm",
        "wide": write_qasm(tmp_path, ghz(40), "wide.qasm"),
        "ghz": write_qasm(tmp_path, ghz(3), "ghz3.qasm"),
        "opaque": tmp_path / "opaque.qasm",
    }
    paths["malformed"].write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0];\n')
    paths["opaque"].write_text("OPENQASM 2.0;\nqreg q[2];\nopaque magic a, b;\nmagic q[0], q[1];\n")
    argv = [a.format(**{k: str(v) for k, v in paths.items()}) for a in argv]
    argv += ["--out", str(tmp_path / "o")] if argv[0] == "compile" and len(argv) > 1 else []
    with pytest.raises(SystemExit) if argv == ["compile"] or "-O" in argv else _nothing():
        code = main(argv)
        assert code == 2
    err = capsys.readouterr().err
    assert match in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.slow
def test_real_process_bad_input_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.qasm"
    bad.write_text("OPENQASM 2.0;\nqreg q[1];\nnotagate q[0];\n")
    proc = subprocess.run(
        [sys.executable, "-m", "qcompile", "compile", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("qcompile: error:")
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_qram_command_prints_analytic_built_and_compiled(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["qram", "--kind", "bucket-brigade", "-n", "4", "-b", "1", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["entries"] == 16
    # PennyLane BBQRAM reference counts: n + b + 1 + 3(N - 1) qubits, 2[(N-1)b + (N-1-n)]
    # CSWAPs of each control polarity.
    assert report["analytic"]["qubits"] == report["built"]["qubits"] == 4 + 1 + 1 + 3 * 15
    assert report["built"]["cswap"] == 2 * 2 * (15 * 1 + (15 - 4))
    assert report["compiled"] is None
    argv = ["qram", "--kind", "multiplexer", "-n", "4", "--mode", "ry", "--profile", "heron_r2"]
    assert main([*argv, "--json"]) == 0
    compiled = json.loads(capsys.readouterr().out)["compiled"]
    assert compiled["profile"] == "heron_r2"
    assert compiled["two_qubit_gates"] <= 30
    assert compiled["equivalence"]["status"] == "equivalent"


def test_qram_command_goes_analytic_far_past_devices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qram", "--kind", "qrom", "-n", "20", "-b", "4"]) == 0
    text = capsys.readouterr().out
    assert "N = 1048576" in text


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["qram", "--kind", "magic", "-n", "3"], "magic"),
        (["qram", "--kind", "qrom", "-n", "0"], "address"),
        (["qram", "--kind", "qrom", "-n", "20", "--profile", "heron_r2"], "build limit"),
        (["qram", "--kind", "oracle", "-n", "3", "--profile", "heron_r2"], "cannot compile"),
        (["compile", "x.qasm", "--qram", "oracle"], "resource reports only"),
    ],
)
def test_qram_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], match: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("model", MODEL_NAMES)
def test_build_writes_model_artifact_with_layout_mapped_observables(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["build", model, "--seq-len", "4", "--out", str(tmp_path), "--json"]
    argv += ["--width", "2"] if model in ("qlaci", "qlam") else []
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"]["registers"] == report["registers"]
    assert report["model"]["inputs"] >= report["parameters"].get("inputs", 0)
    stem = report["circuit_name"]
    document = json.loads((tmp_path / f"{stem}.observables.json").read_text())
    assert len(document["logical"]) == len(document["isa"]) == report["model"]["observables"]
    final = report["final_layout"]
    for logical, isa in zip(document["logical"], document["isa"], strict=True):
        for (label, qubits, coeff), (isa_label, isa_qubits, isa_coeff) in zip(
            logical, isa, strict=True
        ):
            assert coeff == isa_coeff
            mapped = {final[q]: p for q, p in zip(qubits, label, strict=True)}
            assert mapped == dict(zip(isa_qubits, isa_label, strict=True))
    assert document["profile"] == "heron_r2" and document["versions"]["qiskit"]


def test_help_lists_every_registered_qram_kind_and_model(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping inside "bucket-brigade"
    for command in ("compile", "qram", "build"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert all(kind in text for kind in CONSTRUCTIONS if kind != "oracle"), command
    assert all(model in text for model in MODEL_NAMES)  # build's model choices


def test_version_help_and_command_help_load_no_qiskit() -> None:
    # `qcompile --help` must answer at once: parsing imports nothing heavy.
    code = (
        "import sys\n"
        "from qcompile.cli import main\n"
        "for argv in (['--version'], ['--help'], ['compile', '--help'], ['build', '--help'],\n"
        "             ['qram', '--help'], ['estimate', '--help'], ['demo', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, (argv, exc.code)\n"
        "heavy = {m.split('.')[0] for m in sys.modules} & {'qiskit', 'numpy', 'qiskit_aer'}\n"
        "print('HEAVY', sorted(heavy), file=sys.stderr)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "HEAVY []"


def test_version_prints_the_installed_versions(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("qcompile (qattn ")
    for package in ("qiskit", "qiskit-aer", "qiskit-ibm-runtime"):
        assert f"{package} {metadata.version(package)}" in out


def test_help_names_the_default_of_every_option() -> None:
    import argparse

    from hardware_profiles.cli_support import DefaultsHelpFormatter
    from qcompile.cli import _build_parser

    parser = _build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, sub in commands.choices.items():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        parsers = [sub, *(p for a in nested for p in a.choices.values())]
        for each in parsers:
            formatter = DefaultsHelpFormatter(each.prog)
            for action in each._actions:
                if not action.option_strings or action.nargs == 0 or action.required:
                    continue  # positionals, flags and required options have no default
                if "default" not in (formatter._get_help_string(action) or "").lower():
                    missing.append(f"{name} {action.option_strings[0]}")
    assert not missing


def test_optimization_level_help_shows_its_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    with pytest.raises(SystemExit):
        main(["compile", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    after = text.split("--optimization-level {0,1,2,3} ", 1)[1]
    assert after.startswith("Qiskit preset optimization level (default: ")
