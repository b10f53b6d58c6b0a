"""Every construction reads the right word and returns every ancilla to |0>.

References are independent: a numpy matrix written from the query semantics, a sparse exact
simulator, and a classical bit-level simulator for large n.
"""

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit import ParameterVector

from qcompile.qram import CONSTRUCTIONS, QRAMWords, SelectSwapQRAM
from tests.qcompile.qram.qram_sim import (
    BitSimulator,
    logical_isometry,
    reference_matrix,
    sparse_simulate,
    unpack,
)

REAL_KINDS = [k for k in CONSTRUCTIONS if k != "oracle"]
MODES = ["bits", "ry", "phase"]


def random_words(mode, n, b, rng):
    if mode == "bits":
        values = [int(x) for x in rng.integers(0, 1 << b, 1 << n)]
        return values, QRAMWords.bits(values, b=b)
    values = [tuple(float(v) for v in rng.uniform(-np.pi, np.pi, b)) for _ in range(1 << n)]
    return values, QRAMWords.angles(values, mode)


@pytest.mark.parametrize("kind", REAL_KINDS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("n", "b"), [(1, 1), (2, 1), (2, 2), (3, 1)])
def test_construction_is_the_query_on_logical_registers(kind, mode, n, b):
    # crc32, not hash(): str hashes are salted per process, so the words changed every run.
    rng = np.random.default_rng(zlib.crc32(f"{kind}/{mode}/{n}/{b}".encode()))
    values, words = random_words(mode, n, b, rng)
    circuit = CONSTRUCTIONS[kind](words).build()
    assert [r.name for r in circuit.qregs[:2]] == ["address", "target"]
    matrix, leak = logical_isometry(circuit, n + b)
    assert leak < 1e-9, "an ancilla did not return to |0>"
    np.testing.assert_allclose(matrix, reference_matrix(mode, n, b, values), atol=1e-9)


@pytest.mark.parametrize("block_bits", [0, 1, 2, 3])
@pytest.mark.parametrize("mode", MODES)
def test_select_swap_every_block_size(block_bits, mode):
    rng = np.random.default_rng(block_bits)
    values, words = random_words(mode, 3, 2, rng)
    circuit = SelectSwapQRAM(words, block_bits=block_bits).build()
    matrix, leak = logical_isometry(circuit, 5)
    assert leak < 1e-9
    np.testing.assert_allclose(matrix, reference_matrix(mode, 3, 2, values), atol=1e-9)


@pytest.mark.parametrize("kind", REAL_KINDS)
@pytest.mark.parametrize("mode", ["bits", "ry"])
def test_superposed_address_n4_exact(kind, mode):
    n, b = 4, 1
    rng = np.random.default_rng(7)
    values, words = random_words(mode, n, b, rng)
    circuit = CONSTRUCTIONS[kind](words).build()
    logical = rng.normal(size=1 << (n + b)) + 1j * rng.normal(size=1 << (n + b))
    logical /= np.linalg.norm(logical)
    out = sparse_simulate(circuit, {k: complex(a) for k, a in enumerate(logical)})
    assert all(k < 1 << (n + b) for k, a in out.items() if abs(a) > 1e-9)
    got = np.array([out.get(k, 0) for k in range(1 << (n + b))])
    np.testing.assert_allclose(got, reference_matrix(mode, n, b, values) @ logical, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(REAL_KINDS),
    n=st.integers(1, 3),
    b=st.integers(1, 2),
    data=st.data(),
)
def test_random_classical_words_read_correctly(kind, n, b, data):
    values = data.draw(st.lists(st.integers(0, (1 << b) - 1), min_size=1 << n, max_size=1 << n))
    circuit = CONSTRUCTIONS[kind](QRAMWords.bits(values, b=b)).build()
    matrix, leak = logical_isometry(circuit, n + b)
    assert leak < 1e-9
    np.testing.assert_allclose(matrix, reference_matrix("bits", n, b, values), atol=1e-9)


@pytest.mark.parametrize("kind", REAL_KINDS)
def test_parameter_words_compile_once_and_bind(kind):
    theta = ParameterVector("theta", 8)
    circuit = CONSTRUCTIONS[kind](QRAMWords.angles(list(theta))).build()
    assert set(circuit.parameters) == set(theta)
    rng = np.random.default_rng(3)
    for _ in range(2):
        values = rng.uniform(-np.pi, np.pi, 8)
        bound = circuit.assign_parameters(dict(zip(theta, values, strict=True)))
        matrix, leak = logical_isometry(bound, 4)
        assert leak < 1e-9
        ref = reference_matrix("ry", 3, 1, [(v,) for v in values])
        np.testing.assert_allclose(matrix, ref, atol=1e-9)


def _run_all_addresses(circuit, n, b, inputs_for):
    """Feed every (address, target) basis state at once; return values, sign, phase."""
    index = {q: k for k, q in enumerate(circuit.qubits)}
    big_n = 1 << n
    branches = big_n << b
    inputs = [0] * circuit.num_qubits
    for br in range(branches):
        address, t = br % big_n, br // big_n
        for j, q in enumerate(circuit.qregs[0]):
            if (address >> j) & 1:
                inputs[index[q]] |= 1 << br
        for j, q in enumerate(circuit.qregs[1]):
            if (t >> j) & 1:
                inputs[index[q]] |= 1 << br
    target = [index[q] for q in circuit.qregs[1]]
    vals, sign, phase = BitSimulator(circuit, conjugated=target if inputs_for == "x" else ()).run(
        inputs, branches
    )
    return inputs, vals, sign, phase, branches


def _assert_phases(circuit, sign, phase, expected_sign, branches):
    """Branch phase (sign bits, tracked angles, global phase) is pi * expected, up to one
    global phase common to all branches."""
    total = phase + np.pi * unpack(sign, branches) + float(circuit.global_phase)
    diff = np.angle(np.exp(1j * (total - np.pi * unpack(expected_sign, branches))))
    np.testing.assert_allclose(np.exp(1j * (diff - diff[0])), 1, atol=1e-9)


# The bit simulator has no measurement; the dynamic kinds' every-address check is Aer's
# (tests/qcompile/qram/test_measured.py) and the trajectories' (runtime/simulators).
@pytest.mark.parametrize("kind", [k for k in REAL_KINDS if not k.endswith("-mbu")])
def test_n10_every_address_classical_simulation(kind):
    """N = 1024 (up to ~3000 qubits): all 1024 addresses x both target values, bit-exact.

    The circuits are monomial (a permutation with phases) apart from the ``H`` pair on the
    target that turns a phase oracle into the bit flip, so every basis input is one branch.
    """
    n, b = 10, 1
    rng = np.random.default_rng(10)
    values = [int(x) for x in rng.integers(0, 2, 1 << n)]
    circuit = CONSTRUCTIONS[kind](QRAMWords.bits(values, b=b)).build()
    ancillas = range(n + b, circuit.num_qubits)
    if kind == "qrom":  # a pure permutation: |i>|t> -> |i>|t ^ d_i>
        inputs, vals, sign, phase, branches = _run_all_addresses(circuit, n, b, "z")
        expected_t = sum(values[br % (1 << n)] << br for br in range(branches))
        assert vals[n] == inputs[n] ^ expected_t
        _assert_phases(circuit, sign, phase, 0, branches)
    else:  # H D H on the target: D must be the sign (-1)^(s d_i) in the X basis
        inputs, vals, sign, phase, branches = _run_all_addresses(circuit, n, b, "x")
        expected_sign = sum((values[br % (1 << n)] & (br >> n)) << br for br in range(branches))
        _assert_phases(circuit, sign, phase, expected_sign, branches)
        assert vals[n] == inputs[n]
    assert vals[:n] == inputs[:n]
    assert all(vals[q] == 0 for q in ancillas), "an ancilla did not return to |0>"


def test_n10_check_catches_a_wrong_word():
    """The classical check is not vacuous: one flipped stored bit is detected."""
    n, b = 10, 1
    rng = np.random.default_rng(11)
    values = [int(x) for x in rng.integers(0, 2, 1 << n)]
    wrong = list(values)
    wrong[613] ^= 1
    circuit = CONSTRUCTIONS["bb-lean"](QRAMWords.bits(wrong, b=b)).build()
    _, _, sign, phase, branches = _run_all_addresses(circuit, n, b, "x")
    expected_sign = sum((values[br % (1 << n)] & (br >> n)) << br for br in range(branches))
    with pytest.raises(AssertionError):
        _assert_phases(circuit, sign, phase, expected_sign, branches)


@pytest.mark.parametrize("kind", ["bucket-brigade", "bb-2q", "bb-lean", "select-swap"])
def test_n8_phase_words_every_address(kind):
    n, b = 8, 2
    rng = np.random.default_rng(8)
    values, words = random_words("phase", n, b, rng)
    circuit = CONSTRUCTIONS[kind](words).build()
    inputs, vals, sign, phase, branches = _run_all_addresses(circuit, n, b, "z")
    expected = np.array(
        [
            sum(values[br % (1 << n)][j] * ((br >> n >> j) & 1) for j in range(b))
            for br in range(branches)
        ]
    )
    total = phase + np.pi * unpack(sign, branches) + float(circuit.global_phase)
    np.testing.assert_allclose(np.exp(1j * total), np.exp(1j * expected), atol=1e-9)
    assert vals[: n + b] == inputs[: n + b]
    assert all(v == 0 for v in vals[n + b :])
