"""Reading circuits (OpenQASM 2, OpenQASM 3, QPY) and writing compiled ones.

Circuit files are untrusted input, so every guard runs before the work it protects: the file
size before reading (:data:`MAX_CIRCUIT_BYTES`), the declared register sizes and physical-qubit
indices before any qubit is allocated (``max_qubits``, :data:`MAX_CLBITS`), the QPY header's
program count and register sizes before :func:`qiskit.qpy.load`, and a wall-clock limit on
parsing (:data:`PARSE_TIME_LIMIT_S`). Whatever a parser raises, Rust panics included, becomes
one :class:`~hardware_profiles.errors.CircuitInputError` line; the OpenQASM 3 parser's own
syntax messages go into that line instead of onto stderr.
"""

from __future__ import annotations

import cmath
import contextlib
import io
import os
import re
import signal
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qiskit import QuantumCircuit, qasm2, qasm3, qpy
from qiskit.quantum_info import Operator

from hardware_profiles.errors import CircuitInputError, one_line
from hardware_profiles.loader import MAX_PROFILE_QUBITS

__all__ = [
    "MAX_CIRCUIT_BYTES",
    "MAX_CLBITS",
    "MAX_QUBITS",
    "PARSE_TIME_LIMIT_S",
    "check_finite_parameters",
    "detect_format",
    "dumps_qasm3",
    "load_circuit",
    "load_qpy_circuit",
    "loads_circuit",
    "read_limited",
]

MAX_CIRCUIT_BYTES = 64 * 1024 * 1024
"""The largest circuit file read (64 MiB)."""

MAX_QUBITS = MAX_PROFILE_QUBITS
"""Default limit on the qubits a circuit file may declare: the most any profile may have
(65,536; the largest built-in one, ``heavy_hex_1k``, has 1,081). Pass a profile's qubit count
as ``max_qubits`` for a tighter one."""

MAX_CLBITS = 1 << 16
"""Limit on the classical bits a circuit file may declare (65,536)."""

PARSE_TIME_LIMIT_S = 60.0
"""Wall-clock limit on parsing one circuit file, in seconds (main thread only)."""

_LARGEST_PARAMETER = float(1 << 53)
_QASM_VERSION = re.compile(rb"^\s*OPENQASM\s+(\d+)(\.\d+)?\s*;", re.MULTILINE)
_QPY_MAGIC = b"QISKIT"
_QASM2_REGISTER = re.compile(r"\b(qreg|creg)\s+[A-Za-z_]\w*\s*\[\s*(\d+)\s*\]")
_QASM2_COMMENT = re.compile(r"//[^\n]*")
_QASM2_INDEX = re.compile(r"\[\s*(\d+)\s*\]")


class _ParseTimeout(BaseException):
    """Raised by the parse timer; a BaseException so no parser's ``except Exception`` eats it."""


def read_limited(
    path: str | os.PathLike[str], limit: int = MAX_CIRCUIT_BYTES, what: str = "file"
) -> bytes:
    """The bytes of a file of at most ``limit`` bytes, refused before reading if larger.

    The path is used as given, so ``ghz5.qasm/`` (a file named as a directory) is refused as
    the operating system refuses it.

    Args:
        path: the file.
        limit: the largest size accepted, in bytes. Defaults to :data:`MAX_CIRCUIT_BYTES`.
        what: what the file is, for the error message. Defaults to ``"file"``.

    Raises:
        CircuitInputError: the file cannot be read, or is larger than ``limit``.
    """
    text = os.fspath(path)
    try:
        with open(text, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise CircuitInputError(
                    f"{text}: {what} of {size:,} bytes exceeds the limit of {limit:,} bytes"
                )
            data = handle.read(limit + 1)  # a pipe or device reports size 0
    except OSError as exc:
        raise CircuitInputError(f"{text}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise CircuitInputError(f"{text}: {what} exceeds the limit of {limit:,} bytes")
    return data


def detect_format(data: bytes, name: str = "") -> str:
    """Returns ``"qpy"``, ``"qasm2"`` or ``"qasm3"`` from the content (extension as hint).

    Raises:
        CircuitInputError: the content is none of the three.
    """
    if data.startswith(_QPY_MAGIC):
        return "qpy"
    head = data.lstrip(b"\xef\xbb\xbf")
    match = _QASM_VERSION.search(head[:4096])
    if match:
        return "qasm2" if match.group(1) == b"2" else "qasm3"
    if name.endswith(".qasm3"):
        return "qasm3"
    raise CircuitInputError(
        f"{name or 'input'}: not a circuit file (expected an OPENQASM 2/3 header or QPY data)"
    )


def _count(value: int) -> str:
    return f"{value:,}" if value < 1 << 64 else "more than 2^64"


def _check_sizes(name: str, qubits: int, clbits: int, max_qubits: int) -> None:
    if qubits > max_qubits:
        raise CircuitInputError(
            f"{name}: declares {_count(qubits)} qubits, more than the limit of {max_qubits:,}"
        )
    if clbits > MAX_CLBITS:
        raise CircuitInputError(
            f"{name}: declares {_count(clbits)} classical bits, "
            f"more than the limit of {MAX_CLBITS:,}"
        )


def _check_qasm2_registers(text: str, name: str, max_qubits: int) -> None:
    """Refuses declared register sizes over the limits before the parser allocates them."""
    text = _QASM2_COMMENT.sub("", text)
    totals = {"qreg": 0, "creg": 0}
    for match in _QASM2_REGISTER.finditer(text):
        digits = match.group(2).lstrip("0")
        totals[match.group(1)] += int(digits or "0") if len(digits) <= 19 else 1 << 64
    _check_sizes(name, totals["qreg"], totals["creg"], max_qubits)
    limit = max(max_qubits, MAX_CLBITS)
    for match in _QASM2_INDEX.finditer(text):
        digits = match.group(1).lstrip("0")
        # The Rust parser panics on an index past 2**64; refuse any past every register.
        if len(digits) > 19 or int(digits or "0") > limit:
            raise CircuitInputError(f"{name}: index [{digits[:30]}] is past the limit of {limit:,}")


def _constant(node: Any) -> int | None:
    """The value of an integer constant expression (literals and arithmetic), else None."""
    from openqasm3 import ast

    if isinstance(node, ast.IntegerLiteral):
        return int(node.value)
    if isinstance(node, ast.UnaryExpression) and node.op.name == "-":
        operand = _constant(node.expression)
        return None if operand is None else -operand
    if isinstance(node, ast.BinaryExpression):
        lhs, rhs = _constant(node.lhs), _constant(node.rhs)
        if lhs is None or rhs is None:
            return None
        op = node.op.name
        huge = 1 << 64  # past any limit; never compute a giant power or shift
        value: int | None = None
        if op == "+":
            value = lhs + rhs
        elif op == "-":
            value = lhs - rhs
        elif op == "*":
            value = lhs * rhs
        elif op in ("/", "%") and rhs != 0:
            value = lhs // rhs if op == "/" else lhs % rhs
        elif op == "**" and rhs >= 0:
            value = huge if abs(lhs) > 1 and rhs >= 64 else lhs**rhs
        elif op == "<<" and rhs >= 0:
            value = huge if rhs >= 64 else lhs << rhs
        elif op == ">>" and rhs >= 0:
            value = lhs >> rhs
        return None if value is None else max(min(value, huge), -huge)
    return None


def _check_qasm3_program(program: Any, name: str, max_qubits: int) -> None:
    """Refuses declared sizes and physical qubits (``$n``) over the limits, before conversion."""
    from openqasm3 import ast

    qubits = clbits = 0
    stack: list[Any] = [program]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if not isinstance(node, ast.QASMNode):
            continue
        if isinstance(node, ast.QubitDeclaration):
            qubits += 1 if node.size is None else max(_constant(node.size) or 0, 0)
        elif isinstance(node, ast.BitType) and node.size is not None:
            clbits += max(_constant(node.size) or 0, 0)
        elif isinstance(node, ast.Identifier) and node.name.startswith("$"):
            index = node.name[1:]
            if index.isdigit() and int(index) >= max_qubits:
                raise CircuitInputError(
                    f"{name}: physical qubit {node.name[:30]} is past the limit of "
                    f"{max_qubits:,} qubits"
                )
        _check_sizes(name, qubits, clbits, max_qubits)
        stack.extend(vars(node).values())


def _bail_message(exc: BaseException) -> str:
    """``line L:C unexpected 'token'`` for ANTLR's bail-out, which reports to no listener."""
    cause = exc.args[0] if exc.args else exc  # BailErrorStrategy wraps the RecognitionException
    token = getattr(cause, "offendingToken", None)
    if token is None:
        return one_line(cause if str(cause) not in ("", "None") else type(exc).__name__)
    text = "end of input" if token.type == -1 else repr(token.text)
    return f"line {token.line}:{token.column} unexpected {text}"


_GATE_DEFINITION = re.compile(r"\bgate\s+([A-Za-z_][A-Za-z0-9_]*)")


def _loads_qasm2(text: str) -> QuantumCircuit:
    """OpenQASM 2 text to a circuit, Qiskit's standard gates for the legacy gate names.

    Qiskit's legacy table maps a gate the file defines under a known name (``rzz``, ``rxx``,
    ``c3x``...) to its standard gate, dropping the file's body. That is right when the body
    is the standard gate and silently wrong otherwise (``gate rzz(t) a, b { cx a, b; }``), so
    the file's own gates of those names are compared with the standard ones; if any differs,
    the file's bodies are kept (and :mod:`qcompile.shadowed_gates` inlines them before
    compilation).
    """
    legacy = qasm2.LEGACY_CUSTOM_INSTRUCTIONS
    standard = {c.name: c.constructor for c in legacy}
    own = set(_GATE_DEFINITION.findall(text)) & standard.keys()
    circuit = qasm2.loads(text, custom_instructions=legacy)
    if not own:
        return circuit
    kept = qasm2.loads(text, custom_instructions=[c for c in legacy if c.name not in own])
    for operation in _operations_named(kept, own):
        try:
            reference = standard[operation.name](*operation.params)
            same = Operator(operation).equiv(Operator(reference))
        except Exception:  # not comparable (no definition, wrong shape): keep the file's
            same = False
        if not same:
            return kept
    return circuit


def _operations_named(circuit: QuantumCircuit, names: set[str]) -> Iterator[Any]:
    """Every distinct use (name and parameters) of the ``names`` gates, definitions included."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    stack = [circuit]
    while stack:
        for inst in stack.pop().data:
            operation = inst.operation
            if operation.name in names:
                key = (operation.name, tuple(repr(p) for p in operation.params))
                if key not in seen:
                    seen.add(key)
                    yield operation
            definition = getattr(operation, "_definition", None)
            if definition is not None:
                stack.append(definition)


def _parse_qasm3(text: str, name: str, max_qubits: int) -> QuantumCircuit:
    """OpenQASM 3 text to a circuit, with the parser's first syntax message in the error.

    ``openqasm3.parse`` leaves ANTLR's console listener in place, which prints ``line L:C ...``
    on stderr before the exception; here the lexer and parser report to a listener that keeps
    the first message, and nothing is printed.
    """
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from antlr4.error.ErrorStrategy import BailErrorStrategy
    from openqasm3._antlr.qasm3Lexer import qasm3Lexer
    from openqasm3._antlr.qasm3Parser import qasm3Parser
    from openqasm3.parser import QASMNodeVisitor
    from qiskit_qasm3_import import ConversionError, convert

    class FirstError(ErrorListener):
        def __init__(self) -> None:
            self.message: str | None = None

        def syntaxError(  # ANTLR names it
            self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any
        ) -> None:
            if self.message is None:
                self.message = f"line {line}:{column} {msg}"

    errors = FirstError()
    lexer = qasm3Lexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = qasm3Parser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    parser._errHandler = BailErrorStrategy()
    try:
        tree = parser.program()
    except Exception as exc:  # ANTLR's RecognitionException / ParseCancellationException
        raise CircuitInputError(
            f"{name}: malformed qasm3: {one_line(errors.message or _bail_message(exc), 200)}"
        ) from None
    if errors.message is not None:  # the lexer recovered from a bad token
        raise CircuitInputError(f"{name}: malformed qasm3: {one_line(errors.message, 200)}")
    program = QASMNodeVisitor().visitProgram(tree)
    _check_qasm3_program(program, name, max_qubits)
    try:
        return convert(program)
    except ConversionError:
        raise  # the importer's own refusal ("gate 'foo' is not defined"): malformed input
    except Exception as exc:  # the importer failed on a construct it does not handle
        raise CircuitInputError(
            f"{name}: Qiskit's OpenQASM 3 importer cannot convert this program "
            f"({type(exc).__name__}: {one_line(exc, 200)})"
        ) from None


def _check_qpy_header(data: bytes, name: str, max_qubits: int) -> None:
    """Refuses a QPY file whose header promises other than one circuit of acceptable size."""
    from qiskit.qpy import formats

    version = data[6] if len(data) > 6 else 0
    pack = formats.FILE_HEADER_PACK if version < 10 else formats.FILE_HEADER_V10_PACK
    size = struct.calcsize(pack)
    if len(data) < size:
        raise CircuitInputError(f"{name}: malformed qpy: truncated header")
    header = struct.unpack(pack, data[:size])
    num_programs = header[5]
    if num_programs != 1:
        raise CircuitInputError(
            f"{name}: QPY file must hold exactly one circuit, found {num_programs:,}"
        )
    if version < 12:
        return  # older layouts: qpy.load's own checks
    offset = size + 1  # the program's type key
    if version >= 16:
        if len(data) < offset + 8:
            raise CircuitInputError(f"{name}: malformed qpy: truncated program table")
        (offset,) = struct.unpack("!Q", data[offset : offset + 8])
    end = offset + formats.CIRCUIT_HEADER_V12_SIZE
    if end > len(data):
        raise CircuitInputError(f"{name}: malformed qpy: truncated circuit header")
    circuit = formats.CIRCUIT_HEADER_V12._make(
        struct.unpack(formats.CIRCUIT_HEADER_V12_PACK, data[offset:end])
    )
    _check_sizes(name, circuit.num_qubits, circuit.num_clbits, max_qubits)


def load_qpy_circuit(data: bytes, name: str, max_qubits: int = MAX_QUBITS) -> QuantumCircuit:
    """The one circuit of QPY bytes, every part checked; used for artifacts too.

    The header must announce one program within the size limits, the data must hold exactly
    that circuit (no trailing bytes), its layout must be a permutation of its qubits and its
    parameters finite.

    Raises:
        CircuitInputError: any of these fails, or the data is malformed (one line, with the
            reader's reason).
    """
    _check_qpy_header(data, name, max_qubits)
    stream = io.BytesIO(data)
    with _reading(name, "qpy"):
        circuits = qpy.load(stream)
    if len(circuits) != 1 or not isinstance(circuits[0], QuantumCircuit):
        raise CircuitInputError(
            f"{name}: QPY file must hold exactly one circuit, found {len(circuits)}"
        )
    _check_layout(circuits[0], name)
    check_finite_parameters(circuits[0], name)
    extra = _trailing_bytes(data, circuits[0], stream.tell())
    if extra:
        raise CircuitInputError(f"{name}: malformed qpy: {extra:,} bytes after the circuit")
    return circuits[0]


def _check_layout(circuit: QuantumCircuit, name: str) -> None:
    """Refuses a layout that is not a permutation of the circuit's qubits (a corrupt file)."""
    layout = circuit.layout
    if layout is None:
        return
    n = circuit.num_qubits
    try:
        initial = [int(q) for q in layout.initial_index_layout()]
        final = [int(q) for q in layout.final_index_layout(filter_ancillas=False)]
        measured = [int(q) for q in layout.final_index_layout(filter_ancillas=True)]
    except Exception as exc:  # a corrupt layout fails in many ways inside Qiskit
        detail = f"{type(exc).__name__}: {one_line(exc, 80)}"
        raise CircuitInputError(f"{name}: corrupt layout ({detail})") from None
    for what, indices in (("initial", initial), ("final", final)):
        if sorted(indices) != list(range(n)):
            raise CircuitInputError(
                f"{name}: corrupt layout: the {what} layout is not a permutation of {n} qubits"
            )
    if not set(measured) <= set(range(n)):
        raise CircuitInputError(f"{name}: corrupt layout: a logical qubit outside {n} qubits")


_REWRITE_TRIES = 16


def _trailing_bytes(data: bytes, circuit: QuantumCircuit, consumed: int) -> int:
    """How many bytes follow the circuit in ``data`` (0 when that cannot be told).

    The Python reader (old versions) stops at the circuit's end; the Rust reader takes the
    whole stream, so there the circuit is written again in the file's own version and
    encoding: a file that is exactly that plus more has trailing bytes.
    """
    if consumed < len(data):
        return len(data) - consumed
    version = data[6]
    if not qpy.QPY_COMPATIBILITY_VERSION <= version <= qpy.QPY_VERSION:
        return 0
    symengine = version >= 10 and data[18:19] == b"e"
    # Qiskit writes a layout's registers in no fixed order, so one circuit has a few byte
    # encodings of one length: try several before giving no verdict.
    for _ in range(_REWRITE_TRIES):
        again = io.BytesIO()
        try:
            qpy.dump(circuit, again, version=version, use_symengine=symengine)
        except Exception:  # a circuit this Qiskit cannot write back: no verdict
            return 0
        except BaseException as exc:  # the Rust writer's PanicException, likewise
            if type(exc).__name__ != "PanicException":
                raise
            return 0
        rewritten = again.getvalue()
        if len(data) <= len(rewritten) or data[:7] != rewritten[:7]:
            return 0
        # Bytes 7-9 hold the writer's Qiskit version; everything else must match.
        if data[10 : len(rewritten)] == rewritten[10:]:
            return len(data) - len(rewritten)
    return 0


def _usable_number(value: Any) -> bool:
    """False for a NaN, an infinity or a magnitude past 2^53; True for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | complex):
        return True  # a ParameterExpression, an array, a string: not a plain number
    if isinstance(value, int):
        return abs(value) <= _LARGEST_PARAMETER
    return cmath.isfinite(value) and abs(value) <= _LARGEST_PARAMETER


def check_finite_parameters(circuit: QuantumCircuit, name: str) -> None:
    """Refuses a NaN, infinite or meaningless (past 2^53) gate parameter, in blocks too.

    Such a number passes the parsers but fails deep inside compilation or serialization
    (Qiskit's OpenQASM 3 writer multiplies angles by pi); past 2^53 a float no longer holds
    an angle's fraction of a turn.

    Raises:
        CircuitInputError: naming the first gate with such a parameter.
    """
    stack = [circuit]
    while stack:
        current = stack.pop()
        values: list[tuple[str, Any]] = [("global phase", current.global_phase)]
        for instruction in current.data:
            for param in instruction.operation.params:
                if isinstance(param, QuantumCircuit):
                    stack.append(param)
                else:
                    values.append((f"gate {instruction.operation.name}", param))
        for what, value in values:
            if not _usable_number(value):
                raise CircuitInputError(
                    f"{name}: {what} has parameter {one_line(repr(value), 40)}, "
                    "not a finite number within ±2^53"
                )


@contextlib.contextmanager
def _time_limit(seconds: float, name: str) -> Iterator[None]:
    """Stops parsing after ``seconds`` (main thread, and only if no other timer is running)."""
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _ParseTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _ParseTimeout:
        raise CircuitInputError(
            f"{name}: parsing stopped at the time limit of {seconds:g} s (QPY loads faster)"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


@contextlib.contextmanager
def _reading(name: str, fmt: str) -> Iterator[None]:
    """Turns whatever a parser raises (Rust panics included) into one CircuitInputError."""
    try:
        yield
    except (CircuitInputError, _ParseTimeout):
        raise
    except UnicodeDecodeError as exc:
        if fmt == "qpy":
            raise CircuitInputError(f"{name}: malformed qpy: {one_line(exc, 200)}") from None
        raise CircuitInputError(f"{name}: OpenQASM file is not UTF-8 text") from None
    except RecursionError:
        raise CircuitInputError(f"{name}: malformed {fmt}: nested too deeply") from None
    except MemoryError:
        raise CircuitInputError(f"{name}: malformed {fmt}: too large to parse") from None
    except Exception as exc:  # parsers raise many types; all mean "malformed input"
        raise CircuitInputError(f"{name}: malformed {fmt}: {one_line(exc, 300)}") from None
    except BaseException as exc:
        # The Rust parsers (qasm2, QPY) panic on some input: pyo3 raises PanicException,
        # a BaseException, which must not pass as an interrupt would.
        if type(exc).__name__ != "PanicException":
            raise
        raise CircuitInputError(
            f"{name}: malformed {fmt}: parser failed ({one_line(exc, 200)})"
        ) from None


def loads_circuit(
    data: bytes,
    name: str = "input",
    *,
    max_qubits: int = MAX_QUBITS,
    time_limit: float = PARSE_TIME_LIMIT_S,
) -> QuantumCircuit:
    """Parses circuit bytes in any supported format.

    Args:
        data: file content.
        name: used in error messages.
        max_qubits: the most qubits the circuit may declare (a profile's qubit count).
            Defaults to :data:`MAX_QUBITS`.
        time_limit: seconds parsing may take (enforced on the main thread only). Defaults to
            :data:`PARSE_TIME_LIMIT_S`; 0 means no limit.

    Raises:
        CircuitInputError: malformed content, sizes over the limits, or parsing past the time
            limit (one line, with the parser's reason).
    """
    if len(data) > MAX_CIRCUIT_BYTES:
        raise CircuitInputError(
            f"{name}: {len(data):,} bytes exceeds the limit of {MAX_CIRCUIT_BYTES:,} bytes"
        )
    fmt = detect_format(data, name)
    with _time_limit(time_limit, name):
        if fmt == "qpy":
            circuit = load_qpy_circuit(data, name, max_qubits)
        else:
            with _reading(name, fmt):
                text = data.decode("utf-8")
                if fmt == "qasm2":
                    _check_qasm2_registers(text, name, max_qubits)
                    circuit = _loads_qasm2(text)
                else:
                    circuit = _parse_qasm3(text, name, max_qubits)
    check_finite_parameters(circuit, name)
    return circuit


def load_circuit(
    path: str | os.PathLike[str],
    *,
    max_qubits: int = MAX_QUBITS,
    time_limit: float = PARSE_TIME_LIMIT_S,
) -> QuantumCircuit:
    """Reads a circuit from an OpenQASM 2, OpenQASM 3 or QPY file.

    Args:
        path: the file (used as given: ``ghz5.qasm/`` is refused as the OS refuses it).
        max_qubits: the most qubits the circuit may declare. Defaults to :data:`MAX_QUBITS`.
        time_limit: seconds parsing may take. Defaults to :data:`PARSE_TIME_LIMIT_S`.

    Raises:
        CircuitInputError: unreadable or oversized file, or malformed content.
    """
    data = read_limited(path, MAX_CIRCUIT_BYTES, "circuit file")
    stem = Path(path).stem
    circuit = loads_circuit(data, os.fspath(path), max_qubits=max_qubits, time_limit=time_limit)
    if not circuit.name or circuit.name.startswith("circuit-"):
        circuit.name = stem
    return circuit


def dumps_qasm3(circuit: QuantumCircuit) -> str:
    """The circuit as OpenQASM 3 text (physical qubits for ISA circuits)."""
    return qasm3.dumps(circuit)
