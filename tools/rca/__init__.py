"""Andon's RCA engine: deterministic, no LLM.

From telemetry to ranked root-cause findings, in steps that pass typed records (``records``) and score
with one set of named parameters (``params``). docs/rules-engine.md draws the pipeline:

- ``series``, ``services``: how far each series moved at the onset, and how that adds up per service;
- ``logs``, ``changes``, ``history``: log templates that spiked, changes that could have caused the
  trouble (across hours and days), and what the suspect series did yesterday and last week;
- ``evidence``: the tool results read back into records;
- ``victims``, ``suspects``, ``checks``, ``explain``, ``verdict``: who only propagates, how strongly the
  evidence points at each service, which fault explains the most of it, or that nothing is wrong;
- ``diagnose``: the pipeline end to end.
"""
