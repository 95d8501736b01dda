"""Actuator backends: the code that changes real systems once an action is approved.

Each implements :class:`~tools.sources.base.Actuator` — ``execute(action, service, args, dry_run)``
returning ``{"status": "done" | "dry_run", "detail": …, "undo": …}`` and raising on failure (the
actuator tool turns an exception into an error result). :class:`CompositeActuator` routes each action
to the backend configured for it:

- :class:`~tools.sources.kubeactions.KubernetesActuator`: restart_service, scale_service,
  rollback_deploy, cordon_node (dry runs use the API server's ``dryRun=All``);
- :class:`AlertmanagerActuator`: create_silence;
- :class:`HttpActuator`: toggle_flag (a flag service) and run_automation (hooks named in settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from tools.sources.alertmanager import AlertmanagerSource
from tools.sources.base import Actuator
from tools.sources.kubeactions import KUBERNETES_ACTIONS, ActionError, KubernetesActuator
from tools.sources.prometheus import BackendError
from tools.sources.timespec import parse_duration

__all__ = [
    "ActionError",
    "AlertmanagerActuator",
    "CompositeActuator",
    "HttpActuator",
    "KUBERNETES_ACTIONS",
    "KubernetesActuator",
]

_MAX_SILENCE_S = 7 * 86400.0


class AlertmanagerActuator:
    """create_silence through Alertmanager, matching ``alertname`` and (when given) ``service``."""

    actions = frozenset({"create_silence"})

    def __init__(self, alertmanager: AlertmanagerSource) -> None:
        self.alertmanager = alertmanager

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if action not in self.actions:
            raise ActionError(f"the Alertmanager backend cannot {action}")
        alertname = str(args.get("alertname") or "")
        if not alertname:
            raise ActionError("create_silence needs an alertname")
        duration = parse_duration(args.get("duration", "2h"))
        if not 0 < duration <= _MAX_SILENCE_S:
            raise ActionError(f"silence duration must be between 0 and 7 days, not {args.get('duration')!r}")
        matchers = {"alertname": alertname, **({"service": service} if service else {})}
        shown = ", ".join(f"{k}={v}" for k, v in matchers.items())
        if dry_run:
            return {
                "status": "dry_run",
                "detail": f"would silence {shown} for {duration:.0f}s",
                "undo": "nothing to undo",
            }
        silence_id = self.alertmanager.create_silence(
            matchers, duration, str(args.get("comment") or "silenced by Andon")
        )
        return {
            "status": "done",
            "detail": f"silence {silence_id} on {shown} for {duration:.0f}s",
            "silence_id": silence_id,
            "undo": f"expire the silence: DELETE /api/v2/silence/{silence_id}",
        }


class HttpActuator:
    """toggle_flag against a flag service and run_automation against hooks configured by name."""

    actions = frozenset({"toggle_flag", "run_automation"})

    def __init__(
        self,
        flag_url: str | None = None,
        hooks: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        timeout_s: float = 15.0,
    ) -> None:
        self.flag_url = flag_url.rstrip("/") if flag_url else None
        self.hooks = dict(hooks or {})
        self.client = client or httpx.Client(timeout=timeout_s)

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if action == "toggle_flag":
            return self._toggle_flag(service, args, dry_run)
        if action == "run_automation":
            return self._run_automation(service, args, dry_run)
        raise ActionError(f"the HTTP backend cannot {action}")

    def _send(self, method: str, url: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        """Send ``body``; errors name ``what``, never the URL (hook URLs often carry tokens)."""
        try:
            response = self.client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise BackendError(f"{what}: request failed ({type(exc).__name__})") from exc
        if response.status_code >= 400:
            raise BackendError(f"{what}: answered {response.status_code}: {response.text[:200]}")
        return {"http_status": response.status_code, "response": response.text[:500]}

    def _toggle_flag(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if not self.flag_url:
            raise ActionError("no flag service is configured (set ANDON_FLAG_URL)")
        flag = str(args.get("flag") or "")
        if not flag:
            raise ActionError("toggle_flag needs a flag")
        raw = args.get("enabled", False)
        enabled = raw.strip().lower() in ("true", "1", "yes", "on") if isinstance(raw, str) else bool(raw)
        url = f"{self.flag_url}/flags/{quote(flag, safe='')}"
        state = "on" if enabled else "off"
        undo = f"turn flag {flag} {'off' if enabled else 'on'} again"
        if dry_run:
            return {"status": "dry_run", "detail": f"would turn flag {flag} {state}", "undo": undo}
        sent = self._send("PUT", url, {"enabled": enabled, "service": service}, f"flag service ({flag})")
        return {
            "status": "done",
            "detail": f"flag {flag} turned {state} for {service or 'all services'}",
            "undo": undo,
            **sent,
        }

    def _run_automation(self, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        job = str(args.get("job") or "")
        if job not in self.hooks:
            configured = ", ".join(sorted(self.hooks)) or "none"
            raise ActionError(
                f"unknown automation job {job!r}; configured jobs: {configured} (add it to ANDON_AUTOMATION_HOOKS)"
            )
        body = {"job": job, "service": service, "params": dict(args.get("params") or {})}
        if dry_run:
            return {"status": "dry_run", "detail": f"would trigger job {job}", "undo": "depends on the job"}
        sent = self._send("POST", self.hooks[job], body, f"automation job {job}")
        return {"status": "done", "detail": f"triggered job {job}", "undo": "depends on the job", **sent}


class CompositeActuator:
    """Routes each action to the backend configured for it."""

    def __init__(self, routes: Mapping[str, Actuator]) -> None:
        self.routes = dict(routes)

    @property
    def actions(self) -> list[str]:
        return sorted(self.routes)

    def execute(self, action: str, service: str, args: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        backend = self.routes.get(action)
        if backend is None:
            raise ActionError(
                f"no backend is configured for {action}; this deployment can: "
                f"{', '.join(self.actions) or 'nothing (configure Kubernetes, Alertmanager or hooks)'}"
            )
        return backend.execute(action, service, args, dry_run)
