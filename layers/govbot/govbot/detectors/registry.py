"""The detector registry itself: the detectors register here (their package imports them)."""

from __future__ import annotations

from typing import Any

from govbot.detectors.base import Detector

DETECTORS: dict[str, type[Detector[Any]]] = {}


def register(cls: type[Detector[Any]]) -> type[Detector[Any]]:
    if cls.id in DETECTORS:
        raise ValueError(f"detector {cls.id!r} registered twice")
    if not cls.kinds:
        raise ValueError(f"detector {cls.id!r} declares no resource kinds")
    if "details_model" not in cls.__dict__:
        raise ValueError(f"detector {cls.id!r} declares no details model")
    DETECTORS[cls.id] = cls
    return cls


def judging(*resource_types: str) -> tuple[str, ...]:
    """The detectors that judge any of these kinds, in registry order."""
    wanted = set(resource_types)
    return tuple(d for d, det in DETECTORS.items() if wanted & set(det.kinds))


def sweep_permissions() -> set[str]:
    """Every IAM action a sweep reads with: the registered detectors', and the Price List's
    (the costs of what they find)."""
    from govbot.pricing.price_list import PERMISSIONS as PRICES

    return {p for det in DETECTORS.values() for p in det.reads()} | set(PRICES)
