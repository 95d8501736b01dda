"""Synthetic knowledge-base noise for the retrieval benchmark: SRE-flavoured chunks (postmortem notes,
ticket excerpts, alert chatter) naming the same services and symptoms as the real runbooks.

Embedding 100k chunks with the offline model would take most of an hour on 2 cores, so each synthetic
chunk is three real sentences ("fragments") and its vector is the normalised mean of the fragments'
real MiniLM vectors. The benchmark reports how close that is to embedding the chunk itself."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

__all__ = ["fragments", "compose", "SyntheticCorpus"]

SERVICES = [
    "checkout",
    "payments",
    "gateway",
    "inventory",
    "search",
    "auth",
    "cart",
    "orders",
    "shipping",
    "worker",
    "notifications",
    "catalog",
    "orders-db",
    "redis-cache",
    "kafka",
    "billing",
    "ledger",
    "profile-api",
    "media-store",
    "recommendations",
    "fraud-scorer",
    "pricing",
    "session-host",
    "geo-service",
]
SIGNALS = [
    "p99 latency",
    "5xx error rate",
    "CPU throttling",
    "memory usage",
    "connection pool wait time",
    "consumer lag",
    "disk usage",
    "GC pause time",
    "queue depth",
    "TLS handshake failures",
    "replication lag",
    "request rate",
    "pod restarts",
    "DNS lookup time",
    "cache hit ratio",
]
TEMPLATES = [
    "{svc} {sig} went up after the {hour}:{minute} change window",
    "on-call noted {sig} on {svc} was within normal range all week",
    "ticket: customers report slow pages while {svc} shows elevated {sig}",
    "postmortem action item: add a dashboard panel for {svc} {sig}",
    "capacity review says {svc} needs {n} more replicas before the sale",
    "the {svc} team rotated credentials and redeployed version 2.{n}.{minute}",
    "{svc} logs are full of timeouts talking to {other}",
    "weekly report: {svc} availability was 99.{n}% with {sig} stable",
    "standup: {svc} migration to the new cluster is {n} percent done",
    "alert {svc}{Sig} flapped {n} times overnight without user impact",
    "a load test against {svc} pushed {sig} to {n}00 ms at peak",
    "{other} depends on {svc} for every request on the checkout path",
    "feature flag {flag} was enabled for {n} percent of {svc} traffic",
    "runbook draft: if {svc} {sig} climbs, look at {other} first",
    "the {svc} deploy pipeline failed on a flaky integration test",
    "node pool upgrade drained {svc} pods in zone {zone}",
]


def fragments(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct sentences from the templates (deterministic for a seed)."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        svc, other = rng.sample(SERVICES, 2)
        sig = rng.choice(SIGNALS)
        text = rng.choice(TEMPLATES).format(
            svc=svc,
            other=other,
            sig=sig,
            Sig="".join(w.title() for w in sig.split()).replace("-", ""),
            hour=rng.randint(0, 23),
            minute=f"{rng.randint(0, 59):02d}",
            n=rng.randint(2, 9),
            flag=f"{svc}-{rng.choice(['v2', 'beta', 'fastpath', 'newcache'])}",
            zone=rng.choice("abc"),
        )
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


@dataclass
class SyntheticCorpus:
    texts: list[str]
    vectors: np.ndarray
    """(n, 384) float32, unit length."""
    combos: list[tuple[int, int, int]]


def compose(fragment_vectors: np.ndarray, fragment_texts: list[str], count: int, seed: int = 11) -> SyntheticCorpus:
    """``count`` distinct chunks, each three fragments; vector = normalised mean of the fragments' vectors."""
    rng = np.random.default_rng(seed)
    n = len(fragment_texts)
    seen: set[tuple[int, int, int]] = set()
    combos: list[tuple[int, int, int]] = []
    while len(combos) < count:
        for row in rng.integers(0, n, size=(count - len(combos), 3)):
            key = (int(row[0]), int(row[1]), int(row[2]))
            if len(set(key)) == 3 and key not in seen:
                seen.add(key)
                combos.append(key)
    index = np.array(combos)
    vectors = fragment_vectors[index].mean(axis=1)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    texts = [". ".join(fragment_texts[i] for i in combo) + "." for combo in combos]
    return SyntheticCorpus(texts=texts, vectors=vectors.astype(np.float32), combos=combos)
