"""Andon's benchmarks: one command (``andon bench`` or ``python -m bench``) that measures speed, scale and
accuracy side by side with peers, prints a table and writes JSON (``bench/results/latest.json``).

One module per benchmark — ``slack_ack``, ``first_answer``, ``eval_throughput``, ``retrieval_scale``,
``rca_ranking``, ``memory``, ``llm_efficiency``, ``cli_wall`` — each with ``run(BenchOptions) -> Result``; ``runner``
runs them in order. Benchmarks report targets as met or missed; they are not tests."""

from bench.result import BenchOptions, Result

__all__ = ["BenchOptions", "Result"]
