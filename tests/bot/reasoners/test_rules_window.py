"""A person's report that says the trouble began hours ago is read that far back: the step three hours
before the message is found, where reading the last hour finds a flat line and calls it no fault."""

from __future__ import annotations

from pathlib import Path

from bot.settings import load_settings
from evals.runner import EvalOptions, run_suite

SCENARIO = """\
title: Search slow since this morning
tags: {category: bad_deploy, difficulty: easy}
trigger:
  time: 2026-11-26T11:40:00Z
  slack: "search feels really slow since this morning, can someone check?"
system:
  services: {web: [search], search: [search-db], search-db: []}
telemetry:
  window: 4h
  step: 1m
  metrics:
    - {service: web, metric: request_rate, baseline: 300, noise_pct: 0.05}
    - {service: web, metric: latency_p99_seconds, baseline: 0.4, noise: 0.03, effect: {kind: step, at: -3h, to: 1.6}}
    - {service: search, metric: request_rate, baseline: 120, noise_pct: 0.05}
    - {service: search, metric: latency_p99_seconds, baseline: 0.2, noise: 0.02, effect: {kind: step, at: -3h, to: 1.3}}
    - {service: search, metric: error_ratio, baseline: 0.002, noise: 0.0005, effect: {kind: step, at: -3h, to: 0.03}}
    - {service: search-db, metric: db_query_p99_seconds, baseline: 0.01, noise: 0.001}
  changes:
    - {at: -3h, service: search, kind: deploy, version: v2.4.0, previous_version: v2.3.9, description: "search v2.4.0"}
expected:
  service: search
  category: bad_deploy
  actions: [rollback_deploy:search]
"""


def test_a_report_of_trouble_since_this_morning_finds_the_step_hours_back(tmp_path: Path) -> None:
    folder = tmp_path / "since-this-morning"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(SCENARIO)
    summary = run_suite([folder], EvalOptions(jobs=1), base=load_settings(data_dir=tmp_path / "data"))
    scored = summary["per_scenario"][0]
    assert scored["error"] is None, scored["error"]
    assert (scored["service_predicted"], scored["category_predicted"]) == ("search", "bad_deploy"), scored["evidence"]
