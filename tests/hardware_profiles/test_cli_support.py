"""The command-line plumbing every qattn CLI shares: lists, defaults, --version, failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware_profiles.cli_support import OneLineParser, comma_list, parse_sizes, run_command
from hardware_profiles.errors import ProfileError, ResourceError, one_line


def test_a_range_is_the_powers_of_two_inside_it() -> None:
    assert parse_sizes(["16..1024"], option="--seq-len") == [16, 32, 64, 128, 256, 512, 1024]
    assert parse_sizes(["5..40"], option="--sizes") == [8, 16, 32]
    assert parse_sizes(["4", "3", "16..32"], option="--sizes") == [4, 3, 16, 32]


def test_powers_of_two_only_rejects_a_single_other_number() -> None:
    assert parse_sizes(["64"], option="--seq-len", powers_of_two_only=True) == [64]
    with pytest.raises(ResourceError, match="'6' for --seq-len: holds no power of two"):
        parse_sizes(["6"], option="--seq-len", powers_of_two_only=True)
    with pytest.raises(ResourceError, match="no power of two"):
        parse_sizes(["5..7"], option="--sizes")


@pytest.mark.parametrize(
    ("token", "match"),
    [
        ("16..x", "bad size '16..x' for --seq-len: expected N or LO..HI"),
        ("", "expected N or LO..HI"),
        ("1", r"need 2 <= N <= 2\^30"),
        ("32..16", r"need 2 <= LO <= HI <= 2\^30"),
        ("16..2147483648", r"need 2 <= LO <= HI <= 2\^30"),
    ],
)
def test_bad_tokens_name_the_option_and_the_rule(token: str, match: str) -> None:
    with pytest.raises(ResourceError, match=match):
        parse_sizes([token], option="--seq-len", minimum=2, maximum=2**30)


def test_bounds_are_inclusive() -> None:
    assert parse_sizes(["2..2"], option="-n", minimum=2, maximum=2) == [2]
    assert parse_sizes(["1073741824"], option="-n", maximum=2**30) == [2**30]


def test_user_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def fail() -> int:
        raise ProfileError("no such\n   profile   'x'")

    assert run_command("prog", fail) == 2
    assert capsys.readouterr().err == "prog: error: no such profile 'x'\n"


def test_internal_errors_are_redacted_before_they_are_shortened(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "s3cr3t-token"

    def fail() -> int:
        raise RuntimeError("x" * 290 + " " + secret)  # shortening first would leak "s3cr3t-t"

    code = run_command("prog", fail, redact=lambda text: text.replace(secret, "***"))
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "s3cr" not in err and "internal error: RuntimeError" in err


def test_one_line_names_an_empty_error_and_may_keep_everything() -> None:
    assert one_line(KeyError()) == "KeyError"
    assert one_line("a\n b", limit=None) == "a b"
    assert one_line("abcdef", limit=4) == "abc…"
    assert len(one_line("y" * 1000, limit=None)) == 1000


def test_the_plumbing_loads_without_qiskit() -> None:
    # Every command line imports these first; `qrun --help` must not wait for Qiskit.
    code = (
        "import sys, hardware_profiles.cli_support, hardware_profiles.errors; "
        "from hardware_profiles import DEFAULT_PROFILE; "
        "heavy = {m.split('.')[0] for m in sys.modules} & {'qiskit', 'numpy'}; "
        "print(DEFAULT_PROFILE, sorted(heavy))"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=root,
    )
    assert done.stdout.split() == ["heron_r2", "[]"]


def test_sizes_are_comma_separated_too() -> None:
    assert parse_sizes(["4,16..32"], option="--sizes") == [4, 16, 32]
    assert parse_sizes(["4,16..32", "8"], option="--sizes") == [4, 16, 32, 8]
    with pytest.raises(ResourceError, match="bad size ''"):
        parse_sizes(["4,"], option="--sizes")


def _list_parser(item: object = str) -> OneLineParser:
    parser = OneLineParser(prog="prog")
    parser.add_argument("name", nargs="?")
    parser.add_argument("--profiles", nargs="+", action=comma_list(item))  # type: ignore[arg-type]
    return parser


_NAME = st.text(alphabet="abcxyz_019.-", min_size=1, max_size=8).filter(
    lambda text: not text.startswith("-")
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_NAME, min_size=1, max_size=5))
def test_a_comma_list_reads_back_its_items(items: list[str]) -> None:
    args = _list_parser().parse_args(["study", "--profiles", ",".join(items)])
    assert args.profiles == items and args.name == "study"


def test_space_separated_words_are_refused_with_the_comma_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        _list_parser().parse_args(["--profiles", "heron_r2", "eagle_r3", "study"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--profiles takes one comma-separated list: --profiles heron_r2,eagle_r3,study" in err


@pytest.mark.parametrize(
    ("word", "message"),
    [("0.1,x", "'x' is not a valid float"), ("0.1,,1", "empty item"), (",", "empty item")],
)
def test_bad_list_items_are_one_line_usage_errors(
    word: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _list_parser(float).parse_args(["--profiles", word])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_help_adds_defaults_and_shows_a_list_as_one_word() -> None:
    parser = _list_parser()
    parser.add_argument("--shots", type=int, default=1024, help="shots")
    parser.add_argument("--level", type=int, default=2, help="level (default: two)")
    text = " ".join(parser.format_help().split())
    assert "shots (default: 1024)" in text
    assert "level (default: two)" in text and "(default: two) (default" not in text
    assert "[--profiles PROFILES]" in text


@pytest.mark.parametrize("prog", ["qcompile", "qrun"])
def test_version_on_both_command_lines(prog: str, capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    from qcompile.cli import main as qcompile_main
    from runtime.cli import main as qrun_main

    with pytest.raises(SystemExit) as exited:
        (qcompile_main if prog == "qcompile" else qrun_main)(["--version"])
    assert exited.value.code == 0
    first, libraries = capsys.readouterr().out.splitlines()
    assert first.startswith(f"{prog} (qattn ") and first.endswith(")")
    for package in ("qiskit", "qiskit-aer", "qiskit-ibm-runtime"):
        assert f"{package} {metadata.version(package)}" in libraries
