"""The part of PromQL replay sources understand: the label selectors inside an expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.sources.base import Series

__all__ = ["Selector", "parse_selectors", "matches"]

_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^{}]*)\}|([a-zA-Z_:][a-zA-Z0-9_:]*)")
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
_KEYWORDS = {
    "sum",
    "max",
    "min",
    "avg",
    "by",
    "without",
    "rate",
    "irate",
    "increase",
    "count",
    "topk",
    "bottomk",
    "histogram_quantile",
    "quantile",
    "on",
    "ignoring",
    "and",
    "or",
    "unless",
    "group_left",
    "group_right",
    "offset",
    "abs",
    "delta",
    "deriv",
    "avg_over_time",
    "max_over_time",
    "min_over_time",
    "sum_over_time",
    "clamp_min",
    "clamp_max",
    "le",
    "bool",
}


@dataclass(frozen=True)
class Selector:
    name: str
    matchers: tuple[tuple[str, str, str], ...]


def parse_selectors(query: str) -> list[Selector]:
    """Every vector selector in a PromQL expression (functions and operators are ignored)."""
    stripped = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", query)
    stripped = re.sub(r"\[[^\]]*\]", " ", stripped)
    selectors = []
    for match in _SELECTOR.finditer(stripped):
        name = match.group(1) or match.group(3) or ""
        if match.group(3) and (name in _KEYWORDS or stripped[match.end() :].lstrip().startswith("(")):
            continue
        matchers = tuple((m.group(1), m.group(2), m.group(3)) for m in _MATCHER.finditer(match.group(2) or ""))
        selectors.append(Selector(name=name, matchers=matchers))
    return selectors


def matches(series: Series, selector: Selector) -> bool:
    if selector.name and series.name != selector.name:
        return False
    for label, op, value in selector.matchers:
        actual = series.labels.get(label, "")
        if op == "=" and actual != value:
            return False
        if op == "!=" and actual == value:
            return False
        if op == "=~" and not re.fullmatch(value, actual):
            return False
        if op == "!~" and re.fullmatch(value, actual):
            return False
    return True
