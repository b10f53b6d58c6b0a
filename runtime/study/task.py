"""A study task: one point of a study's grid, identified by the hash of what determines it."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hardware_profiles.errors import ResourceError

__all__ = ["StudyTask", "canonical_json", "profile_digest", "result_versions"]

Scalar = str | int | float | bool


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and shortest float repr: equal data, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


@functools.cache
def result_versions() -> dict[str, str]:
    """The package versions that can change a task's result (part of its hash)."""
    from hardware_profiles.versions import versions

    found = versions()
    return {k: found[k] for k in ("qattn", "qiskit", "qiskit-aer")}


@functools.cache
def profile_digest(name: str) -> str:
    """SHA-256 (16 hex digits) of a profile's TOML file, so an edited profile is a new task.

    Raises:
        ProfileError: If the profile is unknown.
    """
    from pathlib import Path

    from hardware_profiles import load_profile

    source = load_profile(name).provenance().get("source")
    data = Path(source).read_bytes() if source else name.encode()
    return hashlib.sha256(data).hexdigest()[:16]


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
        """Everything the hash covers: study, parameters, versions, profile contents."""
        ident: dict[str, Any] = {
            "study": self.study,
            "params": dict(self.params),
            "versions": result_versions(),
        }
        profile = self.params.get("profile")
        if isinstance(profile, str):
            ident["profile_sha256"] = profile_digest(profile)
        return ident

    def strong_id(self) -> str:
        """SHA-256 hex digest of :meth:`identity` as canonical JSON (cached)."""
        if not self._id:
            digest = hashlib.sha256(canonical_json(self.identity()).encode()).hexdigest()
            object.__setattr__(self, "_id", digest)
        return self._id
