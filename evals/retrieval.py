"""The labelled retrieval set (``evals/retrieval/queries.yaml``): recall@1, recall@5 and MRR per method."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

__all__ = ["run_retrieval_eval", "load_queries"]


def load_queries(path: Path | None = None) -> list[dict[str, Any]]:
    file = path or Path(__file__).parent / "retrieval" / "queries.yaml"
    data = yaml.safe_load(file.read_text())
    if not isinstance(data, list):
        raise ValueError(f"{file}: expected a list of {{query, relevant}} entries")
    return data


def run_retrieval_eval(settings: Settings, kb: Any = None, queries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from bot.runtime import open_knowledge

    items = queries or load_queries()
    with tempfile.TemporaryDirectory(prefix="andon-retrieval-") as tmp:
        base = kb or open_knowledge(settings.model_copy(update={"data_dir": Path(tmp)}))
        result: dict[str, Any] = {"queries": len(items)}
        for method in ("vector", "lexical", "hybrid"):
            r1 = r5 = mrr = 0.0
            misses = []
            for item in items:
                relevant = set(item["relevant"])
                hits = [h.doc_id for h in base.search(str(item["query"]), k=10, kind="runbook", method=method)]
                rank = next((i for i, d in enumerate(hits, start=1) if d in relevant), None)
                r1 += rank == 1
                r5 += rank is not None and rank <= 5
                mrr += 1.0 / rank if rank else 0.0
                if method == "hybrid" and (rank is None or rank > 5):
                    misses.append(item["query"])
            n = max(len(items), 1)
            result[method] = {"recall@1": round(r1 / n, 4), "recall@5": round(r5 / n, 4), "mrr": round(mrr / n, 4)}
        result["hybrid_misses"] = misses
        return result
