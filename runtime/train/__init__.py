"""Training hybrid quantum–classical models on small, shipped tasks.

* :mod:`runtime.train.spec` - the contract: :class:`TaskInfo`, :class:`QNNBackend`, factories.
* :mod:`runtime.train.tasks` - needle retrieval, sequential digits, nine synthetic series.
* :mod:`runtime.train.backbones` - shared classical backbones (:class:`TinyViT`).
* :mod:`runtime.train.baselines` - classical baselines for every task.
* :mod:`runtime.train.hybrid` - the hybrid quantum models (QLACI, QLAM, QASA, QAMA).
* :mod:`runtime.train.loop` - the seeded, checkpointed, resumable training loop.
* :mod:`runtime.train.cli` - ``qrun train``.

Submodules import torch; import them directly (``import runtime.train`` stays cheap).
"""

from __future__ import annotations

from runtime.train.spec import BACKENDS, ModelFactory, QNNBackend, TaskInfo, TaskKind

__all__ = ["BACKENDS", "ModelFactory", "QNNBackend", "TaskInfo", "TaskKind"]
