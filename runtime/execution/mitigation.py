"""Error suppression and mitigation settings: one frozen record, mapped per executor.

:class:`MitigationOptions` names what a user may ask for (resilience level, Pauli twirling,
dynamical decoupling, measurement mitigation (TREX), zero-noise extrapolation). Every field
defaults to None, "the executor's own default", so an empty record changes nothing.

On IBM Quantum (and in its local testing mode) :func:`apply_ibm_options` writes the record
onto the executor-based primitives' own options (``qiskit_ibm_runtime.options_models``):

====================== ==============================================================
field                  qiskit-ibm-runtime option
====================== ==============================================================
resilience_level       ``resilience_level`` (estimator; IBM's default is 1)
twirling               ``twirling.enable_gates`` and ``twirling.enable_measure``
dynamical_decoupling   ``dynamical_decoupling.enable`` and ``.sequence_type``
measure_mitigation     ``resilience.measure_mitigation`` (TREX; estimator)
zne                    ``resilience.zne_mitigation`` (estimator)
zne_noise_factors      ``resilience.zne.noise_factors``
zne_extrapolator       ``resilience.zne.extrapolator``
====================== ==============================================================

The sampler has no resilience options, so a sample request refuses the estimator-only
fields. Aer (:mod:`runtime.execution.aer`) honours the same record locally with the glue of
:mod:`runtime.execution.mitigation_local` (twirling, ``XX`` decoupling, ZNE by folding) and
refuses, in one line, what it has no local counterpart for
(:meth:`MitigationOptions.check_aer`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hardware_profiles.errors import JobError

__all__ = [
    "AER_EXTRAPOLATORS",
    "DD_SEQUENCES",
    "ZNE_EXTRAPOLATORS",
    "MitigationOptions",
    "apply_ibm_options",
]

DD_SEQUENCES = ("XX", "XpXm", "XY4")
"""Dynamical decoupling sequences qiskit-ibm-runtime offers."""

ZNE_EXTRAPOLATORS = (
    "linear",
    "exponential",
    "double_exponential",
    "polynomial_degree_1",
    "polynomial_degree_2",
    "polynomial_degree_3",
    "polynomial_degree_4",
    "fallback",
)
"""ZNE extrapolators qiskit-ibm-runtime offers."""

_ESTIMATOR_ONLY = ("resilience_level", "measure_mitigation", "zne")
_FLAGS = {"dynamical_decoupling": "--dd"}


def _flags(names: list[str]) -> str:
    """The ``qrun`` flags that set these fields, comma-separated."""
    return ", ".join(_FLAGS.get(name, "--" + name.replace("_", "-")) for name in names)


@dataclass(frozen=True)
class MitigationOptions:
    """Error suppression and mitigation to ask of an executor; None keeps its default.

    Attributes:
        resilience_level: 0 (none), 1 (measurement mitigation) or 2 (plus ZNE), estimator
            only. Defaults to None (IBM's default, 1).
        twirling: Pauli-twirl gates and measurements. Defaults to None (IBM's default for
            the resilience level).
        dynamical_decoupling: a DD sequence (``XX``, ``XpXm``, ``XY4``) to insert in idle
            windows. Defaults to None (off).
        measure_mitigation: twirled readout error extinction (TREX), estimator only.
            Defaults to None (on at resilience level 1 and 2).
        zne: zero-noise extrapolation, estimator only. Defaults to None (on at level 2).
        zne_noise_factors: noise amplification factors, at least two, each >= 1.
            Defaults to None (IBM's: 1, 1.5, 2... for PEA, 1, 3, 5 for gate folding).
        zne_extrapolator: one of :data:`ZNE_EXTRAPOLATORS`. Defaults to None (IBM's:
            exponential, then linear).

    Raises:
        JobError: a value outside the ranges above.
    """

    resilience_level: int | None = None
    twirling: bool | None = None
    dynamical_decoupling: str | None = None
    measure_mitigation: bool | None = None
    zne: bool | None = None
    zne_noise_factors: tuple[float, ...] | None = None
    zne_extrapolator: str | None = None

    def __post_init__(self) -> None:
        level = self.resilience_level
        if level is not None and (
            not isinstance(level, int) or isinstance(level, bool) or level not in (0, 1, 2)
        ):
            raise JobError(f"resilience level must be 0, 1 or 2, got {level!r}")
        if self.dynamical_decoupling is not None and self.dynamical_decoupling not in DD_SEQUENCES:
            raise JobError(
                f"dynamical decoupling sequence must be one of {', '.join(DD_SEQUENCES)}, "
                f"got {self.dynamical_decoupling!r}"
            )
        if self.zne_extrapolator is not None and self.zne_extrapolator not in ZNE_EXTRAPOLATORS:
            raise JobError(
                f"ZNE extrapolator must be one of {', '.join(ZNE_EXTRAPOLATORS)}, "
                f"got {self.zne_extrapolator!r}"
            )
        factors = self.zne_noise_factors
        if factors is not None:
            if len(factors) < 2 or not all(
                isinstance(f, (int, float))
                and not isinstance(f, bool)
                and math.isfinite(f)
                and f >= 1
                for f in factors
            ):
                raise JobError(
                    "ZNE noise factors must be at least two finite numbers >= 1, "
                    f"got {list(factors)!r}"
                )
            object.__setattr__(self, "zne_noise_factors", tuple(float(f) for f in factors))
        if self.zne is False and (factors is not None or self.zne_extrapolator is not None):
            raise JobError("ZNE noise factors or extrapolator given with ZNE turned off")

    @property
    def is_default(self) -> bool:
        """True when every field is None (the executor's defaults)."""
        return all(value is None for value in asdict(self).values())

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, as plain JSON data (empty for the defaults)."""
        doc = {name: value for name, value in asdict(self).items() if value is not None}
        if "zne_noise_factors" in doc:
            doc["zne_noise_factors"] = list(doc["zne_noise_factors"])
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any] | None) -> MitigationOptions:
        """The options :meth:`to_dict` wrote (None or empty: the defaults).

        Raises:
            JobError: an unknown field or a bad value.
        """
        doc = dict(doc or {})
        unknown = sorted(set(doc) - set(cls.__dataclass_fields__))
        if unknown:
            raise JobError(f"unknown mitigation option(s): {', '.join(unknown)}")
        if doc.get("zne_noise_factors") is not None:
            doc["zne_noise_factors"] = tuple(doc["zne_noise_factors"])
        return cls(**doc)

    def check_kind(self, kind: str) -> None:
        """Refuses estimator-only options on a sample request.

        Raises:
            JobError: a resilience level, measurement mitigation or ZNE was asked for counts.
        """
        if kind != "estimate":
            asked = [name for name in _ESTIMATOR_ONLY if getattr(self, name) is not None]
            asked += ["zne_noise_factors"] * (self.zne_noise_factors is not None)
            asked += ["zne_extrapolator"] * (self.zne_extrapolator is not None)
            if asked:
                flags = _flags(asked)
                raise JobError(
                    f"{flags}: estimator options (they mitigate expectation values); the "
                    "sampler has none (use qrun estimate, or only --twirling / --dd with sample)"
                )

    def check_aer(self) -> None:
        """Refuses what Aer (:mod:`runtime.execution.aer`) cannot honour, in one line.

        Aer does twirling, ``XX`` decoupling and ZNE by gate folding (linear, exponential,
        polynomial degree 1 or 2 extrapolation) itself
        (:mod:`runtime.execution.mitigation_local`); measurement mitigation is accepted and
        does nothing there, because Aer's expectation values carry no readout error.

        Raises:
            JobError: an option Aer does not implement.
        """
        if self.dynamical_decoupling not in (None, "XX"):
            raise JobError(
                f"--dd {self.dynamical_decoupling}: Aer inserts XX only (the profile's ISA has "
                "no Y or -X pulse); use --dd XX, or --ibm / --local-ibm"
            )
        if self.zne_extrapolator not in (None, *AER_EXTRAPOLATORS):
            raise JobError(
                f"--zne-extrapolator {self.zne_extrapolator}: Aer fits "
                f"{', '.join(AER_EXTRAPOLATORS)}; use --ibm / --local-ibm for the others"
            )

    @property
    def zne_on(self) -> bool:
        """Whether ZNE runs: asked for, or implied by resilience level 2."""
        return bool(self.zne) or (self.zne is None and self.resilience_level == 2)


AER_EXTRAPOLATORS = ("linear", "exponential", "polynomial_degree_1", "polynomial_degree_2")
"""ZNE extrapolators Aer fits (:func:`runtime.execution.mitigation_local.extrapolate_to_zero`)."""


def apply_ibm_options(options: Any, mitigation: MitigationOptions, kind: str) -> None:
    """Writes ``mitigation`` onto an executor-based primitive's ``options`` (in place).

    Args:
        options: ``Sampler.options`` or ``Estimator.options`` of
            ``qiskit_ibm_runtime.executor_sampler`` / ``executor_estimator``.
        mitigation: what to set; None fields are left at IBM's defaults.
        kind: ``sample`` or ``estimate``.

    Raises:
        JobError: an estimator-only option for a sample request.
    """
    mitigation.check_kind(kind)
    if mitigation.twirling is not None:
        options.twirling.enable_gates = mitigation.twirling
        options.twirling.enable_measure = mitigation.twirling
    if mitigation.dynamical_decoupling is not None:
        options.dynamical_decoupling.enable = True
        options.dynamical_decoupling.sequence_type = mitigation.dynamical_decoupling
    if kind != "estimate":
        return
    if mitigation.resilience_level is not None:
        options.resilience_level = mitigation.resilience_level
    resilience = options.resilience
    if mitigation.measure_mitigation is not None:
        resilience.measure_mitigation = mitigation.measure_mitigation
    if mitigation.zne is not None:
        resilience.zne_mitigation = mitigation.zne
    if mitigation.zne_noise_factors is not None:
        resilience.zne.noise_factors = list(mitigation.zne_noise_factors)
    if mitigation.zne_extrapolator is not None:
        resilience.zne.extrapolator = mitigation.zne_extrapolator
