"""Real Prometheus and Alertmanager for the lab: their configuration files and command lines.

Prometheus scrapes every replica (file-based discovery the supervisor rewrites when it scales; each
target labelled ``job`` = its service and ``namespace``, as Kubernetes service discovery relabels them)
and the supervisor's cAdvisor and kube-state-metrics series, evaluates ``alert-rules.yml`` every 2 s —
no recording rules: Andon reads the standard names as they are — and sends alerts to Alertmanager, which
routes them to Andon's webhook receiver.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from evals.lab.state import write_json
from evals.lab.topology import NAMESPACE, LabLayout

__all__ = [
    "RULE_FILES",
    "find_binary",
    "write_configs",
    "write_targets",
    "prometheus_command",
    "alertmanager_command",
    "BINARIES",
    "MissingBinary",
]

RULE_FILES = (Path(__file__).with_name("alert-rules.yml"),)
BINARIES = {
    "prometheus": ("prometheus", "/usr/bin/prometheus"),
    "alertmanager": ("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager"),
}
INSTALL_HINT = "apt-get install prometheus prometheus-alertmanager"


class MissingBinary(RuntimeError):
    pass


def find_binary(which: str) -> str:
    name, default = BINARIES[which]
    found = shutil.which(name) or (shutil.which("alertmanager") if which == "alertmanager" else None)
    if found:
        return found
    if os.access(default, os.X_OK):
        return default
    raise MissingBinary(f"{name} is not installed: {INSTALL_HINT}")


def write_configs(layout: LabLayout, webhook_url: str) -> None:
    """prometheus.yml (with the rule files) and alertmanager.yml under the lab directory."""
    layout.prometheus_dir.mkdir(parents=True, exist_ok=True)
    layout.alertmanager_dir.mkdir(parents=True, exist_ok=True)
    prometheus: dict[str, Any] = {
        "global": {"scrape_interval": "2s", "evaluation_interval": "2s", "scrape_timeout": "1500ms"},
        "rule_files": [str(path) for path in RULE_FILES],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{layout.alertmanager_port}"]}]}]},
        "scrape_configs": [
            {
                "job_name": "lab-services",
                "file_sd_configs": [{"files": [str(layout.targets_file)], "refresh_interval": "5s"}],
            },
            {
                "job_name": "lab-supervisor",
                "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{layout.control_port}"]}],
            },
        ],
    }
    (layout.prometheus_dir / "prometheus.yml").write_text(yaml.safe_dump(prometheus, sort_keys=False))
    alertmanager = {
        "route": {
            "receiver": "andon",
            "group_by": ["alertname", "namespace", "job", "container", "service"],
            "group_wait": "1s",
            "group_interval": "2s",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": "andon", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
    }
    (layout.alertmanager_dir / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager, sort_keys=False))


def write_targets(layout: LabLayout, replicas: dict[str, int]) -> None:
    """The scrape targets: one per running replica, its ``job`` the service."""
    targets = [
        {
            "targets": [f"127.0.0.1:{layout.service_port(service, replica)}"],
            "labels": {"job": service, "namespace": NAMESPACE},
        }
        for service, count in replicas.items()
        for replica in range(count)
    ]
    write_json(layout.targets_file, targets)


def prometheus_command(layout: LabLayout) -> list[str]:
    return [
        find_binary("prometheus"),
        f"--config.file={layout.prometheus_dir / 'prometheus.yml'}",
        f"--storage.tsdb.path={layout.prometheus_dir / 'data'}",
        "--storage.tsdb.retention.time=12h",
        f"--web.listen-address=127.0.0.1:{layout.prometheus_port}",
        "--log.level=warn",
    ]


def alertmanager_command(layout: LabLayout) -> list[str]:
    return [
        find_binary("alertmanager"),
        f"--config.file={layout.alertmanager_dir / 'alertmanager.yml'}",
        f"--storage.path={layout.alertmanager_dir / 'data'}",
        f"--web.listen-address=127.0.0.1:{layout.alertmanager_port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
