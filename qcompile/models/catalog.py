"""Building any model by name and sequence length: what ``qcompile build`` calls."""

from __future__ import annotations

from dataclasses import dataclass

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit
from qcompile.models.examples import random_qama_ising
from qcompile.models.qama import build_qama_qaoa
from qcompile.models.qasa import build_qasa
from qcompile.models.qlaci import build_qlaci
from qcompile.models.qlaci_prototype import build_qlaci_prototype
from qcompile.models.qlam import build_qlam

__all__ = ["MODEL_NAMES", "ModelSpec", "build_model"]

MODEL_NAMES = ("qlaci", "qlaci_prototype", "qlam", "qasa", "qama")


@dataclass(frozen=True)
class ModelSpec:
    """Sizes of a model to build.

    Attributes:
        name: one of ``qlaci``, ``qlaci_prototype``, ``qlam``, ``qasa``, ``qama``.
        seq_len: sequence length. QLACI: key/value entries N (rounded up to a power of
            two; pad the data with zero-angle entries, see ``qlaci_input_values``).
            QLAM: tokens T. QAMA: tokens per head N (H·N qubits). QASA: unused (its
            circuit runs token-wise, one circuit per token).
        layers: QLACI interaction/aggregation layers, QLAM entangler repetitions,
            QASA variational layers, QAMA QAOA depth p. Defaults to each model's own.
        heads: QAMA heads H. Defaults to 2.
        width: QLACI query/key/value/out qubits each; QLAM memory qubits.
            Defaults to 2 (QLACI) and 8 (QLAM).
        top_k: QAMA: keep the k strongest couplings per variable (sparsify for hardware).
        seed: QAMA: seed of the random attention instance the Ising is built from.
    """

    name: str
    seq_len: int
    layers: int | None = None
    heads: int = 2
    width: int | None = None
    top_k: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.name not in MODEL_NAMES:
            raise ResourceError(f"unknown model {self.name!r} (known: {', '.join(MODEL_NAMES)})")
        if self.seq_len < 1:
            raise ResourceError(f"sequence length must be >= 1, got {self.seq_len}")


def build_model(spec: ModelSpec) -> ModelCircuit:
    """Builds the model circuit ``spec`` describes.

    Raises:
        ResourceError: impossible sizes (the builders say which).
    """
    if spec.name == "qlaci":
        n = max(2, 1 << (spec.seq_len - 1).bit_length())
        w = spec.width or 2
        model = build_qlaci(n, w, w, w, w, layers=spec.layers or 1)
    elif spec.name == "qlaci_prototype":
        model = build_qlaci_prototype(spec.seq_len)
    elif spec.name == "qlam":
        model = build_qlam(
            spec.seq_len,
            memory_qubits=spec.width or 8,
            entangler_reps=spec.layers or 1,
        )
    elif spec.name == "qasa":
        model = build_qasa(layers=spec.layers or 4)
    else:
        ising, _ = random_qama_ising(spec.heads, spec.seq_len, seed=spec.seed, top_k=spec.top_k)
        model = build_qama_qaoa(ising, reps=spec.layers or 1)
    model.circuit.name = f"{spec.name}-n{spec.seq_len}"
    return model
