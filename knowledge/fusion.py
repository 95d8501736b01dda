"""Fusing the two searches of a partition — meaning (cosine) and keywords (BM25) — into one score per document.

Each search yields candidate chunks with both scores known (see :mod:`knowledge.partition`). A document
takes the best of its chunks on each side; each side is scaled between its worst and best candidate and the
two are mixed by weight. Unlike reciprocal-rank fusion, a side whose top results are all near-equal noise (the
vector side among 100k synthetic chunks) cannot hand its first place to noise at full weight: the noise's
scores sit close together, so its lead over the right document stays as small as it really is. Measurements
and the choice: ``knowledge/README.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Candidate",
    "Fused",
    "Fusion",
    "Method",
    "fuse",
    "FUSIONS",
    "DEFAULT_FUSION",
    "LEXICAL_WEIGHT",
    "COSINE_FLOOR",
    "RRF_K",
    "RRF_WEIGHTS",
    "BEST_SCORE",
]

Method = Literal["hybrid", "vector", "lexical"]
Fusion = Literal["max", "minmax", "rrf"]

FUSIONS: tuple[Fusion, ...] = ("max", "minmax", "rrf")
"""The fusions the benchmark measures side by side."""
DEFAULT_FUSION: Fusion = "minmax"
"""Best mean hybrid recall@5 on the first labelled set over clean, +10k and +100k chunks filed as runbooks: minmax
0.890, max 0.876, rrf 0.716 (knowledge/README.md); a one-document knowledge base still scores in full."""
LEXICAL_WEIGHT = 0.5
"""Keywords and meaning count alike, set before measuring; 0.6–0.7 gained at most two queries with 100k noise and
lost two to five clean (exploratory runs, knowledge/README.md)."""
COSINE_FLOOR = 0.2
"""``max`` fusion: MiniLM's cosine between unrelated SRE sentences rarely exceeds 0.2; similarity below says nothing."""
RRF_K = 10.0
"""Reciprocal-rank fusion's rank offset (the former fusion, kept for comparison)."""
RRF_WEIGHTS = {"vector": 1.0, "lexical": 0.5}
"""The former fusion's weights: the embedding carried paraphrases, BM25 sharpened exact terms."""
BEST_SCORE = sum(RRF_WEIGHTS.values()) / (RRF_K + 1)
"""The fused score of a document both searches put first (0.136, before metadata boosts): reciprocal-rank
fusion's, kept by every fusion so thresholds on hit scores keep their meaning (``RELATED_MIN_SCORE``)."""


@dataclass
class Candidate:
    """One chunk a search found, with both of its scores."""

    chunk_id: str
    meta: dict[str, Any]
    text: str
    cosine: float
    """Cosine similarity of the chunk's vector to the query's."""
    bm25: float
    """The chunk's BM25 score for the query (0: no query word in it)."""
    vector_rank: int | None = None
    """1-based rank among the vector search's chunks, None when only the keyword search found it."""
    lexical_rank: int | None = None
    """1-based rank among the keyword search's chunks, None when only the vector search found it."""

    @property
    def doc_id(self) -> str:
        return str(self.meta.get("doc_id", self.chunk_id.split("#")[0]))


@dataclass
class Fused:
    """A document's fused relevance (up to :data:`BEST_SCORE` before boosts) and the chunk that speaks for it."""

    score: float
    best: Candidate


def _by_document(candidates: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    docs: dict[str, list[Candidate]] = {}
    for cand in candidates:
        docs.setdefault(cand.doc_id, []).append(cand)
    return docs


def fuse(candidates: list[Candidate], method: Method = "hybrid", fusion: Fusion = DEFAULT_FUSION) -> dict[str, Fused]:
    """Each candidate document's fused score, from the best of its chunks on each side.

    ``max``: BM25 as a share of the best BM25, cosine as a share of the best cosine above :data:`COSINE_FLOOR`;
    ``minmax``: each side scaled between its worst and best candidate; ``rrf``: reciprocal rank, as before."""
    docs = _by_document(candidates)
    if not docs:
        return {}
    names = list(docs)
    if fusion == "rrf":
        return _rrf(docs, method)
    cosines = [max(c.cosine for c in docs[n]) for n in names]
    keywords = [max(c.bm25 for c in docs[n]) for n in names]
    if fusion == "minmax":
        vector_low, lexical_low = min(cosines), min(keywords)
    else:
        vector_low, lexical_low = COSINE_FLOOR, 0.0
    weight = {"hybrid": LEXICAL_WEIGHT, "vector": 0.0, "lexical": 1.0}[method]
    vector_top, lexical_top = max(cosines), max(keywords)

    def score(cosine: float, bm25: float) -> float:
        vector = _share(cosine, vector_low, vector_top)
        lexical = _share(bm25, lexical_low, lexical_top) if lexical_top > 0 else 0.0
        return BEST_SCORE * (weight * lexical + (1 - weight) * vector)

    return {
        name: Fused(score=score(cosine, bm25), best=max(docs[name], key=lambda c: score(c.cosine, c.bm25)))
        for name, cosine, bm25 in zip(names, cosines, keywords, strict=True)
    }


def _share(value: float, low: float, top: float) -> float:
    """``value`` scaled so that ``low`` → 0 and ``top`` → 1; 1.0 for the top when nothing exceeds ``low``."""
    if top <= low:
        return 1.0 if value >= top else 0.0
    return min(1.0, max(0.0, (value - low) / (top - low)))


def _rrf(docs: dict[str, list[Candidate]], method: Method) -> dict[str, Fused]:
    """Reciprocal-rank fusion of each document's rank on each side (the order of its best chunk there), scaled
    so that rank 1 on both sides is :data:`BEST_SCORE`."""
    sides = [side for side in ("vector", "lexical") if method in ("hybrid", side)]
    scores = dict.fromkeys(docs, 0.0)
    for side in sides:
        best = {
            name: min((r for c in chunks if (r := _rank(c, side)) is not None), default=None)
            for name, chunks in docs.items()
        }
        ranked = sorted((rank, name) for name, rank in best.items() if rank is not None)
        for position, (_, name) in enumerate(ranked, start=1):
            scores[name] += RRF_WEIGHTS[side] / (RRF_K + position)
    best_possible = sum(RRF_WEIGHTS[side] for side in sides) / (RRF_K + 1)
    return {name: Fused(score=BEST_SCORE * scores[name] / best_possible, best=docs[name][0]) for name in docs}


def _rank(candidate: Candidate, side: str) -> int | None:
    return candidate.vector_rank if side == "vector" else candidate.lexical_rank
