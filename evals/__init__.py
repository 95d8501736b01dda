"""Offline evaluation: scenarios replayed through the real graph, scored, reported."""
