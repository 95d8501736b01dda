"""build_live_sources wires the actuator backends that settings configure, and nothing else."""

from __future__ import annotations

from pathlib import Path

from bot.settings import load_settings
from bot.sources import build_actuator, build_live_sources
from tools.sources.actuators import AlertmanagerActuator, CompositeActuator, HttpActuator, KubernetesActuator
from tools.sources.kubernetes import KubernetesSource
from tools.sources.logfiles import LogFileSource
from tools.sources.loki import LokiSource


def test_no_backends_no_actuator(tmp_path: Path) -> None:
    assert build_actuator(load_settings(data_dir=tmp_path)) is None


def test_actuator_routes_follow_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, kubernetes_url="http://127.0.0.1:6443", kubernetes_token="t",
                             alertmanager_url="http://127.0.0.1:9093", automation_hooks={"flush": "http://127.0.0.1:1/f"},
                             loki_url="http://127.0.0.1:3100")
    sources = build_live_sources(settings)
    assert isinstance(sources.logs, LokiSource) and isinstance(sources.kubernetes, KubernetesSource)
    actuator = sources.actuator
    assert isinstance(actuator, CompositeActuator)
    assert actuator.actions == ["cordon_node", "create_silence", "restart_service", "rollback_deploy",
                                "run_automation", "scale_service"]
    assert isinstance(actuator.routes["rollback_deploy"], KubernetesActuator)
    assert isinstance(actuator.routes["create_silence"], AlertmanagerActuator)
    assert isinstance(actuator.routes["run_automation"], HttpActuator)


def test_flag_service_and_log_files(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, flag_url="http://127.0.0.1:8080", log_dir=tmp_path)
    sources = build_live_sources(settings)
    assert isinstance(sources.logs, LogFileSource)
    assert isinstance(sources.actuator, CompositeActuator) and sources.actuator.actions == ["toggle_flag"]
