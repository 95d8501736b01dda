"""Andon's knowledge base: runbooks and past incidents, parsed, embedded offline, stored in Chroma,
and retrieved by hybrid (vector + BM25) search."""

from knowledge.documents import Document, Runbook, load_documents, parse_document
from knowledge.taxonomy import CATEGORIES

__all__ = ["CATEGORIES", "Document", "Runbook", "load_documents", "parse_document"]
