"""The demo's terminal view: an experiment's events rendered as the incident thread would read in
Slack — the page, Andon's acknowledgement and progress, the RCA card, the proposed fix, the named
approval, the action, the verification and the resolution."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.charts.sparkline import spark_key
from bot.report_view import distinct_evidence, log_examples, readable, related_incidents, shorten

__all__ = ["SlackTranscript"]

_STEPS = {
    "retrieving": "searching runbooks and past incidents",
    "ranking hypotheses": "ranking hypotheses",
    "proposing": "drafting a fix",
}


class SlackTranscript:
    """Call with ``(stage, data)`` events from :class:`evals.lab.experiment.Experiment`."""

    def __init__(
        self, console: Console, approver_label: str = "demo-approver (auto)", channel: str = "#incidents"
    ) -> None:
        self.console = console
        self.approver_label = approver_label
        self.channel = channel
        self._tools: list[str] = []

    def __call__(self, stage: str, data: dict[str, Any]) -> None:
        handler = getattr(self, f"_on_{stage}", None)
        if handler is not None:
            handler(data)

    # ----- helpers -----
    def _post(self, author: str, body: Any, style: str = "white", title_note: str = "") -> None:
        """A message in the thread, headed like Slack's: who, what kind of message, and when it was posted."""
        title = Text(author, style="bold")
        title.append(f" · {title_note + ' · ' if title_note else ''}posted {time.strftime('%H:%M:%S')}", style="dim")
        self.console.print(Panel(body, title=title, title_align="left", border_style=style, expand=True))

    def _line(self, text: str) -> None:
        self.console.print(f"  [dim]{time.strftime('%H:%M:%S')}[/] {text}")

    # ----- lab -----
    def _on_baseline(self, data: dict[str, Any]) -> None:
        self._line(f"lab: letting the system run healthy for {data['seconds']} s (a baseline to compare against)")

    def _on_noise(self, data: dict[str, Any]) -> None:
        detail = data.get("detail", {})
        self._line(f"lab: decoy — {data['service']} deployed {detail.get('version')} (harmless: log format only)")

    def _on_injected(self, data: dict[str, Any]) -> None:
        self._line(f"lab: [bold red]injected {data['fault']}[/] into [bold]{data['service']}[/] — {data['title']}")

    def _on_no_alert(self, data: dict[str, Any]) -> None:
        if data.get("expected"):
            self._line("lab: no page — the change was harmless and nothing alerted, as it should be")
        else:
            self._line("[red]lab: no alert arrived[/]")

    # ----- the thread -----
    def _on_alert(self, data: dict[str, Any]) -> None:
        body = Text.from_markup(
            f"[bold red]🔴 [FIRING] {data['alertname']}[/] · service=[bold]{data['service']}[/]\n"
            f"{data.get('summary', '')}"
        )
        self._post(f"Alertmanager → {self.channel}", body, "red")

    def _on_progress(self, data: dict[str, Any]) -> None:
        step = data.get("step")
        if step == "intake":
            self._post("Andon", "👀 On it — investigating. I'll post findings in this thread.", "cyan", "acknowledged")
        elif step == "tool":
            self._tools.append(str(data.get("tool")))
        elif step == "investigating" and self._tools:
            self._line(f"⏳ Andon: looked at {', '.join(dict.fromkeys(self._tools))}")
            self._tools = []
        elif step in _STEPS:
            if self._tools:
                self._line(f"⏳ Andon: looked at {', '.join(dict.fromkeys(self._tools))}")
                self._tools = []
            self._line(f"⏳ Andon: {_STEPS[str(step)]}")
        elif step == "acting":
            self._line(f"⚙️  Andon: executing {data.get('tool')} …")
        elif step == "verifying":
            self._line("🔎 Andon: watching the metrics for recovery …")

    def _on_rca(self, data: dict[str, Any]) -> None:
        state = data["state"]
        hypotheses = state.get("hypotheses", [])
        if not hypotheses:
            self._post("Andon", "I could not form a hypothesis: no telemetry answered.", "yellow", "RCA")
            return
        best = hypotheses[0]
        examples = log_examples(state.get("calls", []))
        body = Text("Root cause: ", style="bold")
        body.append(best["service"], style="bold")
        body.append(
            f" — {best['category'].replace('_', ' ')} (confidence {best['confidence'] * 100:.0f}%)\n"
            f"{best.get('summary', '')}\n\n"
        )
        body.append("Evidence", style="bold")
        sparklines = data.get("sparklines") or {}
        for item in distinct_evidence(best.get("evidence", []))[:6]:
            supports = item.get("supports", True)
            text = readable(str(item["summary"]), examples).lstrip("✓✗ ")
            body.append(f"\n {'✓' if supports else '✗'} [{item.get('call_id')}] {shorten(text, 150)}")
            if sparklines.get(spark_key(item)):
                body.append(f" {sparklines[spark_key(item)]}", style="cyan")
        others = [
            f"{h['category'].replace('_', ' ')} on {h['service']} ({h['confidence'] * 100:.0f}%)"
            for h in hypotheses[1:3]
        ]
        if others:
            body.append("\n\nAlso considered: " + "; ".join(others), style="dim")
        runbook = next(iter(state.get("runbooks", [])), None)
        similar = next(iter(related_incidents(state.get("similar", []), best)), None)
        if runbook:
            body.append(f"\nRunbook: {runbook.get('title')} ({runbook.get('doc_id')})", style="dim")
        if similar:
            body.append(
                f"\nSimilar past incident: {similar.get('title')} ({similar.get('doc_id')}) — {similar['matched']}",
                style="dim",
            )
        self._post("Andon", body, "cyan", f"RCA for {data['incident_id']}")
        for proposal in state.get("proposals", [])[:3]:
            args = ", ".join(f"{k}={v}" for k, v in proposal["args"].items())
            card = (
                f"[bold]{proposal['tool']}[/]({args})   risk: [bold]{proposal['risk']}[/]\n"
                f"Effect: {proposal.get('effect', '')}\nUndo: {proposal.get('undo', '')}\n"
                f"[reverse green] Approve [/]  [reverse red] Reject [/]"
            )
            self._post("Andon", Text.from_markup(card), "yellow", "proposed fix — needs approval")

    def _on_approved(self, data: dict[str, Any]) -> None:
        proposal = data["proposal"]
        args = ", ".join(f"{k}={v}" for k, v in proposal["args"].items())
        self._post(self.approver_label, f"✅ Approved {proposal['tool']}({args})", "green", "clicked Approve")

    def _on_verified(self, data: dict[str, Any]) -> None:
        action = data.get("action") or {}
        verification = data.get("verification") or {}
        if action:
            status = action.get("status")
            mark = "✅" if status == "executed" else "⚠️"
            ran_at = (
                f" (finished {time.strftime('%H:%M:%S', time.localtime(float(action['at'])))})"
                if action.get("at")
                else ""
            )
            self._post(
                "Andon",
                Text(f"{mark} {action.get('tool')} {status}{ran_at}: {action.get('result') or action.get('decision')}"),
                "green" if status == "executed" else "yellow",
                "action result",
            )
        if verification.get("checked"):
            ok = verification.get("recovered")
            self._post(
                "Andon",
                f"{'✅ Recovered' if ok else '❌ Not recovered'} — {verification.get('detail')}",
                "green" if ok else "red",
                "verification",
            )

    def _on_resolved(self, data: dict[str, Any]) -> None:
        lines = ["🟢 Incident resolved."]
        if data.get("learned_doc"):
            lines.append(f"Written back to the knowledge base as past incident {data['learned_doc']}.")
        self._post("Andon", "\n".join(lines), "green", "resolved")
        if data.get("alert_resolved_at"):
            self._post(f"Alertmanager → {self.channel}", "🟢 [RESOLVED] the alert cleared", "green")
