"""A separate Andon process for the durability tests: ``python -m tests.bot.agent.worker COMMAND JSON``.

``start`` investigates the example and (with ``hold``) stays alive while the approval is pending, so the
test can SIGKILL it; ``resume`` builds a new Investigator on the same data dir / database and resumes
with the given decisions (with ``slow_marker``, the actuator writes that file and then hangs, so the test
can kill the process mid-action). Each prints one JSON line on stdout."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bot.runtime import Investigator
from bot.settings import load_settings
from bot.store import open_store
from tests.support.example_run import alert, approver_policy, investigator


class SlowActuator:
    """Announces it started (a marker file), then takes far longer than the test waits."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker
        self.executed: list[dict[str, Any]] = []

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        self.executed.append({"action": action, "service": service, "args": args, "dry_run": dry_run})
        with self.marker.open("a") as handle:
            handle.write(f"{action} {service}\n")
        time.sleep(120)
        return {"status": "done"}


def build(options: dict[str, Any]) -> Investigator:
    data_dir = Path(options["data_dir"])
    settings = load_settings(data_dir=data_dir, database_url=options.get("database_url"))
    store = open_store(settings.database_url, data_dir)
    inv = investigator(settings, data_dir, store=store, policy=approver_policy(), approval_mode="interactive")
    if options.get("slow_marker"):
        inv.context.sources.actuator = SlowActuator(Path(options["slow_marker"]))
    return inv


def emit(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


def main(command: str, options: dict[str, Any]) -> None:
    inv = build(options)
    if command == "start":
        outcome = inv.start(alert())
        emit(
            {
                "incident_id": outcome.incident_id,
                "waiting": outcome.waiting,
                "proposals": outcome.state["proposals"],
                "pid_ready": True,
            }
        )
        if options.get("hold"):
            time.sleep(600)  # the approval is pending; the test kills this process
    elif command == "resume":
        outcome = inv.resume(options["incident_id"], options["decisions"])
        emit(
            {
                "waiting": outcome.waiting,
                "actions": outcome.state.get("actions", []),
                "executed": getattr(inv.context.sources.actuator, "executed", []),
            }
        )
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
