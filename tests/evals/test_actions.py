"""Action patterns in expected.actions / forbidden: tool, service, direction and named arguments."""

from __future__ import annotations

import pytest

from evals.actions import matches_any, parse_pattern


def _proposal(tool: str, **args: object) -> dict[str, object]:
    return {"tool": tool, "args": args}


def test_direction_tells_scaling_up_from_down() -> None:
    up, down = (
        _proposal("scale_service", service="api", replicas="+2"),
        _proposal("scale_service", service="api", replicas="-1"),
    )
    assert matches_any(up, ["scale_service:api(up)"]) and not matches_any(down, ["scale_service:api(up)"])
    assert matches_any(down, ["scale_service(down)"]) and not matches_any(up, ["scale_service:web"])
    assert not matches_any(_proposal("scale_service", service="api", replicas="6"), ["scale_service(up)"])


def test_named_arguments_tell_automation_jobs_apart() -> None:
    flush = _proposal("run_automation", service="dns", job="flush-dns-cache")
    assert matches_any(flush, ["run_automation(job=flush-dns-cache)"])
    assert not matches_any(flush, ["run_automation:dns(job=raise-hpa-max)"])
    assert matches_any(_proposal("toggle_flag", service="s", flag="new-ranker"), ["toggle_flag(flag=new-ranker)"])


@pytest.mark.parametrize(
    "text, problem",
    [
        ("reboot_everything", "unknown tool"),
        ("scale_service(sideways)", "qualifier"),
        ("scale_service:a:b(", "use tool"),
    ],
)
def test_a_bad_pattern_is_named_with_its_problem(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_pattern(text)
