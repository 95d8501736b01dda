"""Parse runbooks and past incidents: Markdown with YAML front matter, validated, chunked by heading."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator

from knowledge.taxonomy import categories

__all__ = [
    "Check",
    "Action",
    "Document",
    "Kind",
    "Runbook",
    "Chunk",
    "parse_document",
    "load_documents",
    "DocumentError",
]


class DocumentError(ValueError):
    """A runbook or incident file that cannot be used, with the file and the problem named."""


class Check(BaseModel):
    """A declarative telemetry check the rules reasoner runs for a candidate service."""

    name: str
    metric: str | None = None
    log: str | None = None
    change: str | None = None
    kubernetes: str | None = None
    expect: str = "up"
    weight: float = Field(1.0, ge=0.0, le=5.0)
    within: str = "30m"
    query: str | None = None
    later: bool = False
    """What the fault brings about only later in its course (the OOM kill a leak ends in): absent, it is not
    evidence against the runbook, only not yet evidence for it."""
    of: Literal["self", "callers"] = "self"
    """Whose evidence the check reads: the candidate service's own, or its callers' (a server's expired
    certificate shows in its clients' handshake errors and logs, not in its own)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Check:
        kinds = [k for k in ("metric", "log", "change", "kubernetes") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(
                f"check {self.name!r} needs exactly one of metric, log, change, kubernetes (has {kinds or 'none'})"
            )
        if self.log:
            try:
                re.compile(self.log)
            except re.error as exc:
                raise ValueError(f"check {self.name!r}: bad log regex: {exc}") from exc
        if not re.fullmatch(r"up|down|started|rising|(above|below):-?[\d.]+(e-?\d+)?", self.expect):
            raise ValueError(f"check {self.name!r}: expect must be up, down, started, rising, above:<n> or below:<n>")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("metric", "log", "change", "kubernetes") if getattr(self, k))


Fact = Literal[
    "deployed",
    "release_began",
    "rotated",
    "renewed",
    "node",
    "flag",
    "config",
    "overloaded",
    "crashing",
    "datastore",
    "scaled_down",
    "skewed",
    "migrated",
    "resolver",
]
"""What an investigation may have established about the leading cause's service: a release went out
(``deployed``) and the trouble began with it (``release_began``), a new secret exists (``rotated``), a
new certificate was issued (``renewed``), the trouble is one node's (``node``), a flag or config changed
(``flag``, ``config``), it sends the load that overloads another (``overloaded``), its pods crash-loop
(``crashing``), it keeps shared state (``datastore``), its replicas were cut (``scaled_down``), its work piled onto
a few of its pods (``skewed``), a migration of it or of what it calls came with the
trouble (``migrated``), it is a DNS server (``resolver``)."""


class Action(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    risk: Literal["read", "write", "destructive"] = "write"
    effect: str = ""
    undo: str = ""
    when: list[Fact] = Field(default_factory=list)
    """Offered only when all of these were established."""
    unless: list[Fact] = Field(default_factory=list)
    """Not offered when any of these was established."""


Kind = Literal["runbook", "incident", "doc"]
"""What a document is: a runbook (what to do), a past incident (what happened), or any other page (a wiki
page, a design note): retrieved for context, never in place of a runbook."""


class Document(BaseModel):
    """A runbook, a past incident or another page: front-matter fields plus the Markdown body."""

    id: str
    kind: Kind
    title: str
    category: str = Field("", validate_default=True)
    """One key of ``categories.yaml``; a ``doc`` may have none."""
    services: list[str] = Field(default_factory=lambda: ["*"])
    alerts: list[str] = Field(default_factory=list)
    symptoms: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    body: str = ""
    path: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("kind") != "doc":
            raise ValueError("a runbook or an incident needs a category; see knowledge/categories.yaml")
        if value and value not in categories():
            raise ValueError(f"unknown category {value!r}; see knowledge/categories.yaml")
        return value

    @field_validator("services", "alerts", "symptoms", "tags", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value]

    def content_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json(exclude={"path"}).encode()).hexdigest()[:16]

    def header_text(self) -> str:
        """Title, alerts, symptoms and tags: what every chunk of the document carries."""
        parts = [self.title, " ".join(self.alerts), "; ".join(self.symptoms), " ".join(self.tags)]
        if self.kind == "incident":
            parts += [str(self.meta.get("root_cause", "")), str(self.meta.get("fix", ""))]
        return "\n".join(p for p in parts if p)


class Runbook(Document):
    checks: list[Check] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)


class Chunk(BaseModel):
    id: str
    doc_id: str
    text: str
    heading: str
    metadata: dict[str, str | int | float | bool]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


def parse_document(text: str, path: str = "<text>") -> Document:
    """A :class:`Runbook` or incident :class:`Document` from Markdown with front matter."""
    match = _FRONT.match(text)
    if not match:
        raise DocumentError(f"{path}: no YAML front matter (the file must start with a '---' block)")
    try:
        front = yaml.load(match.group(1), Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(front, dict):
        raise DocumentError(f"{path}: front matter must be a mapping")
    doc_id = str(front.get("id", ""))
    kind: Kind = (
        "doc"
        if front.get("kind") == "doc" or doc_id.startswith("doc-")
        else "runbook"
        if doc_id.startswith("rb-") or "checks" in front or "actions" in front
        else "incident"
    )
    known = set(Runbook.model_fields) - {"body", "path", "meta", "kind"}
    fields = {k: v for k, v in front.items() if k in known}
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in front.items() if k not in known}
    try:
        model = Runbook if kind == "runbook" else Document
        return model(kind=kind, body=match.group(2).strip(), path=path, meta=meta, **fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise DocumentError(f"{path}: {problems}") from exc


def load_documents(paths: list[Path]) -> list[Document]:
    """Every ``*.md`` document under ``paths`` (files or folders); README files are skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*.md") if p.name.lower() != "readme.md" and "model" not in p.parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise DocumentError(f"{path}: no such file or folder")
    docs = [parse_document(f.read_text(encoding="utf-8"), str(f)) for f in files]
    seen: dict[str, str] = {}
    for doc in docs:
        if doc.id in seen:
            raise DocumentError(f"{doc.path}: id {doc.id!r} already used by {seen[doc.id]}")
        seen[doc.id] = doc.path
    return docs


def chunk_document(doc: Document, max_chars: int = 1500) -> list[Chunk]:
    """One summary chunk (title, alerts, symptoms, tags; root cause and fix for incidents), then one chunk
    per ``##`` section of the body, each prefixed by the title so it stands on its own."""
    fields: dict[str, str | int | float | bool] = {
        "doc_id": doc.id,
        "kind": doc.kind,
        "title": doc.title,
        "category": doc.category,
        "services": ",".join(doc.services),
        "alerts": ",".join(doc.alerts),
        "heading": "summary",
        "hash": doc.content_hash(),
        "path": doc.path,
    }
    # an empty field is left out: Chroma stores each metadata key of each chunk as a row, part of every add's cost
    metadata = {key: value for key, value in fields.items() if value != ""}
    chunks = [Chunk(id=f"{doc.id}#0", doc_id=doc.id, text=doc.header_text(), heading="summary", metadata=metadata)]
    sections = [s for s in re.split(r"(?m)^(?=#{1,3} )", doc.body) if s.strip()] if doc.body else []
    for index, section in enumerate(sections, start=1):
        heading = section.strip().splitlines()[0].lstrip("# ").strip()
        body = section.strip()
        if body.startswith("#"):
            body = body.split("\n", 1)[1].strip() if "\n" in body else ""
        if not body:
            continue
        text = f"{doc.title} — {heading}\n{body}"[:max_chars]
        chunks.append(
            Chunk(
                id=f"{doc.id}#{index}",
                doc_id=doc.id,
                text=text,
                heading=heading,
                metadata={**metadata, "heading": heading},
            )
        )
    return chunks
