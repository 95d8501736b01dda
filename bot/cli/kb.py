"""``andon kb``: ingest runbooks and past incidents into Chroma, and search them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console, RenderableType
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from bot.cli.common import console, fail, print_json, settings_or_exit
from bot.cli.tables import Col, fitted_table

if TYPE_CHECKING:
    from knowledge.retrieval import Hit

app = typer.Typer(help="The knowledge base: runbooks and past incidents.", no_args_is_help=True)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(
        None, help="files or folders (default: the bundled knowledge and ANDON_KNOWLEDGE_DIRS)"
    ),
) -> None:
    """Upsert documents by content hash: unchanged files do nothing, changed files replace their chunks,
    deleted files are removed."""
    from bot.runtime import open_knowledge
    from knowledge.documents import DocumentError

    settings = settings_or_exit()
    kb = open_knowledge(settings, ingest=False)
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("ingesting", total=None)
            report = kb.ingest(
                list(paths) if paths else None,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except DocumentError as exc:
        fail(str(exc))
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"removed {report.removed} documents ({report.chunks} chunks written); {kb.count()} chunks in store"
    )


MATCH_WORDS = [(0.9, "strong"), (0.7, "good"), (0.5, "fair"), (0.0, "weak")]
"""The word for a hit's relevance (its share of the best possible score), highest first."""


def match_label(score: float, why: list[str]) -> str:
    """How well a hit matches, in words and as a percentage: ``exact alert`` when it names the alert,
    else strong / good / fair / weak by :func:`knowledge.retrieval.relevance`."""
    from knowledge.retrieval import relevance

    share = relevance(score)
    if "alert name matches" in why:
        return "exact alert (100%)"
    word = next(word for floor, word in MATCH_WORDS if share >= floor)
    return f"{word} ({share * 100:.0f}%)"


@app.command()
def search(
    query: str = typer.Argument(..., help="what to look for (alert text, symptoms, a question)"),
    service: str | None = typer.Option(None, "--service", help="prefer documents about this service"),
    kind: str | None = typer.Option(None, "--kind", help="runbook, incident or doc (a page: kind: doc)"),
    k: int = typer.Option(5, "-k", help="how many results"),
    as_json: bool = typer.Option(
        False, "--json", help='print JSON to stdout (with the raw fused score and "relevance", 0–1)'
    ),
) -> None:
    """Hybrid search (vector + BM25, fused by normalised scores; exact alert names win).

    Results are ranked best first. "match" says how well each one matches:
    100% when both the meaning (vector) and the keyword (BM25) search rank it first,
    less the further its scores fall behind the best: strong ≥ 90%, good ≥ 70%, fair ≥ 50%, weak below;
    "exact alert" when it names the alert in the query."""
    from bot.runtime import open_knowledge
    from knowledge.retrieval import relevance

    if kind not in (None, "runbook", "incident", "doc"):
        fail("--kind must be runbook, incident or doc")
    kb = open_knowledge(settings_or_exit())
    hits = kb.search(query, k=k, service=service, kind=kind)
    if as_json:
        print_json(
            [
                {"rank": index, **h.to_dict(), "relevance": round(relevance(h.score), 3)}
                for index, h in enumerate(hits, start=1)
            ]
        )
        return
    console.print(results_table(console, hits))


RESULT_COLUMNS = (Col("rank", drop=1), Col("match"), Col("kind", drop=3), Col("category", drop=2), Col("title and id"))
"""What a narrow terminal loses first: the rank (the order says it), then the category, then the kind."""


def results_table(console: Console, hits: list[Hit]) -> Table:
    """The hits, best first, fitted to ``console``'s width: ids are never cut, and nothing wraps inside a word."""
    rows: list[list[RenderableType]] = []
    for index, hit in enumerate(hits, start=1):
        title = Text(hit.title)
        title.append(f"\n{hit.doc_id}", style="dim")
        rows.append([str(index), match_label(hit.score, hit.why), hit.kind, hit.category.replace("_", " "), title])
    return fitted_table(
        console,
        RESULT_COLUMNS,
        rows,
        title=f"{len(hits)} result{'' if len(hits) == 1 else 's'}, best first",
        caption="match: 100% = ranked first by both the meaning and the keyword search (see --help)",
    )
