"""``andon lab status`` at 80 columns: no service, version, fault or flag name is cut; the port, the replicas
wanted and the restarts make room, in that order, and the caption says so (a golden copy). ``andon lab
faults`` at 80 columns cuts no fault or fix name."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from rich.console import Console

from evals.cli.lab import services_table

GOLDEN = Path(__file__).parent / "golden" / "lab-status.80.txt"


def _service(
    port: int, version: str, flags: dict[str, bool], faults: dict[str, Any] | None = None, restarts: int = 0
) -> dict[str, Any]:
    return {
        "version": version,
        "replicas": 1,
        "flags": flags,
        "faults": faults or {},
        "port": port,
        "restarts": restarts,
        "running": 1,
    }


SERVICES = {
    "gateway": _service(19110, "1.9.1", {"compress-responses": True}),
    "checkout": _service(19120, "3.3.0-rc1", {"new-tax-engine": False, "express-checkout": True}, {"error_rate": 0.35}),
    "payments": _service(19130, "2.3.1", {"3ds-challenge": True}),
    "inventory": _service(19140, "1.4.7", {"reservation-ttl-v2": True}, restarts=12),
    "db": _service(19150, "14.2", {}, {"pool_size": 2, "hold_s": 1.5}),
    "worker": _service(19160, "1.5.0", {"batch-acks": False}, {"process_s": 0.8}),
}


def _render(width: int) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False, file=io.StringIO())
    console.print(services_table(console, SERVICES))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def test_lab_status_at_80_columns_matches_the_golden_copy() -> None:
    """Regenerate with UPDATE_GOLDEN=1 after an intended change, and read the diff."""
    text = _render(80)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for name, service in SERVICES.items():
        row = re.search(rf"│ {name}\s+│ {re.escape(service['version'])}\s+│", text)
        assert row, f"{name} and its version whole on one line"
    for word in ("compress-responses", "reservation-ttl-v2", "express-checkout", "error_rate=0.35", "hold_s=1.5"):
        assert re.search(rf"[│ ]{re.escape(word)}[,│ ]", text), word
    assert "not shown at 80 columns: port, replicas" in " ".join(text.split())
    assert "…" not in text


def test_a_wide_terminal_shows_every_column() -> None:
    text = _render(140)
    header = next(line for line in text.splitlines() if "service" in line)
    assert [
        h
        for h in ("service", "port", "version", "replicas", "running", "restarts", "faults", "flags on")
        if h not in header
    ] == []
    assert "not shown" not in text and "│ 12 " in text


def test_lab_faults_at_80_columns_cuts_no_fault_or_fix_name() -> None:
    from typer.testing import CliRunner

    from andon.main import app
    from evals.lab.faults import FAULTS

    text = CliRunner().invoke(app, ["lab", "faults"], env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    for fault in FAULTS.values():
        assert re.search(rf"│ {re.escape(fault.name)}\s+│", text), fault.name
        if fault.action:
            assert re.search(rf"│ {re.escape(fault.action)}\s+│", text), fault.action
