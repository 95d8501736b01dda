"""``andon audit list``: every proposal, decision and execution — who, when, what, parameters, result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.bot.cli.conftest import Andon, json_out


def test_audit_list_shows_proposal_decision_and_execution(andon: Andon, investigated: dict[str, Any]) -> None:
    entries = json_out(
        andon("audit", "list", "--incident", investigated["incident_id"], "--json", data_dir=investigated["data_dir"])
    )
    events = [(e["event"], e["by"], e["tool"]) for e in entries]
    assert events == [
        ("received", None, None),
        ("proposed", "andon", "rollback_deploy"),
        ("approve", "UAPPROVER1", None),
        ("executing", None, "rollback_deploy"),
        ("executed", None, "rollback_deploy"),
    ]
    received, proposed, approved, executing, executed = entries
    assert "HighErrorRate" in json.dumps(received["args"]), "the trigger as it arrived is kept"
    assert proposed["args"] == {"service": "checkout", "to_version": "v2.13.2"}
    assert investigated["proposal"]["hash"] in proposed["detail"]
    assert approved["args"]["hash"] == investigated["proposal"]["hash"]
    assert executing["detail"] == "approved by UAPPROVER1"
    assert executed["detail"].startswith("roll back checkout")
    assert all(isinstance(e["at"], float) and e["incident_id"] == investigated["incident_id"] for e in entries)
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)


def test_audit_list_table_and_filters(andon: Andon, investigated: dict[str, Any]) -> None:
    result = andon("audit", "list", data_dir=investigated["data_dir"])
    assert result.exit_code == 0
    for text in ("proposed", "UAPPROVER1", "rollback_deploy", "service=checkout", "to_version=v2.13.2", "executed"):
        assert text in result.stdout
    assert json_out(andon("audit", "list", "--incident", "inc-nope", "--json", data_dir=investigated["data_dir"])) == []
    empty = andon("audit", "list", "--incident", "inc-nope", data_dir=investigated["data_dir"])
    assert empty.exit_code == 0 and "no audit entries for inc-nope" in empty.stdout


def test_audit_list_on_a_fresh_data_dir(andon: Andon, tmp_path: Path) -> None:
    assert json_out(andon("audit", "list", "--json", data_dir=tmp_path / "fresh")) == []


def test_audit_list_shows_the_last_demo_labelled(andon: Andon, investigated: dict[str, Any]) -> None:
    """``andon demo`` keeps its log in the lab; ``audit list`` shows it after the store's, labelled apart."""
    from bot.cli.common import demo_store_dir
    from bot.store import open_store
    from evals.cli.demo import DEMO_APPROVER

    data_dir = investigated["data_dir"]
    demo = open_store(None, demo_store_dir(data_dir))
    demo.audit("inc-demo1", "approve", None, {"proposal_id": "p-1"}, "", DEMO_APPROVER)
    demo.audit("inc-demo1", "executed", "rollback_deploy", {"service": "payments"}, "roll back payments")
    demo.db.close()

    entries = json_out(andon("audit", "list", "--json", data_dir=data_dir))
    assert {e["log"] for e in entries if e["incident_id"] == investigated["incident_id"]} == {"andon"}
    assert [(e["event"], e["log"]) for e in entries if e["incident_id"] == "inc-demo1"] == [
        ("approve", "demo"),
        ("executed", "demo"),
    ]
    table = andon("audit", "list", data_dir=data_dir)
    assert table.exit_code == 0
    store_part, demo_part = table.stdout.split("the last andon demo: 2 audit entries")
    assert "UAPPROVER1" in store_part and "inc-demo1" not in store_part
    assert "inc-demo1" in demo_part and DEMO_APPROVER in demo_part and "service=payments" in demo_part
    only = json_out(andon("audit", "list", "--incident", "inc-demo1", "--json", data_dir=data_dir))
    assert [e["event"] for e in only] == ["approve", "executed"]


def test_audit_list_at_80_columns_cuts_no_id(andon: Andon, investigated: dict[str, Any]) -> None:
    text = andon("audit", "list", data_dir=investigated["data_dir"], columns=80).stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count(f"│ {investigated['incident_id']} │") >= 3, text
    assert "not shown at 80 columns: parameters" in " ".join(text.split())
