"""The fault categories every runbook, incident and scenario names (``categories.yaml``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

__all__ = [
    "CATEGORIES",
    "categories",
    "consequences",
    "consequence_hops",
    "direct_consequences",
    "scopes",
    "sides",
    "roles",
    "bundled_dir",
]


def bundled_dir() -> Path:
    """The folder of the knowledge shipped with Andon."""
    return Path(__file__).parent


@cache
def _taxonomy() -> dict[str, dict[str, object]]:
    data = yaml.safe_load((bundled_dir() / "categories.yaml").read_text())
    return {str(k): (v if isinstance(v, dict) else {"description": v}) for k, v in data.items()}


def categories() -> dict[str, str]:
    """Category name -> description."""
    return {k: str(v.get("description", "")) for k, v in _taxonomy().items()}


def scopes() -> dict[str, str]:
    """Category -> how many nodes it takes (``node``: one, ``zone``: several), for the categories that say."""
    return {k: str(v["scope"]) for k, v in _taxonomy().items() if v.get("scope")}


def sides() -> dict[str, str]:
    """Category -> the side of a call it is named on (``client``: the caller whose calls fail), where it says."""
    return {k: str(v["side"]) for k, v in _taxonomy().items() if v.get("side")}


def roles() -> dict[str, tuple[str, str]]:
    """Category -> (service-name pattern, metric-prefix pattern) of the shared component whose failure it is."""
    out: dict[str, tuple[str, str]] = {}
    for name, entry in _taxonomy().items():
        role = entry.get("role")
        if isinstance(role, dict):
            out[name] = (str(role.get("names") or "(?!)"), str(role.get("metrics") or "(?!)"))
    return out


@cache
def direct_consequences() -> dict[str, frozenset[str]]:
    """Category -> the categories it causes directly (its ``causes`` list)."""
    out: dict[str, frozenset[str]] = {}
    for name, entry in _taxonomy().items():
        listed = entry.get("causes") or []
        out[name] = frozenset(str(c) for c in listed) if isinstance(listed, list) else frozenset()
    return out


@cache
def consequence_hops() -> dict[str, dict[str, int]]:
    """Category -> every category it can cause downstream, with how many causal links away it is."""
    direct = direct_consequences()
    out: dict[str, dict[str, int]] = {}
    for start in direct:
        hops: dict[str, int] = {}
        frontier, depth = set(direct[start]), 1
        while frontier:
            for item in frontier:
                hops.setdefault(item, depth)
            frontier = {n for item in frontier for n in direct.get(item, ()) if n not in hops and n != start}
            depth += 1
        out[start] = hops
    return out


@cache
def consequences() -> dict[str, frozenset[str]]:
    """Category -> every category it can cause downstream (transitively)."""
    direct = direct_consequences()
    out: dict[str, frozenset[str]] = {}
    for start in direct:
        seen: set[str] = set()
        stack = list(direct[start])
        while stack:
            item = stack.pop()
            if item not in seen and item != start:
                seen.add(item)
                stack.extend(direct.get(item, ()))
        out[start] = frozenset(seen)
    return out


class _Categories:
    """Lazy view so nothing is read at import time."""

    def __contains__(self, item: object) -> bool:
        return item in categories()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(categories())

    def __len__(self) -> int:
        return len(categories())


CATEGORIES = _Categories()
