"""The QLAM recurrent quantum memory as a torch layer, and a sequence classifier on it.

:class:`QLAMLayer` runs the QLAM circuit (:func:`qcompile.models.qlam.build_qlam`): the
memory register is carried across all ``T`` tokens (each token re-uploaded as rotation
angles, then the shared trainable entangler), and read out along query-dependent axes. The
classifier embeds each token linearly into ``F`` angles, reads the memory with a learned
query (a trainable input of the circuit, so it trains through input gradients) and maps the
``m`` expectations to logits with a small MLP.

References:
    H.-Q. Nguyen, S. Pandey, K. Luu, "QLAM: A Quantum Long-Attention Memory Approach to
    Long-Sequence Token Modeling" (2026).
"""

from __future__ import annotations

import torch
from torch import nn

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit
from qcompile.models.qlam import build_qlam
from runtime.train.hybrid_qnn import make_qnn
from runtime.train.spec import QNNBackend, TaskInfo

__all__ = ["QLAMClassifier", "QLAMLayer"]


class QLAMLayer(nn.Module):
    """QLAM memory over a token sequence: ``(B, T, F)`` angles and a query -> ``(B, m)``.

    Args:
        num_tokens: Sequence length ``T``.
        features: Angles per token ``F``.
        memory_qubits: Memory qubits ``m``. Defaults to 8.
        entangler_reps: Shared entangler repetitions per token. Defaults to 1.
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
    """

    def __init__(
        self,
        num_tokens: int,
        features: int,
        *,
        memory_qubits: int = 8,
        entangler_reps: int = 1,
        backend: QNNBackend | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.model_circuit: ModelCircuit = build_qlam(
            num_tokens, features, memory_qubits, entangler_reps=entangler_reps
        )
        self.num_tokens, self.features, self.memory_qubits = num_tokens, features, memory_qubits
        self.qnn = make_qnn(self.model_circuit, backend or QNNBackend(), seed=seed)

    def forward(self, tokens: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """``<Z_q>`` of every memory qubit after the sequence and the query readout.

        Args:
            tokens: ``(B, T, F)`` token angles.
            query: ``(B, m)`` or ``(m,)`` readout query angles.

        Returns:
            ``(B, m)``.

        Raises:
            ResourceError: If the shapes do not match the circuit.
        """
        batch = tokens.shape[0]
        if tokens.shape[1:] != (self.num_tokens, self.features):
            raise ResourceError(
                f"QLAM layer expects tokens (B, {self.num_tokens}, {self.features}), "
                f"got {tuple(tokens.shape)}"
            )
        query = query.expand(batch, self.memory_qubits)
        return self.qnn(torch.cat([tokens.reshape(batch, -1), query], dim=1))


class QLAMClassifier(nn.Module):
    """Token embedding, a :class:`QLAMLayer` and an MLP classifier head.

    Args:
        info: The task (``seq_len`` tokens of ``token_dim`` features, ``output_dim`` classes).
        backend: Where the circuit runs. Defaults to exact.
        seed: Seed of the circuit's initial weights. Defaults to 0.
        memory_qubits: Memory qubits ``m``. Defaults to 8.
        features: Angles per token. Defaults to ``min(token_dim, memory_qubits)``.
        entangler_reps: Entangler repetitions per token. Defaults to 1.
        hidden: Hidden width of the head. Defaults to 32.
    """

    def __init__(
        self,
        info: TaskInfo,
        backend: QNNBackend | None = None,
        seed: int = 0,
        *,
        memory_qubits: int = 8,
        features: int | None = None,
        entangler_reps: int = 1,
        hidden: int = 32,
    ) -> None:
        super().__init__()
        self.info = info
        f = features or min(info.token_dim, memory_qubits)
        self.embed = nn.Linear(info.token_dim, f)
        self.query = nn.Parameter(torch.zeros(memory_qubits))
        self.memory = QLAMLayer(
            info.seq_len,
            f,
            memory_qubits=memory_qubits,
            entangler_reps=entangler_reps,
            backend=backend,
            seed=seed,
        )
        self.head = nn.Sequential(
            nn.Linear(memory_qubits, hidden), nn.GELU(), nn.Linear(hidden, info.output_dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, d) -> (B, output_dim)`` logits."""
        return self.head(self.memory(self.embed(x), self.query))
