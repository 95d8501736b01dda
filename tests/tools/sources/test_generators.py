"""Templated log generation: every placeholder filled, reproducible per seed, values vary line to line."""

from __future__ import annotations

import re

from tools.sources.generators import generate_logs

SPEC = {"service": "api", "template": "GET /users/{user} from {ip} req={id} in {ms}ms x{n}", "per_minute": 60}


def test_placeholders_are_filled_reproducibly_and_vary() -> None:
    first = generate_logs(SPEC, 0.0, 600.0, 600.0, "seed")
    again = generate_logs(SPEC, 0.0, 600.0, 600.0, "seed")
    assert len(first) == 600 and [line.text for line in first] == [line.text for line in again]
    assert all("{" not in line.text for line in first)
    assert all(re.fullmatch(r"GET /users/u\d+ from 10\.\d+\.\d+\.\d+ req=[0-9a-f]{8} in \d+ms x\d+", line.text)
               for line in first), first[0].text
    assert len({line.text for line in first}) > 500, "each line draws fresh values"
    assert [line.ts for line in first] == sorted(line.ts for line in first)


def test_a_template_without_placeholders_repeats_verbatim() -> None:
    lines = generate_logs({"service": "db", "template": "LOG checkpoint complete", "per_minute": 6}, 0.0, 600.0, 600.0, "s")
    assert {line.text for line in lines} == {"LOG checkpoint complete"} and len(lines) == 60
