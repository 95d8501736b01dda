"""``andon kb``: ingest runbooks and past incidents into Chroma, and search them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from bot.cli.common import console, fail, print_json, settings_or_exit

app = typer.Typer(help="The knowledge base: runbooks and past incidents.", no_args_is_help=True)


@app.command()
def ingest(paths: list[Path] = typer.Argument(None, help="files or folders (default: the bundled knowledge and "
                                              "ANDON_KNOWLEDGE_DIRS)")) -> None:
    """Upsert documents by content hash: unchanged files do nothing, changed files replace their chunks,
    deleted files are removed."""
    from bot.runtime import open_knowledge
    from knowledge.documents import DocumentError

    settings = settings_or_exit()
    kb = open_knowledge(settings, ingest=False)
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("ingesting", total=None)
            report = kb.ingest(list(paths) if paths else None,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    except DocumentError as exc:
        fail(str(exc))
    console.print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                  f"removed {report.removed} documents ({report.chunks} chunks written); {kb.count()} chunks in store")


@app.command()
def search(query: str = typer.Argument(..., help="what to look for (alert text, symptoms, a question)"),
           service: str | None = typer.Option(None, "--service", help="prefer documents about this service"),
           kind: str | None = typer.Option(None, "--kind", help="runbook or incident"),
           k: int = typer.Option(5, "-k", help="how many results"),
           as_json: bool = typer.Option(False, "--json", help="print JSON to stdout")) -> None:
    """Hybrid search (vector + BM25, fused by reciprocal rank; exact alert names win)."""
    from bot.runtime import open_knowledge

    if kind not in (None, "runbook", "incident"):
        fail("--kind must be runbook or incident")
    kb = open_knowledge(settings_or_exit())
    hits = kb.search(query, k=k, service=service, kind=kind)
    if as_json:
        print_json([h.to_dict() for h in hits])
        return
    table = Table(title=f"{len(hits)} results")
    for column in ("#", "id", "kind", "title", "category", "score"):
        table.add_column(column, overflow="fold")
    for index, hit in enumerate(hits, start=1):
        table.add_row(str(index), hit.doc_id, hit.kind, hit.title, hit.category, f"{hit.score:.3f}")
    console.print(table)
