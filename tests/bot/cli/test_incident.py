"""``andon incident``: list, resolve into the knowledge base (the resolved incident becomes the top
past-incident hit for a paraphrase of it), and feedback."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import open_knowledge
from bot.settings import load_settings
from bot.store import open_store
from knowledge.learning import learned_doc_id
from tests.bot.cli.conftest import Andon, json_out


def test_incident_list(andon: Andon, investigated: dict[str, Any]) -> None:
    [row] = json_out(andon("incident", "list", "--json", data_dir=investigated["data_dir"]))
    assert row["id"] == investigated["incident_id"] and row["status"] == "investigating"
    assert row["root_cause"]["service"] == "checkout" and row["root_cause"]["category"] == "bad_deploy"
    assert (
        json_out(andon("incident", "list", "--status", "resolved", "--json", data_dir=investigated["data_dir"])) == []
    )
    table = andon("incident", "list", data_dir=investigated["data_dir"])
    assert (
        table.exit_code == 0
        and investigated["incident_id"] in table.stdout
        and "bad deploy on checkout" in table.stdout
    )


@pytest.fixture
def kb_data_dir(kb: Any, investigated: dict[str, Any]) -> Path:
    """The investigated incident's data dir with a copy of the session's ingested knowledge base in it."""
    source = Path(kb.client.get_settings().persist_directory).parent
    target = investigated["data_dir"]
    shutil.copytree(source / "chroma", target / "chroma")
    shutil.copy(source / "knowledge.stamp", target / "knowledge.stamp")
    return Path(target)


ROOT_CAUSE = (
    "the nightly catalog reindex job swapped the products search alias onto a freshly created index "
    "that was still empty"
)
FIX = "pointed the alias back at products-v41 and made the job refuse to swap onto an index with zero documents"


def test_resolve_teaches_the_knowledge_base(andon: Andon, investigated: dict[str, Any], kb_data_dir: Path) -> None:
    incident_id = investigated["incident_id"]
    result = andon(
        "incident",
        "resolve",
        incident_id,
        "--root-cause",
        ROOT_CAUSE,
        "--fix",
        FIX,
        "--category",
        "bad_config",
        "--service",
        "catalog",
        "--by",
        "UAPPROVER1",
        "--json",
        data_dir=kb_data_dir,
    )
    document = json_out(result)
    assert document["id"] == learned_doc_id(incident_id) and document["kind"] == "incident"
    assert document["category"] == "bad_config" and document["services"] == ["catalog"]
    assert document["meta"]["root_cause"] == ROOT_CAUSE and document["meta"]["fix"] == FIX

    store = open_store(None, kb_data_dir)
    row = store.get(incident_id)
    assert row is not None and row["status"] == "resolved" and row["root_cause"] == ROOT_CAUSE and row["fix"] == FIX
    assert any(e["event"] == "resolved" and e["by"] == "UAPPROVER1" for e in store.audit_log(incident_id))
    assert store.timeline(incident_id)[-1]["kind"] == "resolved"
    store.db.close()

    kb = open_knowledge(load_settings(data_dir=kb_data_dir))
    hits = kb.search(
        "product search shows no results after the reindexing job moved the alias to an empty index",
        k=5,
        kind="incident",
    )
    assert hits[0].doc_id == learned_doc_id(incident_id), [h.doc_id for h in hits]

    # resolving again replaces the document instead of adding a second one
    again = andon(
        "incident",
        "resolve",
        incident_id,
        "--root-cause",
        ROOT_CAUSE,
        "--fix",
        FIX + " (confirmed)",
        "--category",
        "bad_config",
        "--service",
        "catalog",
        data_dir=kb_data_dir,
    )
    assert again.exit_code == 0 and "learned as past incident" in again.stdout
    kb = open_knowledge(load_settings(data_dir=kb_data_dir))
    ids = [h.doc_id for h in kb.search("reindex job alias swapped onto an empty index", k=10, kind="incident")]
    assert ids.count(learned_doc_id(incident_id)) == 1


def test_resolve_errors_are_clear(andon: Andon, investigated: dict[str, Any]) -> None:
    data_dir = investigated["data_dir"]
    missing = andon("incident", "resolve", "inc-nope", "--root-cause", "x", "--fix", "y", data_dir=data_dir)
    assert missing.exit_code == 2 and "no incident 'inc-nope'" in missing.stderr
    bad = andon(
        "incident",
        "resolve",
        investigated["incident_id"],
        "--root-cause",
        "x",
        "--fix",
        "y",
        "--category",
        "gremlins",
        data_dir=data_dir,
    )
    assert bad.exit_code == 2 and "--category 'gremlins' is not a known category" in bad.stderr
    store = open_store(None, data_dir)
    assert store.get(investigated["incident_id"])["status"] == "investigating", "nothing written on error"  # type: ignore[index]
    store.db.close()


def test_feedback_is_recorded(andon: Andon, investigated: dict[str, Any]) -> None:
    data_dir, incident_id = investigated["data_dir"], investigated["incident_id"]
    ok = andon("incident", "feedback", incident_id, "--helpful", "--by", "UAPPROVER2", data_dir=data_dir)
    assert ok.exit_code == 0 and "was helpful" in ok.stdout
    wrong = andon(
        "incident",
        "feedback",
        incident_id,
        "--wrong",
        "--correct-category",
        "bad_config",
        "--correct-service",
        "catalog",
        "--note",
        "it was the alias swap",
        data_dir=data_dir,
    )
    assert wrong.exit_code == 0 and "correct answer: bad_config, catalog" in wrong.stdout

    store = open_store(None, data_dir)
    with store.db.transaction() as cur:
        rows = cur.execute(
            "SELECT verdict, service, category, note, by_user FROM feedback WHERE incident_id = %s ORDER BY id",
            (incident_id,),
        ).fetchall()
    feedback = [e for e in store.audit_log(incident_id) if e["event"].startswith("feedback:")]
    store.db.close()
    assert [tuple(r) for r in rows][0] == ("helpful", None, None, None, "UAPPROVER2")
    assert tuple(rows[1])[:4] == ("wrong", "catalog", "bad_config", "it was the alias swap")
    assert str(rows[1][4]).startswith("cli")
    assert [e["event"] for e in feedback] == ["feedback:helpful", "feedback:wrong"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "say --helpful or --wrong"),
        (["--helpful", "--correct-service", "catalog"], "go with --wrong"),
        (["--wrong", "--correct-category", "gremlins"], "is not a known category"),
    ],
)
def test_feedback_usage_errors(andon: Andon, investigated: dict[str, Any], args: list[str], message: str) -> None:
    result = andon("incident", "feedback", investigated["incident_id"], *args, data_dir=investigated["data_dir"])
    assert result.exit_code == 2 and message in result.stderr


def test_feedback_for_an_unknown_incident(andon: Andon, tmp_path: Path) -> None:
    result = andon("incident", "feedback", "inc-nope", "--helpful", data_dir=tmp_path / "fresh")
    assert result.exit_code == 2 and "no incident 'inc-nope'" in result.stderr


def test_incident_list_at_80_columns_cuts_no_id(andon: Andon, investigated: dict[str, Any]) -> None:
    """The id is what `andon incident resolve` wants: at 80 columns it stays whole on one line, and the
    columns left out for it are named."""
    text = andon("incident", "list", data_dir=investigated["data_dir"], columns=80).stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert f"│ {investigated['incident_id']} │" in text, text
    assert "not shown at 80 columns: from" in " ".join(text.split())
