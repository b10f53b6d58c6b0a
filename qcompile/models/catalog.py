"""The model registry: every model by name, how to build it and its closed-form size.

:data:`MODELS` is the one list of model names. ``qcompile build`` offers every name,
``qcompile estimate`` the names with a closed form (:data:`ESTIMATE_MODELS`), and the tests
run over the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit, ModelResources
from qcompile.models.examples import random_qama_ising
from qcompile.models.qama import build_qama_qaoa, qama_qaoa_resources
from qcompile.models.qasa import build_qasa, qasa_resources
from qcompile.models.qlaci import build_qlaci, qlaci_resources
from qcompile.models.qlaci_kernel import KernelSizes, build_qlaci_kernel, qlaci_kernel_resources
from qcompile.models.qlaci_prototype import build_qlaci_prototype
from qcompile.models.qlam import build_qlam, qlam_resources

__all__ = [
    "ESTIMATE_MODELS",
    "MODELS",
    "MODEL_NAMES",
    "ModelEntry",
    "ModelSpec",
    "build_model",
    "model_resources",
    "qlaci_kernel_sizes",
]


@dataclass(frozen=True)
class ModelSpec:
    """Sizes of a model to build.

    Attributes:
        name: a key of :data:`MODELS` (``qlaci``, ``qlaci-kernel``, ``qlaci_prototype``,
            ``qlam``, ``qasa``, ``qama``).
        seq_len: sequence length. QLACI: key/value entries N (rounded up to a power of
            two; pad the data with zero-angle entries, see ``qlaci_input_values``).
            QLAM: tokens T. QAMA: tokens per head N (H·N qubits). QASA: unused (its
            circuit runs token-wise, one circuit per token).
        layers: QLACI interaction/aggregation layers, QLAM entangler repetitions,
            QASA variational layers, QAMA QAOA depth p. Defaults to each model's own.
        heads: QAMA heads H. Defaults to 2.
        width: QLACI query/key/value/out qubits each; qlaci-kernel feature-map and out
            qubits each; QLAM memory qubits. Defaults to 2 (QLACI), 4 (qlaci-kernel) and
            8 (QLAM).
        top_k: QAMA: keep the k strongest couplings per variable (sparsify for hardware).
        seed: QAMA: seed of the random attention instance the Ising is built from.
        copies: qlaci-kernel: feature-map copies m (kernel kappa**m). Defaults to 1.
        grover_iterations: qlaci-kernel: amplitude-amplification iterations. Defaults to 0.
    """

    name: str
    seq_len: int
    layers: int | None = None
    heads: int = 2
    width: int | None = None
    top_k: int | None = None
    seed: int = 0
    copies: int | None = None
    grover_iterations: int = 0

    def __post_init__(self) -> None:
        if self.name not in MODELS:
            raise ResourceError(f"unknown model {self.name!r} (known: {', '.join(MODELS)})")
        if self.seq_len < 1:
            raise ResourceError(f"sequence length must be >= 1, got {self.seq_len}")


@dataclass(frozen=True)
class ModelEntry:
    """One registered model.

    Attributes:
        name: the name the command lines take.
        summary: one line for listings and help.
        build: builds the model circuit of a spec.
        resources: the closed-form logical size of the same spec, valid far beyond buildable
            sizes; None for a model without one (it cannot be estimated).
    """

    name: str
    summary: str
    build: Callable[[ModelSpec], ModelCircuit]
    resources: Callable[[ModelSpec], ModelResources] | None = None


def _qlaci_entries(spec: ModelSpec) -> int:
    return max(2, 1 << (spec.seq_len - 1).bit_length())


def _build_qlaci(spec: ModelSpec) -> ModelCircuit:
    w = spec.width or 2
    return build_qlaci(_qlaci_entries(spec), w, w, w, w, layers=spec.layers or 1)


def _qlaci_resources(spec: ModelSpec) -> ModelResources:
    w = spec.width or 2
    return qlaci_resources(_qlaci_entries(spec), w, w, w, w, layers=spec.layers or 1)


QLACI_KERNEL_WIDTH = 4
"""qlaci-kernel feature-map (and out) qubits unless ``width`` says otherwise: the trained
needle model's size (one per key dimension)."""


def qlaci_kernel_sizes(spec: ModelSpec) -> KernelSizes:
    """The :class:`~qcompile.models.qlaci_kernel.KernelSizes` a ``qlaci-kernel`` spec means."""
    w = spec.width or QLACI_KERNEL_WIDTH
    return KernelSizes(
        _qlaci_entries(spec),
        feature_qubits=w,
        copies=spec.copies or 1,
        out_qubits=w,
        layers=spec.layers or 1,
        grover_iterations=spec.grover_iterations,
    )


def _build_qlam(spec: ModelSpec) -> ModelCircuit:
    return build_qlam(spec.seq_len, memory_qubits=spec.width or 8, entangler_reps=spec.layers or 1)


def _qlam_resources(spec: ModelSpec) -> ModelResources:
    return qlam_resources(
        spec.seq_len, memory_qubits=spec.width or 8, entangler_reps=spec.layers or 1
    )


def _build_qama(spec: ModelSpec) -> ModelCircuit:
    ising, _ = random_qama_ising(spec.heads, spec.seq_len, seed=spec.seed, top_k=spec.top_k)
    return build_qama_qaoa(ising, reps=spec.layers or 1)


def _qama_resources(spec: ModelSpec) -> ModelResources:
    if spec.top_k is not None:
        raise ResourceError("QAMA's closed form is for the dense instance (no top_k)")
    return qama_qaoa_resources(spec.heads, spec.seq_len, spec.layers or 1)


MODELS: Mapping[str, ModelEntry] = MappingProxyType(
    {
        entry.name: entry
        for entry in (
            ModelEntry(
                "qlaci",
                "QLACI log-attention over a QRAM-addressed sequence",
                _build_qlaci,
                _qlaci_resources,
            ),
            ModelEntry(
                "qlaci-kernel",
                "QLACI with a fidelity-kernel score: normalised kernel attention",
                lambda spec: build_qlaci_kernel(qlaci_kernel_sizes(spec)),
                lambda spec: qlaci_kernel_resources(qlaci_kernel_sizes(spec)),
            ),
            ModelEntry(
                "qlaci_prototype",
                "the public QLACI prototype, rebuilt with its defects",
                lambda spec: build_qlaci_prototype(spec.seq_len),
            ),
            ModelEntry(
                "qlam", "QLAM quantum memory over a token sequence", _build_qlam, _qlam_resources
            ),
            ModelEntry(
                "qasa",
                "the published QASA quantum layer (9 qubits)",
                lambda spec: build_qasa(layers=spec.layers or 4),
                lambda spec: qasa_resources(layers=spec.layers or 4),
            ),
            ModelEntry(
                "qama",
                "QAMA attention as an Ising, its QAOA circuit",
                _build_qama,
                _qama_resources,
            ),
        )
    }
)
"""Model name -> entry, in the order the command lines list them."""

MODEL_NAMES: tuple[str, ...] = tuple(MODELS)
"""Every model name (``qcompile build``)."""

ESTIMATE_MODELS: tuple[str, ...] = tuple(n for n, e in MODELS.items() if e.resources is not None)
"""The models with a closed-form size (``qcompile estimate``)."""


def build_model(spec: ModelSpec) -> ModelCircuit:
    """Builds the model circuit ``spec`` describes.

    Raises:
        ResourceError: impossible sizes (the builders say which).
    """
    model = MODELS[spec.name].build(spec)
    model.circuit.name = f"{spec.name}-n{spec.seq_len}"
    return model


def model_resources(spec: ModelSpec) -> ModelResources:
    """The closed-form logical size of :func:`build_model` (``spec``), at any size.

    Raises:
        ResourceError: a model without a closed form, or an impossible size.
    """
    resources = MODELS[spec.name].resources
    if resources is None:
        raise ResourceError(
            f"model {spec.name!r} has no closed-form size (known: {', '.join(ESTIMATE_MODELS)})"
        )
    return resources(spec)
