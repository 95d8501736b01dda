"""The labelled retrieval set (``evals/retrieval/*.yaml``): recall@1, recall@5 and MRR per method.

``queries.yaml`` holds the first set; ``incidents.yaml`` queries as incidents reach Andon (alert notifications
with their labels, first messages in an incident thread). The documents in ``evals/retrieval/distractors`` —
wiki pages that repeat runbooks' words, runbooks for neighbouring faults — belong to the set: every measurement
searches a knowledge base that holds them (:func:`distractor_dir`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

__all__ = ["run_retrieval_eval", "load_queries", "distractor_dir", "QUERY_FILES"]

QUERY_FILES = ("queries.yaml", "incidents.yaml")
"""The labelled sets, in ``evals/retrieval``."""


def distractor_dir() -> Path:
    """Near-duplicate distractor documents, ingested with the bundled knowledge whenever the set is measured."""
    return Path(__file__).parent / "retrieval" / "distractors"


def load_queries(path: Path | None = None) -> list[dict[str, Any]]:
    """Every labelled query (of one file when ``path`` is given), each tagged with its ``set`` (the file's stem)."""
    files = [path] if path else [Path(__file__).parent / "retrieval" / name for name in QUERY_FILES]
    items: list[dict[str, Any]] = []
    for file in files:
        data = yaml.safe_load(file.read_text())
        if not isinstance(data, list):
            raise ValueError(f"{file}: expected a list of {{query, relevant}} entries")
        items += [{**entry, "set": file.stem} for entry in data]
    return items


def run_retrieval_eval(
    settings: Settings, kb: Any = None, queries: list[dict[str, Any]] | None = None, fusion: str | None = None
) -> dict[str, Any]:
    """Recall and MRR of each method on ``queries`` (default: all), searching runbooks the way an investigation
    does (with the alert name and service an entry carries). A ``kb`` passed in must hold the distractors."""
    from bot.runtime import open_knowledge

    items = queries or load_queries()
    options = {"fusion": fusion} if fusion else {}
    with tempfile.TemporaryDirectory(prefix="andon-retrieval-") as tmp:
        base = kb
        if base is None:
            base = open_knowledge(settings.model_copy(update={"data_dir": Path(tmp)}))
            base.ingest([distractor_dir()])
        result: dict[str, Any] = {"queries": len(items)}
        for method in ("vector", "lexical", "hybrid"):
            r1 = r5 = mrr = 0.0
            misses = []
            found: dict[str, list[bool]] = {}
            for item in items:
                relevant = set(item["relevant"])
                hits = [
                    h.doc_id
                    for h in base.search(
                        str(item["query"]),
                        k=10,
                        kind="runbook",
                        method=method,
                        alertname=item.get("alertname"),
                        service=item.get("service"),
                        **options,
                    )
                ]
                rank = next((i for i, d in enumerate(hits, start=1) if d in relevant), None)
                r1 += rank == 1
                r5 += rank is not None and rank <= 5
                mrr += 1.0 / rank if rank else 0.0
                found.setdefault(str(item.get("set", "")), []).append(rank is not None and rank <= 5)
                if method == "hybrid" and (rank is None or rank > 5):
                    misses.append(item["query"])
            n = max(len(items), 1)
            result[method] = {"recall@1": round(r1 / n, 4), "recall@5": round(r5 / n, 4), "mrr": round(mrr / n, 4)}
            result.setdefault("recall@5_by_set", {})[method] = {
                name: round(sum(hit) / len(hit), 4) for name, hit in found.items()
            }
        result["hybrid_misses"] = misses
        return result
