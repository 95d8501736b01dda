"""Turn compact metric and log generator specs into series and log lines, deterministically.

A metric spec: ``{service, metric, baseline, noise | noise_pct, seasonality, effect | effects}``.
An effect: ``{kind: step|ramp|spike, at, to | factor | by, over | duration | until, every}``; ``every``
repeats a step (with ``until``) or a spike every period, back through the history and forward (a nightly
batch window, a weekly report).
A log spec: ``{service, template, per_minute, level, from, until}`` or ``{service, at, text}``.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import numpy as np

from tools.sources.base import LogLine, Series
from tools.sources.timespec import parse_duration, parse_instant

__all__ = ["generate_series", "generate_logs", "seed_for"]


def seed_for(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:4], "big")


def _target(effect: dict[str, Any], base: float) -> float:
    if "to" in effect:
        return float(effect["to"])
    if "factor" in effect:
        return base * float(effect["factor"])
    if "by" in effect:
        return base + float(effect["by"])
    raise ValueError(f"effect needs one of to, factor, by: {effect!r}")


def _apply_effect(values: np.ndarray, times: np.ndarray, base: float, effect: dict[str, Any], ref: float) -> None:
    if "every" not in effect:
        _apply_once(values, times, base, effect, ref, 0.0)
        return
    kind, period = effect.get("kind", "step"), parse_duration(effect["every"])
    if kind not in ("step", "spike") or (kind == "step" and "until" not in effect):
        raise ValueError(f"'every' repeats a spike or a step with 'until', not {kind!r}: {effect!r}")
    if period <= 0:
        raise ValueError(f"'every' must be a positive duration: {effect!r}")
    start = parse_instant(effect.get("at", 0), ref)
    first = -math.ceil((start - float(times[0])) / period) if len(times) else 0  # one that began before
    last = math.floor((float(times[-1]) - start) / period) if len(times) else -1
    for k in range(int(first), int(last) + 1):
        _apply_once(values, times, base, effect, ref, k * period)


def _apply_once(
    values: np.ndarray, times: np.ndarray, base: float, effect: dict[str, Any], ref: float, shift: float
) -> None:
    kind = effect.get("kind", "step")
    start = parse_instant(effect.get("at", 0), ref) + shift
    target = _target(effect, base)
    if kind == "step":
        end = parse_instant(effect["until"], ref) + shift if "until" in effect else math.inf
        mask = (times >= start) & (times < end)
        values[mask] += target - base
    elif kind == "spike":
        end = start + parse_duration(effect.get("duration", "2m"))
        mask = (times >= start) & (times < end)
        values[mask] += target - base
    elif kind == "ramp":
        over = parse_duration(effect.get("over", times[-1] - start if times[-1] > start else 1))
        frac = np.clip((times - start) / max(over, 1.0), 0.0, 1.0)
        frac[times < start] = 0.0
        values += frac * (target - base)
    else:
        raise ValueError(f"unknown effect kind {kind!r} (use step, ramp or spike)")


def generate_series(spec: dict[str, Any], times: np.ndarray, ref: float, seed_key: str) -> Series:
    """One series from a generator spec over ``times``; ``ref`` anchors relative effect times."""
    for key in ("service", "metric"):
        if key not in spec:
            raise ValueError(f"metric spec needs {key!r}: {spec!r}")
    base = float(spec.get("baseline", 0.0))
    rng = np.random.default_rng(seed_for(seed_key, spec["service"], spec["metric"], str(spec.get("labels", ""))))
    values = np.full(times.shape, base, dtype=float)
    season = spec.get("seasonality")
    if season:
        period = parse_duration(season.get("period", "30m"))
        values *= 1.0 + float(season.get("amplitude", 0.1)) * np.sin(2 * math.pi * times / period)
    effects = spec.get("effects") or ([spec["effect"]] if spec.get("effect") else [])
    for effect in effects:
        _apply_effect(values, times, base, effect, ref)
    noise = float(spec["noise"]) if "noise" in spec else abs(base) * float(spec.get("noise_pct", 0.05))
    values += rng.normal(0.0, noise, size=times.shape) if noise > 0 else 0.0
    if spec.get("min", 0.0) is not None:
        values = np.maximum(values, float(spec.get("min", 0.0)))
    upper = spec.get("max", 1.0 if _is_fraction(str(spec["metric"])) else None)
    if upper is not None:
        values = np.minimum(values, float(upper))
    labels = {"__name__": str(spec["metric"]), "service": str(spec["service"])}
    labels.update({str(k): str(v) for k, v in (spec.get("labels") or {}).items()})
    return Series(labels=labels, times=times.copy(), values=values)


def _is_fraction(metric: str) -> bool:
    """Ratios that cannot exceed 1 (CPU usage against a limit can)."""
    return metric.endswith("_ratio") and not metric.startswith("cpu_usage")


_LEVEL = re.compile(r"(?i)^\W*(?:\S+\s+)?\W*(fatal|critical|error|err|warn(?:ing)?|info|debug|trace)\b")


def infer_level(text: str) -> str:
    """The level a log line states up front (``FATAL``, ``WARN``…), else ``error`` when it mentions one."""
    match = _LEVEL.match(text)
    if match:
        word = match.group(1).lower()
        return {"err": "error", "warning": "warn", "critical": "fatal"}.get(word, word)
    return "error" if re.search(r"(?i)\berror\b", text) else "info"


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _values(name: str, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` random values for one ``{placeholder}``: ms, id, ip, user, anything else a number."""
    if name == "ms":
        return [str(v) for v in rng.integers(5, 2000, size=count)]
    if name == "id":
        return [f"{v:08x}" for v in rng.integers(0, 2**32, size=count)]
    if name == "ip":
        return ["10.{}.{}.{}".format(*octets) for octets in rng.integers(0, 255, size=(count, 3))]
    if name == "user":
        return [f"u{v}" for v in rng.integers(1000, 99999, size=count)]
    return [str(v) for v in rng.integers(0, 10000, size=count)]


def _fill_many(template: str, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` lines from ``template``, each ``{placeholder}`` filled with a fresh random value."""
    parts = _PLACEHOLDER.split(template)  # literal, name, literal, name, …, literal
    columns = [_values(name, count, rng) for name in parts[1::2]]
    literals = parts[0::2]
    lines = []
    for i in range(count):
        pieces = [literals[0]]
        for column, literal in zip(columns, literals[1:], strict=True):
            pieces.append(column[i])
            pieces.append(literal)
        lines.append("".join(pieces))
    return lines


def generate_logs(spec: dict[str, Any], start: float, end: float, ref: float, seed_key: str) -> list[LogLine]:
    """Log lines from a templated spec (a rate over a period) or one explicit line."""
    service = str(spec.get("service", ""))
    level = str(spec.get("level") or infer_level(str(spec.get("template", spec.get("text", "")))))
    if "text" in spec:
        return [LogLine(ts=parse_instant(spec.get("at", 0), ref), service=service, text=str(spec["text"]), level=level)]
    if "template" not in spec:
        raise ValueError(f"log spec needs template or text: {spec!r}")
    lo = max(start, parse_instant(spec["from"], ref)) if "from" in spec else start
    hi = min(end, parse_instant(spec["until"], ref)) if "until" in spec else end
    per_minute = float(spec.get("per_minute", 6))
    if hi <= lo or per_minute <= 0:
        return []
    rng = np.random.default_rng(seed_for(seed_key, service, str(spec["template"])))
    count = int(min(per_minute * (hi - lo) / 60.0, 5000))
    stamps = np.sort(rng.uniform(lo, hi, size=count))
    texts = _fill_many(str(spec["template"]), count, rng)
    return [
        LogLine(ts=float(ts), service=service, text=text, level=level) for ts, text in zip(stamps, texts, strict=True)
    ]
