"""Runs fuzz cases in-process, each in a forked worker that a hang or a crash cannot take down.

A worker is forked from the process that imported qattn and built the fixtures, so every case
runs warm: it calls ``qcompile.cli.main(argv)`` or ``runtime.cli.main(argv)`` directly, with
``sys.stdout``/``sys.stderr`` redirected and file descriptors 1 and 2 pointed at files (native
libraries, such as the OpenQASM 3 parser, print there). A case gets a time limit
(``setitimer``, raising in Python code) and the worker an address-space limit; the parent waits
on a pipe, kills a worker that runs past the limit (native code that never returns to Python),
records the case as a hang, and forks a fresh worker for the rest. A worker that dies (out of
memory, a native abort) records its case the same way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import io
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.fuzz.case import Case, Outcome

__all__ = ["PROGRAMS", "run_cases"]

Program = Callable[[list[str]], int]

PROGRAMS: dict[str, Program] = {}
"""Extra programs by name (``"test:..."``), for the harness's own tests."""

_MEMORY_HEADROOM = 3 << 30
"""Address space a worker may add to what it has mapped when it starts (3 GiB)."""


class _TimeLimit(BaseException):
    """Raised in a case that runs past its time limit (not an ``Exception``: nothing catches it)."""


def _program(name: str) -> Program:
    if name in PROGRAMS:
        return PROGRAMS[name]
    if name == "qcompile":
        from qcompile.cli import main as qcompile_main

        return lambda argv: qcompile_main(argv)
    from runtime.cli import main as qrun_main

    return lambda argv: qrun_main(argv)


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _on_alarm(signum: int, frame: object) -> None:
    raise _TimeLimit


def _prepare(case: Case, case_dir: Path, fixtures: Path) -> list[str]:
    case_dir.mkdir(parents=True)
    for source, target in case.copies:
        destination = case_dir / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fixtures / source, destination)
    for relative, data in case.files:
        destination = case_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    return [_substitute(arg, case_dir, fixtures) for arg in case.argv]


def _substitute(word: str, case_dir: Path, fixtures: Path) -> str:
    return word.replace("{case}", str(case_dir)).replace("{fixtures}", str(fixtures))


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # what the interpreter does with SystemExit("text")
    return 1


def _call(
    program: str, argv: list[str], case_dir: Path, capture: Path, time_limit: float
) -> Outcome:
    """One ``main(argv)`` call with its output captured at the Python and the file level."""
    main = _program(program)
    out_path, err_path = capture / "stdout", capture / "stderr"
    saved = os.dup(1), os.dup(2)
    python_out, python_err = io.StringIO(), io.StringIO()
    code: int | None = None
    hang, escaped = False, ""
    start = time.perf_counter()
    with open(out_path, "wb") as out_file, open(err_path, "wb") as err_file:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out_file.fileno(), 1)
        os.dup2(err_file.fileno(), 2)
        os.chdir(case_dir)
        try:
            with contextlib.redirect_stdout(python_out), contextlib.redirect_stderr(python_err):
                signal.setitimer(signal.ITIMER_REAL, time_limit)
                try:
                    code = main(argv)
                except SystemExit as exc:
                    code = _exit_code(exc.code)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except _TimeLimit:
            hang = True
        except MemoryError:
            hang, escaped = True, "MemoryError"
        except BaseException:
            escaped = traceback.format_exc()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for stream in (sys.__stdout__, sys.__stderr__):
                if stream is not None:
                    with contextlib.suppress(Exception):
                        stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            os.chdir(capture)
    seconds = time.perf_counter() - start
    stdout = python_out.getvalue() + out_path.read_bytes().decode("utf-8", "replace")
    stderr = python_err.getvalue() + err_path.read_bytes().decode("utf-8", "replace")
    if escaped:
        stderr += escaped
    if code not in (0, 2) and "MemoryError" in stderr:
        hang = True  # out of memory, caught by qattn as an internal error
    return Outcome(code, stdout, stderr, seconds, hang, escaped)


def _run_one(
    case: Case, case_dir: Path, fixtures: Path, capture: Path, time_limit: float
) -> Outcome:
    """Runs the case's command, then each ``then`` command while they all exit 0.

    The outcome is the last command's that ran (a failing step is what the case reports); its
    stdout holds every step's, and its time is the sum.
    """
    argv = _prepare(case, case_dir, fixtures)
    outcome = _call(case.program, argv, case_dir, capture, time_limit)
    stdout, seconds = outcome.stdout, outcome.seconds
    for program, words in case.then:
        if outcome.exit_code != 0 or outcome.hang or outcome.escaped:
            break
        step = [_substitute(word, case_dir, fixtures) for word in words]
        outcome = _call(program, step, case_dir, capture, time_limit)
        stdout, seconds = stdout + outcome.stdout, seconds + outcome.seconds
    shutil.rmtree(case_dir, ignore_errors=True)
    return dataclasses.replace(outcome, stdout=stdout, seconds=seconds)


def _worker(
    cases: Sequence[Case],
    start: int,
    write_fd: int,
    root: Path,
    fixtures: Path,
    time_limit: float,
) -> None:
    try:
        os.setpgid(0, 0)  # the parent kills the worker's whole group (Dask workers included)
        os.environ["QATTN_JOBSTORE"] = str(root / "jobs.sqlite")
        os.environ["QISKIT_IN_PARALLEL"] = "TRUE"
        faulthandler.disable()  # a native abort is counted here, not dumped on pytest's stderr
        os.environ.pop("QATTN_DEBUG", None)
        limit = _vm_size() + _MEMORY_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        signal.signal(signal.SIGALRM, _on_alarm)
        capture = root / "capture"
        capture.mkdir(exist_ok=True)
        for index in range(start, len(cases)):
            os.write(write_fd, f"S {index}\n".encode())
            outcome = _run_one(cases[index], root / f"case-{index}", fixtures, capture, time_limit)
            payload = json.dumps(
                {
                    "exit_code": outcome.exit_code,
                    "stdout": outcome.stdout[-4000:],
                    "stderr": outcome.stderr[-8000:],
                    "seconds": outcome.seconds,
                    "hang": outcome.hang,
                    "escaped": outcome.escaped[-8000:],
                }
            )
            data = f"D {index} {payload}\n".encode()
            while data:
                data = data[os.write(write_fd, data) :]
            if (
                outcome.hang
            ):  # stopped mid-way (an import half done): the next case gets a fresh worker
                return
        os.write(write_fd, b"E\n")
    finally:
        os._exit(0)


def _died(pid: int, index: int, root: Path, hang: str) -> Outcome:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    stderr = ""
    with contextlib.suppress(OSError):
        stderr = (root / "capture" / "stderr").read_bytes().decode("utf-8", "replace")[-8000:]
    why = hang if hang else f"worker died ({_status_text(status)})"
    shutil.rmtree(root / f"case-{index}", ignore_errors=True)
    return Outcome(None, "", stderr, 0.0, True, "", {"why": why})


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit {os.WEXITSTATUS(status)}"


def run_cases(
    cases: Sequence[Case],
    fixtures: Path,
    work: Path,
    *,
    time_limit: float = 15.0,
    progress: Callable[[int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Runs every case; returns their outcomes in order.

    Args:
        cases: the cases.
        fixtures: the directory ``{fixtures}`` names in the cases' arguments.
        work: an empty directory for the cases' own directories and the job store.
        time_limit: seconds per case before it counts as a hang. Defaults to 15.
        progress: called after each case with its index and outcome.
    """
    outcomes: list[Outcome | None] = [None] * len(cases)
    next_index = 0
    while next_index < len(cases):
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_fd)
            _worker(cases, next_index, write_fd, work, fixtures, time_limit)
        os.close(write_fd)
        with contextlib.suppress(OSError):  # also in the worker: whichever runs first
            os.setpgid(pid, pid)
        buffer = b""
        current: int | None = None
        start = next_index
        last_done = start - 1
        deadline = float("inf")
        finished = False
        while not finished:
            wait = max(0.0, deadline - time.monotonic()) if current is not None else None
            ready, _, _ = select.select([read_fd], [], [], wait)
            if not ready:  # ran past the limit in native code: kill the worker
                assert current is not None
                outcomes[current] = _died(pid, current, work, f"over {time_limit:g} s")
                next_index = current + 1
                break
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:  # the worker ended, or died
                if current is None:
                    os.waitpid(pid, 0)
                    next_index = last_done + 1
                    if next_index == start:  # it never got to a case: skip one, never loop
                        why = {"why": "worker ended before its first case"}
                        outcomes[start] = Outcome(None, hang=True, extra=why)
                        next_index = start + 1
                else:
                    outcomes[current] = _died(pid, current, work, "")
                    next_index = current + 1
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                kind, _, rest = line.decode().partition(" ")
                if kind == "S":
                    current = int(rest)
                    deadline = time.monotonic() + time_limit + 5.0
                elif kind == "D":
                    index_text, _, payload = rest.partition(" ")
                    index = int(index_text)
                    outcome = Outcome(**json.loads(payload))
                    outcomes[index] = outcome
                    current, last_done = None, index
                    if progress is not None:
                        progress(index, outcome)
                elif kind == "E":
                    os.waitpid(pid, 0)
                    next_index = len(cases)
                    finished = True
                    break
        os.close(read_fd)
        if not finished and current is not None and progress is not None:
            died = outcomes[current]
            assert died is not None
            progress(current, died)
    return [o if o is not None else Outcome(None, hang=True) for o in outcomes]
