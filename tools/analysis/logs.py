"""Group log lines into templates (drain3) and report templates that are new or spiking at onset."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tools.sources.base import LogLine

__all__ = ["TemplateSpike", "log_template_spikes", "mine_templates"]

_ERROR_WORDS = re.compile(r"(?i)\b(error|exception|fail\w*|fatal|panic|timeout|timed out|refused|denied|"
                          r"killed|oom\w*|unavailable|invalid|expired|unreachable|deadlock|crash\w*|5\d\d)\b")


@dataclass
class TemplateSpike:
    service: str
    template: str
    before_per_min: float
    after_per_min: float
    new: bool
    error_like: bool
    score: float
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def describe(self) -> str:
        tag = "new" if self.new else f"{self.before_per_min:.1f}→{self.after_per_min:.1f}/min"
        return f"{self.service}: '{self.template[:120]}' ({tag})"


_MASKS = [
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "UUID"),
    (r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?", "IP"),
    (r"\b(?:0x)?[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b|\b[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\d[0-9a-fA-F]*\b", "HEX"),
    (r"\b\d+(?:\.\d+)?(?:ms|s|m|h|kb|mb|gb|kib|mib|gib|%)?\b", "NUM"),
]
ONSET_LEAD_S = 60.0
"""How long before the given onset a line already counts as after it. The onset usually comes from the
metrics, and a rate over a 30 s window, scraped and evaluated every few seconds, dates a change up to a
minute after the first log line it caused: a release that crashes on start-up logs its fatal error at once,
seconds before any series moves."""
MAX_LINES_PER_SERVICE = 1500
"""Lines mined per service and side of the onset; larger sets are sampled evenly and counts scaled back."""


def _sample(lines: list[LogLine], limit: int) -> tuple[list[LogLine], float]:
    if len(lines) <= limit:
        return lines, 1.0
    step = len(lines) / limit
    return [lines[int(i * step)] for i in range(limit)], step


_COMPILED_MASKS = [(re.compile(pattern), f"<{mask}>") for pattern, mask in _MASKS]


def _mask(text: str) -> str:
    for pattern, mask in _COMPILED_MASKS:
        text = pattern.sub(mask, text)
    return text


def mine_templates(lines: list[LogLine]) -> list[tuple[LogLine, str]]:
    """Pair every line with its drain3 template (one miner per service); ids and numbers are masked first.

    Lines that are identical once masked are mined once: they land in the same cluster anyway.
    """
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    config.drain_sim_th = 0.5
    config.parametrize_numeric_tokens = True
    config.masking_instructions = []  # masked here, once per line
    miners: dict[str, Any] = {}
    seen: dict[tuple[str, str], str] = {}
    out = []
    for line in lines:
        masked = _mask(line.text)
        cluster = seen.get((line.service, masked))
        if cluster is None:
            miner = miners.get(line.service)
            if miner is None:
                miner = miners[line.service] = TemplateMiner(config=config)
            cluster = seen[(line.service, masked)] = str(miner.add_log_message(masked)["cluster_id"])
        out.append((line, cluster))
    templates: dict[tuple[str, str], str] = {}
    for service, miner in miners.items():
        for found in miner.drain.clusters:
            templates[(service, str(found.cluster_id))] = found.get_template()
    return [(line, templates[(line.service, cid)]) for line, cid in out]


def log_template_spikes(lines: list[LogLine], onset: float, start: float, end: float, top: int = 10) -> list[TemplateSpike]:
    """Templates whose rate after ``onset`` jumped against before it, new and error-like ones first
    (lines up to ``ONSET_LEAD_S`` before the onset count as after it)."""
    if not lines:
        return []
    onset = max(onset - ONSET_LEAD_S, start)
    before_min = max((onset - start) / 60.0, 1.0)
    after_min = max((end - onset) / 60.0, 1.0)
    counts: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_side: dict[tuple[str, int], list[LogLine]] = defaultdict(list)
    for line in lines:
        by_side[(line.service, 0 if line.ts < onset else 1)].append(line)
    chosen: list[LogLine] = []
    weight: dict[tuple[str, int], float] = {}
    for key, group in by_side.items():
        sampled, weight[key] = _sample(group, MAX_LINES_PER_SERVICE)
        chosen.extend(sampled)
    chosen.sort(key=lambda line: line.ts)
    for line, template in mine_templates(chosen):
        side = 0 if line.ts < onset else 1
        counts[(line.service, template)][side] += weight[(line.service, side)]
        if side and len(examples[(line.service, template)]) < 3:
            examples[(line.service, template)].append(line.text)
    spikes = []
    for (service, template), (before, after) in counts.items():
        rate_before, rate_after = before / before_min, after / after_min
        if after < 3 or rate_after < 1.5 * rate_before + 0.2:
            continue
        error_like = bool(_ERROR_WORDS.search(template))
        new = before == 0
        ratio = (rate_after + 0.1) / (rate_before + 0.1)
        score = min(ratio, 100.0) * (2.0 if error_like else 0.5) * (1.5 if new else 1.0)
        spikes.append(TemplateSpike(service, template, round(rate_before, 2), round(rate_after, 2), new,
                                    error_like, round(score, 2), examples[(service, template)]))
    spikes.sort(key=lambda s: s.score, reverse=True)
    return spikes[:top]
