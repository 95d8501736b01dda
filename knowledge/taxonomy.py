"""The fault categories every runbook, incident and scenario names (``categories.yaml``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

__all__ = ["CATEGORIES", "categories", "bundled_dir"]


def bundled_dir() -> Path:
    """The folder of the knowledge shipped with Andon."""
    return Path(__file__).parent


@cache
def categories() -> dict[str, str]:
    data = yaml.safe_load((bundled_dir() / "categories.yaml").read_text())
    return {str(k): str(v) for k, v in data.items()}


class _Categories:
    """Lazy view so nothing is read at import time."""

    def __contains__(self, item: object) -> bool:
        return item in categories()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(categories())

    def __len__(self) -> int:
        return len(categories())


CATEGORIES = _Categories()
