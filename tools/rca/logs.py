"""Group log lines into templates (drain3) and report templates that are new or spiking at onset."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from tools.rca.params import Params
from tools.rca.records import LogSpike
from tools.redaction import redact
from tools.sources.base import LogLine

__all__ = ["log_template_spikes", "mine_templates", "ERROR_WORDS"]

ERROR_WORDS = re.compile(
    r"(?i)\b(error|exception|fail\w*|fatal|panic|timeout|timed out|refused|denied|"
    r"killed|oom\w*|unavailable|invalid|expired|unreachable|deadlock|crash\w*|5\d\d)\b"
)


_MASKS = [
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "UUID"),
    (r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?", "IP"),
    (
        r"\b(?:0x)?[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b|\b[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\d[0-9a-fA-F]*\b",
        "HEX",
    ),
    (r"\b\d+(?:\.\d+)?(?:ms|s|m|h|kb|mb|gb|kib|mib|gib|%)?\b", "NUM"),
]


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


def mine_templates(lines: list[LogLine], similarity: float = 0.5) -> list[tuple[LogLine, str]]:
    """Pair every line with its drain3 template (one miner per service); ids and numbers are masked first.

    Lines that are identical once masked are mined once: they land in the same cluster anyway.
    """
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    config.drain_sim_th = similarity
    config.parametrize_numeric_tokens = True
    config.masking_instructions = []  # masked here, once per line
    miners: dict[str, Any] = {}
    seen: dict[tuple[str, str], str] = {}
    out = []
    for line in lines:
        masked = _mask(redact(line.text))  # redaction first: masked digits would hide a token's shape
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


def log_template_spikes(
    lines: list[LogLine], onset: float, start: float, end: float, top: int = 10, params: Params | None = None
) -> list[LogSpike]:
    """Templates whose rate after ``onset`` jumped against before it, new and error-like ones first.

    Lines up to ``onset_lead_s`` before the onset count as after it: the onset usually comes from the
    metrics, and a rate over a window, scraped and evaluated every few seconds, dates a change up to a
    minute after the first log line it caused (a release that crashes on start-up logs at once)."""
    params = params or Params()
    if not lines:
        return []
    onset = max(onset - params.onset_lead_s, start)
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
        sampled, weight[key] = _sample(group, params.max_log_lines)
        chosen.extend(sampled)
    chosen.sort(key=lambda line: line.ts)
    for line, template in mine_templates(chosen, params.drain_similarity):
        side = 0 if line.ts < onset else 1
        counts[(line.service, template)][side] += weight[(line.service, side)]
        if side and len(examples[(line.service, template)]) < 3:
            examples[(line.service, template)].append(line.text)
    spikes = []
    for (service, template), (before, after) in counts.items():
        rate_before, rate_after = before / before_min, after / after_min
        if (
            after < params.spike_min_lines
            or rate_after < params.spike_ratio * rate_before + params.spike_margin_per_min
        ):
            continue
        error_like = bool(ERROR_WORDS.search(template))
        new = before == 0
        ratio = (rate_after + params.spike_smoothing_per_min) / (rate_before + params.spike_smoothing_per_min)
        score = min(ratio, params.spike_ratio_cap) * (
            params.spike_error_weight if error_like else params.spike_other_weight
        )
        score *= params.spike_new_weight if new else 1.0
        spikes.append(
            LogSpike(
                service,
                template,
                round(rate_before, 2),
                round(rate_after, 2),
                new,
                error_like,
                round(score, 2),
                examples[(service, template)],
            )
        )
    spikes.sort(key=lambda s: s.score, reverse=True)
    return spikes[:top]
