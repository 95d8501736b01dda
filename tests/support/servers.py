"""Real Prometheus and Alertmanager for integration tests, started on loopback ports with temp config.

Both are context managers yielding the server's base URL and killing the process on exit::

    with start_prometheus(tmp_path, ["127.0.0.1:9101"], [rules_file]) as url: ...
    with start_alertmanager(tmp_path, "http://127.0.0.1:9102/hook") as url: ...

When a binary is missing the test fails under CI (``CI`` set) and is skipped elsewhere, naming the
packages to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.net import free_port

__all__ = ["INSTALL_HINT", "require_binary", "start_alertmanager", "start_prometheus"]

INSTALL_HINT = "apt-get install prometheus prometheus-alertmanager"


def require_binary(name: str, default_path: str) -> str:
    """The path of ``name``; fail under CI, skip otherwise, when it is not installed."""
    found = shutil.which(name) or (default_path if os.access(default_path, os.X_OK) else None)
    if found:
        return found
    message = f"{name} is not installed (looked on PATH and at {default_path}): {INSTALL_HINT}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, timeout_s: float = 30.0) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready within {timeout_s}s:\n{log.read_text()[-3000:]}")


@contextmanager
def _running(command: list[str], ready_url: str, log: Path) -> Iterator[None]:
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_ready(process, ready_url, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def start_prometheus(
    tmp_path: Path, scrape_targets: Sequence[str], rule_files: Sequence[Path] = (), scrape_interval: str = "1s"
) -> Iterator[str]:
    """A real Prometheus scraping ``scrape_targets`` (``host:port``) and evaluating ``rule_files``."""
    binary = require_binary("prometheus", "/usr/bin/prometheus")
    home = tmp_path / "prometheus"
    home.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": "andon-test",
                "scrape_interval": scrape_interval,
                "static_configs": [{"targets": list(scrape_targets)}],
            }
        ],
    }
    (home / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        binary,
        f"--config.file={home / 'prometheus.yml'}",
        f"--storage.tsdb.path={home / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with _running(command, f"{url}/-/ready", home / "prometheus.log"):
        yield url


@contextmanager
def start_alertmanager(tmp_path: Path, webhook_url: str, group_wait: str = "1s") -> Iterator[str]:
    """A real Alertmanager routing every alert to ``webhook_url``; no cluster port is bound."""
    binary = require_binary("prometheus-alertmanager", "/usr/bin/prometheus-alertmanager")
    home = tmp_path / "alertmanager"
    home.mkdir(parents=True, exist_ok=True)
    config = {
        "route": {
            "receiver": "webhook",
            "group_by": ["alertname", "service"],
            "group_wait": group_wait,
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": "webhook", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
    }
    (home / "alertmanager.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        binary,
        f"--config.file={home / 'alertmanager.yml'}",
        f"--storage.path={home / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    with _running(command, f"{url}/-/ready", home / "alertmanager.log"):
        yield url
