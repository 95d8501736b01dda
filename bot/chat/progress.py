"""The progress message: one message, updated in place (at most about once a second) as the graph
moves, instead of a flood of thread replies."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.chat.blocks import progress_message
from bot.chat.workspace import Workspace

__all__ = ["ProgressReporter", "stage_label"]

log = logging.getLogger(__name__)

_TOOL_LABELS = (
    ("prometheus", "querying metrics"),
    ("rank_anomalies", "ranking anomalous metrics"),
    ("log", "reading logs"),
    ("k8s", "checking Kubernetes"),
    ("correlate_changes", "correlating recent changes"),
    ("change", "reading recent changes"),
    ("alert", "checking firing alerts"),
    ("runbook", "running runbook checks"),
)


def stage_label(stage: str, info: dict[str, Any]) -> str:
    """What a graph stage means to a person reading the thread."""
    if stage == "tool":
        tool = str(info.get("tool", ""))
        return next((label for key, label in _TOOL_LABELS if key in tool), f"running {tool}")
    labels = {
        "intake": "reading the report",
        "retrieving": "retrieving runbooks and past incidents",
        "investigating": "planning the next checks",
        "ranking hypotheses": "ranking hypotheses",
        "proposing": f"proposing fixes ({info.get('count', 0)})",
        "acting": f"running {info.get('tool', 'the action')}",
        "verifying": "verifying the symptoms cleared",
        "report": "writing the report",
    }
    return labels.get(stage, stage)


class ProgressReporter:
    """The graph's ``progress`` callback for one investigation: records steps and updates one message."""

    def __init__(
        self,
        workspace: Workspace,
        channel: str,
        ts: str,
        incident: dict[str, Any],
        min_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workspace, self.channel, self.ts, self.incident = workspace, channel, ts, incident
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.steps: list[str] = []
        self.started = clock()
        self._last_update = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, stage: str, info: dict[str, Any]) -> None:
        label = stage_label(stage, info)
        with self._lock:
            if self.steps and self.steps[-1].split(" ×")[0] == label:
                count = int(self.steps[-1].split(" ×")[1]) + 1 if " ×" in self.steps[-1] else 2
                self.steps[-1] = f"{label} ×{count}"
            else:
                self.steps.append(label)
            if self.clock() - self._last_update < self.min_interval_s:
                return  # throttled: the next stage or finish() shows it
            self._last_update = self.clock()
            steps = list(self.steps)
        self._send(progress_message(self.incident, steps))

    def finish(self) -> None:
        self._send(progress_message(self.incident, self.steps, done=True, elapsed_s=self.clock() - self.started))

    def fail(self, error: str) -> None:
        self._send(progress_message(self.incident, self.steps, failed=error))

    def _send(self, blocks: list[dict[str, Any]]) -> None:
        try:
            self.workspace.update(self.channel, self.ts, blocks)
        except Exception as exc:  # progress is best effort; the RCA card still follows
            log.warning("progress update failed: %s", exc)
