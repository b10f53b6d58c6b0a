import numpy as np
import pytest
from qiskit.circuit import Parameter, ParameterVector, QuantumCircuit
from qiskit.quantum_info import Operator

from hardware_profiles.errors import ResourceError
from qcompile.qram import QRAMQuery, QRAMWords
from tests.qcompile.qram.qram_sim import reference_matrix


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: QRAMWords.bits([1, 2, 3]), "power of two"),
        (lambda: QRAMWords.bits([0]), "power of two"),
        (lambda: QRAMWords.bits([0, 4], b=2), "does not fit"),
        (lambda: QRAMWords.bits([0, -1], b=2), "does not fit"),
        (lambda: QRAMWords.angles([0.1, (0.2, 0.3)]), "same length"),
        (lambda: QRAMWords.angles(["x", 1.0]), "float or a Parameter"),
        (lambda: QRAMWords("bits", 0, 1, (0,)), "address bits"),
        (lambda: QRAMWords("bits", 1, 0, (0, 0)), "word size"),
    ],
)
def test_impossible_words_raise_resource_error(make, message):
    with pytest.raises(ResourceError, match=message):
        make()


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("b", [1, 2])
def test_query_definition_matches_numpy_reference(n, b):
    rng = np.random.default_rng(n * 10 + b)
    bits = [int(x) for x in rng.integers(0, 1 << b, 1 << n)]
    angles = [tuple(rng.uniform(-3, 3, b)) for _ in range(1 << n)]
    for mode, values, words in [
        ("bits", bits, QRAMWords.bits(bits, b=b)),
        ("ry", angles, QRAMWords.angles(angles, "ry")),
        ("phase", angles, QRAMWords.angles(angles, "phase")),
    ]:
        got = Operator(QRAMQuery(words).definition).data
        np.testing.assert_allclose(got, reference_matrix(mode, n, b, values), atol=1e-9)


def test_parameter_words_bind_per_input():
    theta = ParameterVector("theta", 4)
    query = QRAMQuery(QRAMWords.angles(list(theta)))
    qc = QuantumCircuit(3)
    qc.append(query, range(3))
    assert set(qc.parameters) == set(theta)
    values = [0.1, 0.7, -1.2, 2.0]
    bound = qc.assign_parameters(dict(zip(theta, values, strict=True)))
    np.testing.assert_allclose(
        Operator(bound).data, reference_matrix("ry", 2, 1, [(v,) for v in values]), atol=1e-9
    )
    assert bound.data[0].operation.words.values == tuple((v,) for v in values)


def test_inverse_query_undoes_query():
    phi = Parameter("phi")
    for words in [QRAMWords.bits([3, 0, 1, 2], b=2), QRAMWords.angles([0.3, phi], "phase")]:
        qc = QuantumCircuit(words.n + words.b)
        query = QRAMQuery(words)
        qc.append(query, qc.qubits)
        qc.append(query.inverse(), qc.qubits)
        qc = qc.assign_parameters({phi: 0.9}) if qc.parameters else qc
        np.testing.assert_allclose(Operator(qc).data, np.eye(1 << qc.num_qubits), atol=1e-9)
