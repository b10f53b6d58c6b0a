"""A study task: one point of a study's grid, identified by the hash of what determines it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hardware_profiles.errors import ResourceError
from hardware_profiles.identity import strong_id

__all__ = ["StudyTask", "result_versions"]

Scalar = str | int | float | bool


@functools.cache
def result_versions() -> dict[str, str]:
    """The package versions that can change a task's result (part of its hash)."""
    from hardware_profiles.versions import versions

    found = versions()
    return {k: found[k] for k in ("qattn", "qiskit", "qiskit-aer")}


@dataclass(frozen=True)
class StudyTask:
    """One task: a study name and the parameters of its grid point.

    Attributes:
        study: The study's name (e.g. ``qram-fidelity``).
        params: Parameter name -> JSON scalar; everything that determines the result
            except the package versions and profile contents, which :meth:`strong_id` adds.
    """

    study: str
    params: Mapping[str, Scalar]
    _id: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key, value in self.params.items():
            if not isinstance(value, str | int | float | bool):
                raise ResourceError(f"task parameter {key}={value!r} is not a JSON scalar")
        object.__setattr__(self, "params", MappingProxyType(dict(sorted(self.params.items()))))
        object.__setattr__(self, "_id", "")

    def identity(self) -> dict[str, Any]:
        """Everything the hash covers: study, parameters, versions, profile contents.

        A ``profile`` parameter adds the profile's :meth:`DeviceProfile.digest
        <hardware_profiles.DeviceProfile.digest>` (its content, not its file or name), read
        afresh on every call: an edited profile makes a new task, a moved one does not.

        Raises:
            ProfileError: If the ``profile`` parameter names no loadable profile.
        """
        ident: dict[str, Any] = {
            "study": self.study,
            "params": dict(self.params),
            "versions": result_versions(),
        }
        profile = self.params.get("profile")
        if isinstance(profile, str):
            from hardware_profiles import load_profile

            ident["profile_digest"] = load_profile(profile).digest()
        return ident

    def strong_id(self) -> str:
        """:func:`hardware_profiles.identity.strong_id` of :meth:`identity` (kept per task).

        Raises:
            ResourceError: If a parameter is NaN or infinite (no canonical JSON).
        """
        if not self._id:
            try:
                digest = strong_id(self.identity())
            except ValueError:
                raise ResourceError(
                    f"task {self.study} {dict(self.params)} has a NaN or infinite parameter"
                ) from None
            object.__setattr__(self, "_id", digest)
        return self._id
