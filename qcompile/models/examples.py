"""Small canonical instances of every model, for generic tests and quick demos.

Each :class:`ModelExample` pairs a builder with the model's closed-form resource count for
the same sizes; one generic test builds every registered example, checks the built counts
against the analytic ones and compiles it to an IBM Heron ISA circuit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from qcompile.models.base import ModelCircuit, ModelResources
from qcompile.models.qama import (
    attention_couplings,
    build_qama_qaoa,
    qama_ising,
    qama_qaoa_resources,
)
from qcompile.models.qasa import build_qasa, qasa_resources
from qcompile.models.qlaci import build_qlaci, qlaci_resources
from qcompile.models.qlam import build_qlam, qlam_resources

__all__ = ["MODEL_EXAMPLES", "ModelExample", "random_qama_ising"]


@dataclass(frozen=True)
class ModelExample:
    """A named small instance of a model.

    Attributes:
        name: Registry key.
        build: Builds the instance.
        resources: Closed-form size of the same instance.
    """

    name: str
    build: Callable[[], ModelCircuit]
    resources: Callable[[], ModelResources]


def random_qama_ising(
    num_heads: int, num_tokens: int, *, head_dim: int = 4, seed: int = 0, top_k: int | None = None
) -> tuple[SparsePauliOp, float]:
    """A QAMA Ising instance from Gaussian queries, keys, values and ``E2V``.

    Args:
        num_heads: Heads ``H``.
        num_tokens: Tokens ``N``.
        head_dim: Per-head dimension ``d``. Defaults to 4.
        seed: numpy seed. Defaults to 0.
        top_k: Optional sparsification (see :func:`~qcompile.models.qama.sparsify_couplings`).

    Returns:
        ``(H, offset)`` on ``num_heads * num_tokens`` qubits.
    """
    rng = np.random.default_rng(seed)
    q, k, v = (rng.normal(size=(num_heads, num_tokens, head_dim)) for _ in range(3))
    e2v = rng.normal(size=head_dim)
    j, h = attention_couplings(q, k, v, e2v)
    return qama_ising(j, h, top_k=top_k)


MODEL_EXAMPLES: dict[str, ModelExample] = {
    ex.name: ex
    for ex in (
        ModelExample("qasa", build_qasa, qasa_resources),
        ModelExample(
            "qlam_linear",
            lambda: build_qlam(3, 4, 4, entangler_reps=2),
            lambda: qlam_resources(3, 4, 4, entangler_reps=2),
        ),
        ModelExample(
            "qlam_ring_wrapping_features",
            lambda: build_qlam(2, 6, 4, entanglement="ring"),
            lambda: qlam_resources(2, 6, 4, entanglement="ring"),
        ),
        ModelExample(
            "qlaci",
            lambda: build_qlaci(4, 2, 1, 1, 1),
            lambda: qlaci_resources(4, 2, 1, 1, 1),
        ),
        ModelExample(
            "qama_qaoa",
            lambda: build_qama_qaoa(random_qama_ising(2, 3)[0], reps=2),
            lambda: qama_qaoa_resources(2, 3, reps=2),
        ),
    )
}
