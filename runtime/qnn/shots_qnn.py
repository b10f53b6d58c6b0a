"""A qiskit-machine-learning neural network that runs its circuit on a shots-based executor.

:class:`ShotsQNN` is the ``aer-noisy`` / ``ibm`` counterpart of
:class:`~runtime.qnn.torch_qnn.TorchStatevectorQNN`: a
:class:`~qiskit_machine_learning.neural_networks.NeuralNetwork` for
:class:`~qiskit_machine_learning.connectors.TorchConnector` whose expectation values come
from an :class:`~runtime.execution.executor.Executor`
(:class:`~runtime.execution.aer.AerExecutor` with the profile's noise, or
:class:`~runtime.execution.ibm.IBMExecutor`, local testing mode included).

The circuit is compiled **once**, at construction, for the target, through qattn's one compile
path (:func:`qcompile.pipeline.compile_circuit`: ISA check and report included; the equivalence
check is off by default), and its observables are the artifact's, already mapped onto the ISA
circuit. Every parametrised gate of the ISA circuit then
gets its own angle parameter (an *occurrence*): the transpiler may merge, scale or offset
parameters (``rz(2*x + pi)``), and the parameter-shift rule is exact per occurrence of a
Pauli rotation (``rz``, ``rx``, ``ry``, ``p``, ``u``'s three angles, ``rzz``...), while the
occurrence angles are affine (or, rarely, other expressions) in the inputs and weights.
A training step only binds numbers:

* forward: one estimator request, one PUB, all samples of the batch as a parameter array;
* backward, ``gradient="parameter-shift"``: one request, one PUB holding the +-pi/2
  shifts of every occurrence for every sample; occurrence gradients are chained to the
  inputs and weights through the angle expressions' derivatives;
* backward, ``gradient="spsa"``: one request, one PUB with two simultaneous
  perturbations per sample (seeded), ``(f(θ + cΔ) - f(θ - cΔ)) / 2c · Δ``.

Reproducibility: with ``seed`` set (and a seeded executor), the same calls give the same
SPSA directions and results; hardware results are never reproducible.

References:
    Schuld, Bergholm, Gogolin, Izaac & Killoran, "Evaluating analytic gradients on quantum
    hardware", arXiv:1811.11184 (parameter-shift rule).
    Spall, "Multivariate stochastic approximation using a simultaneous perturbation
    gradient approximation", IEEE TAC 37 (1992) (SPSA).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterExpression, ParameterVector
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import Target
from qiskit_machine_learning.neural_networks import NeuralNetwork

from hardware_profiles.errors import CompileError, JobError
from runtime.execution.executor import EstimateResult, EstimatorPub, Executor
from runtime.qnn.torch_qnn import parameter_rows

if TYPE_CHECKING:
    from hardware_profiles import DeviceProfile
    from qcompile.artifact import Artifact
    from qcompile.models import ModelCircuit
    from qcompile.pipeline import CompileOptions
    from runtime.train.spec import QNNBackend

__all__ = ["GradientMethod", "ShotsQNN"]

GradientMethod = Literal["parameter-shift", "spsa"]
# Gates exp(-i theta/2 P) (P a Pauli string, up to global phase) in each of their angles:
# the two-term parameter-shift rule with shifts +-pi/2 is exact for every occurrence.
# Maps each gate to the indices of its angles that qualify (``r``: theta, not its axis phi).
_SHIFTABLE: dict[str, tuple[int, ...]] = {
    **{name: (0,) for name in ("rx", "ry", "rz", "p", "u1", "rzz", "rxx", "ryy", "rzx", "r")},
    "u": (0, 1, 2),
    "u3": (0, 1, 2),
}
_SHIFT = np.pi / 2
_OCCURRENCES = "occurrence"


@dataclass(frozen=True)
class _Angle:
    """One occurrence angle as a function of the parameter columns (inputs then weights)."""

    columns: tuple[int, ...]
    coeffs: np.ndarray | None  # affine: angle = offset + coeffs @ params[columns]
    offset: float
    value: Any = None  # non-affine: numpy function of params[columns]
    grads: tuple[Any, ...] = ()  # non-affine: its partial derivatives


class ShotsQNN(NeuralNetwork):
    """Expectation-value QNN on a shots-based executor, transpiled once.

    Args:
        circuit: Unmeasured logical circuit.
        input_params: Data parameters, in the column order of ``input_data``.
        weight_params: Trainable parameters, in the order of ``weights``. A weight absent
            from the compiled circuit gets a zero gradient.
        observables: One SparsePauliOp per output, on the logical circuit's qubits.
        executor: Where the PUBs run (``AerExecutor``, ``IBMExecutor``...).
        target: What to compile for: a device profile (through ``qcompile``) or a Qiskit
            Target. Defaults to the executor's profile (``AerExecutor``) or backend Target
            (``IBMExecutor`` in local testing mode).
        input_gradients: Also return input gradients. Defaults to False.
        gradient: ``parameter-shift`` (exact in expectation) or ``spsa`` (two evaluations
            per sample, a stochastic estimate). Defaults to ``parameter-shift``.
        precision: Target standard error of each expectation value, passed to the
            executor (shots ``~ 1/precision**2``). Defaults to 0.02.
        seed: Seed of the SPSA perturbations. Defaults to None (fresh entropy).
        spsa_step: SPSA perturbation size ``c``. Defaults to 0.1.
        compile_options: Options of the one compilation. Defaults to
            ``CompileOptions(equivalence_max_qubits=0)``.

    Attributes:
        requests: Estimator requests made so far (one per forward, one per backward).

    Raises:
        CompileError: The circuit does not compile, a compiled gate with a parameter is
            not a Pauli rotation (no exact two-term shift rule), or an observable has the
            wrong width.
        JobError: Unknown gradient method or a bad precision.
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        input_params: Sequence[Parameter],
        weight_params: Sequence[Parameter],
        observables: Sequence[SparsePauliOp],
        *,
        executor: Executor,
        target: DeviceProfile | Target | None = None,
        input_gradients: bool = False,
        gradient: GradientMethod = "parameter-shift",
        precision: float = 0.02,
        seed: int | None = None,
        spsa_step: float = 0.1,
        compile_options: CompileOptions | None = None,
    ) -> None:
        if gradient not in ("parameter-shift", "spsa"):
            raise JobError(f"gradient must be 'parameter-shift' or 'spsa', got {gradient!r}")
        if not precision > 0:
            raise JobError(f"precision must be > 0, got {precision!r}")
        if not spsa_step > 0:
            raise JobError(f"spsa_step must be > 0, got {spsa_step!r}")
        for k, observable in enumerate(observables):
            if observable.num_qubits != circuit.num_qubits:
                raise CompileError(
                    f"observable {k} acts on {observable.num_qubits} qubits, "
                    f"the circuit has {circuit.num_qubits}"
                )
        self._circuit = circuit
        self._input_params = list(input_params)
        self._weight_params = list(weight_params)
        self._observables = tuple(observables)
        self._executor = executor
        self._gradient: GradientMethod = gradient
        self._precision = float(precision)
        self._spsa_step = float(spsa_step)
        self._rng = np.random.default_rng(seed)
        self._artifact = _compile(
            circuit, target or _default_target(executor), compile_options, observables
        )
        self._isa, self._angles = _occurrence_circuit(
            self._artifact.circuit, self._input_params + self._weight_params
        )
        self._isa_observables = self._artifact.observables
        self.requests = 0
        super().__init__(
            num_inputs=len(self._input_params),
            num_weights=len(self._weight_params),
            sparse=False,
            output_shape=len(self._observables),
            input_gradients=input_gradients,
        )

    @classmethod
    def from_model(
        cls,
        model: ModelCircuit,
        *,
        executor: Executor | None = None,
        target: DeviceProfile | Target | None = None,
        backend: QNNBackend | None = None,
        input_gradients: bool = False,
        **options: Any,
    ) -> ShotsQNN:
        """Build the QNN of a :class:`~qcompile.models.ModelCircuit`.

        Give either an ``executor`` (and optionally a ``target``), or a training
        :class:`~runtime.train.spec.QNNBackend` (``aer-noisy`` or ``ibm``), from which the
        executor, the target profile, the gradient method, precision and seed are taken.
        Other keyword arguments go to the constructor.

        Raises:
            JobError: Neither or both of ``executor`` and ``backend``, or a backend that is
                not shots-based.
        """
        if (executor is None) == (backend is None):
            raise JobError("give exactly one of executor= and backend=")
        if backend is not None:
            executor, target = _backend_executor(backend)
            options = {
                "gradient": backend.gradient,
                "precision": backend.precision,
                "seed": backend.seed,
                **options,
            }
        assert executor is not None
        return cls(
            model.circuit,
            list(model.inputs),
            list(model.weights),
            model.observables,
            executor=executor,
            target=target,
            input_gradients=input_gradients,
            **options,
        )

    @property
    def circuit(self) -> QuantumCircuit:
        """The logical circuit as given."""
        return self._circuit

    @property
    def artifact(self) -> Artifact:
        """The one compilation: ISA circuit, mapped observables and compile report."""
        return self._artifact

    @property
    def isa_circuit(self) -> QuantumCircuit:
        """The compiled circuit with one parameter per parametrised gate angle."""
        return self._isa

    @property
    def observables(self) -> tuple[SparsePauliOp, ...]:
        """The outputs' observables (logical)."""
        return self._observables

    @property
    def num_occurrences(self) -> int:
        """Parametrised gate angles in the compiled circuit."""
        return len(self._angles)

    def evaluate(self, parameter_sets: np.ndarray) -> np.ndarray:
        """Expectation values of any array of parameter sets, in one estimator request.

        Args:
            parameter_sets: ``batch + (num_inputs + num_weights,)``, inputs first.

        Returns:
            ``batch + (num_outputs,)``.
        """
        sets = np.asarray(parameter_sets, dtype=float)
        if sets.shape[-1:] != (self._num_inputs + self._num_weights,):
            raise JobError(
                f"parameter sets need {self._num_inputs + self._num_weights} columns, "
                f"got shape {sets.shape}"
            )
        return self._estimate(self._angle_values(sets))

    # ------------------------------------------------------------------------- numerics

    def _angle_values(self, params: np.ndarray) -> np.ndarray:
        """Occurrence angles ``params.shape[:-1] + (occurrences,)``."""
        flat = params.reshape(-1, params.shape[-1])
        out = np.empty((flat.shape[0], len(self._angles)))
        for o, angle in enumerate(self._angles):
            cols = flat[:, list(angle.columns)]
            if angle.coeffs is not None:
                out[:, o] = angle.offset + cols @ angle.coeffs
            else:
                out[:, o] = np.broadcast_to(angle.value(*cols.T), flat.shape[0])
        return out.reshape((*params.shape[:-1], len(self._angles)))

    def _angle_jacobian(self, params: np.ndarray) -> np.ndarray:
        """``d angle[b, o] / d params[b, j]``, ``(batch, occurrences, parameters)``."""
        batch, num = params.shape
        jac = np.zeros((batch, len(self._angles), num))
        for o, angle in enumerate(self._angles):
            cols = list(angle.columns)
            if angle.coeffs is not None:
                jac[:, o, cols] = angle.coeffs
            else:
                args = params[:, cols].T
                for c, grad in zip(cols, angle.grads, strict=True):
                    jac[:, o, c] = np.broadcast_to(grad(*args), batch)
        return jac

    def _estimate(self, angles: np.ndarray) -> np.ndarray:
        """Expectation values for a parameter array of occurrence angles (one PUB)."""
        pub = EstimatorPub(self._isa, self._isa_observables, angles)
        result = self._executor.submit("estimate", [pub], precision=self._precision).result()
        self.requests += 1
        if not isinstance(result, EstimateResult):
            raise JobError(f"executor {self._executor.name} returned {type(result).__name__}")
        return np.asarray(result.values[0], dtype=float).reshape(
            (*angles.shape[:-1], len(self._observables))
        )

    def _forward(self, input_data: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
        params = parameter_rows(input_data, weights)
        return self._estimate(self._angle_values(params))

    def _backward(
        self, input_data: np.ndarray | None, weights: np.ndarray | None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        params = parameter_rows(input_data, weights)
        if self._gradient == "spsa":
            jacobian = self._spsa_jacobian(params)
        else:
            jacobian = self._shift_jacobian(params)
        ni = self._num_inputs
        input_grad = jacobian[:, :, :ni].copy() if self._input_gradients else None
        return input_grad, jacobian[:, :, ni:].copy()

    def _shift_jacobian(self, params: np.ndarray) -> np.ndarray:
        batch, num = params.shape
        occ = len(self._angles)
        if occ == 0:
            return np.zeros((batch, len(self._observables), num))
        base = self._angle_values(params)
        # (batch, occurrence, +/-, occurrences): every shifted set in one PUB.
        shifted = np.repeat(base[:, None, None, :], 2, axis=2).repeat(occ, axis=1)
        eye = np.eye(occ) * _SHIFT
        shifted[:, :, 0, :] += eye
        shifted[:, :, 1, :] -= eye
        values = self._estimate(shifted)  # (batch, occ, 2, K)
        occurrence_grad = (values[:, :, 0] - values[:, :, 1]) / 2.0  # (batch, occ, K)
        return np.einsum("bok,boj->bkj", occurrence_grad, self._angle_jacobian(params))

    def _spsa_jacobian(self, params: np.ndarray) -> np.ndarray:
        delta = self._rng.choice([-1.0, 1.0], size=params.shape)
        c = self._spsa_step
        both = np.stack([params + c * delta, params - c * delta], axis=1)  # (batch, 2, P)
        values = self._estimate(self._angle_values(both))  # (batch, 2, K)
        slope = (values[:, 0] - values[:, 1]) / (2.0 * c)  # (batch, K)
        return slope[:, :, None] * delta[:, None, :]


def _compile(
    circuit: QuantumCircuit,
    target: DeviceProfile | Target,
    options: CompileOptions | None,
    observables: Sequence[SparsePauliOp],
) -> Artifact:
    """The artifact of ``circuit`` for ``target`` (no equivalence check unless asked for)."""
    from qcompile.pipeline import CompileOptions, compile_circuit

    options = options or CompileOptions(equivalence_max_qubits=0)
    return compile_circuit(circuit, target, options, observables=observables).artifact


def _occurrence_circuit(
    compiled: QuantumCircuit, parameters: Sequence[Parameter]
) -> tuple[QuantumCircuit, list[_Angle]]:
    """``compiled`` with one fresh parameter per parametrised gate angle, and the angles.

    The global phase is dropped: it does not change expectation values.
    """
    columns = {p: i for i, p in enumerate(parameters)}
    missing = [p.name for p in compiled.parameters if p not in columns]
    if missing:
        raise CompileError(f"circuit parameter {missing[0]!r} is neither an input nor a weight")
    count = sum(
        1
        for instruction in compiled.data
        for value in instruction.operation.params
        if isinstance(value, ParameterExpression) and value.parameters
    )
    vector = ParameterVector(_OCCURRENCES, count)
    out = compiled.copy_empty_like()
    out.global_phase = 0.0
    angles: list[_Angle] = []
    for instruction in compiled.data:
        operation = instruction.operation
        values = list(operation.params)
        if not any(isinstance(v, ParameterExpression) and v.parameters for v in values):
            out.append(instruction)
            continue
        new_values: list[Any] = []
        for index, value in enumerate(values):
            if isinstance(value, ParameterExpression) and value.parameters:
                if index not in _SHIFTABLE.get(operation.name, ()):
                    raise CompileError(
                        f"compiled gate {operation.name!r} has a parameter in angle {index} "
                        "with no exact two-term parameter-shift rule; compile for a target "
                        "whose parametrised gates are Pauli rotations"
                    )
                new_values.append(vector[len(angles)])
                angles.append(_angle(value, columns))
            else:
                new_values.append(value)
        gate = operation.copy()
        gate.params = new_values
        out.append(gate, instruction.qubits, instruction.clbits)
    if list(out.parameters) != list(vector):
        raise CompileError("occurrence parameters are out of order (internal error)")
    return out, angles


def _angle(value: ParameterExpression, columns: dict[Parameter, int]) -> _Angle:
    params = sorted(value.parameters, key=lambda p: columns[p])
    cols = tuple(columns[p] for p in params)
    grads = [value.gradient(p) for p in params]
    if all(not (isinstance(g, ParameterExpression) and g.parameters) for g in grads):
        coeffs = np.array([_real(g) for g in grads])
        offset = _real(value.bind({p: 0.0 for p in params}))
        return _Angle(cols, coeffs, offset)
    import sympy

    symbols = [sympy.Symbol(f"x{i}") for i in range(len(params))]
    rename = {sympy.Symbol(p.name): s for p, s in zip(params, symbols, strict=True)}
    expr = value.sympify().subs(rename)
    func = sympy.lambdify(symbols, expr, modules="numpy")
    partials = tuple(sympy.lambdify(symbols, sympy.diff(expr, s), modules="numpy") for s in symbols)
    return _Angle(cols, None, 0.0, func, partials)


def _real(value: Any) -> float:
    number = complex(value)
    if abs(number.imag) > 1e-12:
        raise CompileError(f"gate angle {value} is not real")
    return number.real


def _default_target(executor: Executor) -> DeviceProfile | Target:
    profile = getattr(executor, "profile", None)
    if profile is not None:
        return profile
    backend = getattr(executor, "backend", None)
    target = getattr(backend, "target", None)
    if isinstance(target, Target):
        return target
    raise CompileError(
        f"cannot tell what to compile for on executor {executor.name!r}; pass target="
    )


def _backend_executor(backend: QNNBackend) -> tuple[Executor, DeviceProfile]:
    """The executor and compile profile a training backend asks for."""
    from hardware_profiles import load_profile

    profile = load_profile(backend.profile)
    if backend.name == "aer-noisy":
        from runtime.execution.aer import AerExecutor

        return AerExecutor(profile, noisy=True, seed=backend.seed), profile
    if backend.name == "ibm":
        from runtime.execution.ibm import IBMExecutor

        if not backend.ibm_backend:
            raise JobError("backend 'ibm' needs ibm_backend (a device, or a fake backend)")
        if backend.local:
            return IBMExecutor.local(backend.ibm_backend, seed=backend.seed), profile
        # Batch mode: the training steps' requests run as independent jobs in one batch.
        return IBMExecutor(backend.ibm_backend, mode="batch"), profile
    raise JobError(f"backend {backend.name!r} is not shots-based (use aer-noisy or ibm)")
