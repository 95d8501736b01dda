"""The README's "Using it" block, walked command by command in a fresh data dir, as a new user would: every
path it names exists, and every command exits 0 (or the code its comment documents). The incident id
`andon investigate` prints is the one `andon incident resolve ID` is given.

Commands that need Slack, start the lab or run for minutes are skipped, each with its reason in SKIPPED
(and must still appear in the block, so the list stays true)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SKIPPED = {
    "source .venv/bin/activate": "shell set-up; the test runs the installed andon",
    "andon investigate --alert examples/alerts/checkout-bad-deploy.json --charts": "writes PNGs into the working "
    "directory; tests/bot/cli/test_investigate.py runs it in a temporary one",
    "andon eval [PATH": "the whole bundled scenario suite (about a minute on two cores); tests/evals run it",
    "andon eval evals/sealed": "as long as the bundled suite; `andon eval --check evals/sealed` below loads it",
    "andon tune": "fits the engine on every scenario (minutes); tests/tools/rca cover tuning",
    "andon eval ../shared/datasets": "a dataset outside the repository, minutes of investigations; "
    "tests/evals cover the RCAEval layout",
    "andon serve": "needs a Slack workspace (docs/slack.md); tests/bot/slack run it against a fake Slack",
    "andon demo": "a long lab run (real Prometheus and Alertmanager, minutes); tests/evals/lab run it",
    "andon lab": "starts and stops the lab's processes; tests/evals/lab run it",
    "andon bench": "the benchmarks run for minutes; tests/bench cover them",
}
OUTSIDE_THE_REPOSITORY = ("../", ".venv/")
"""Paths the block may name that a checkout does not contain: a sibling dataset, the virtualenv set-up makes."""


def using_it() -> list[str]:
    """The command lines of the README's "Using it" code block."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def _skip_reason(line: str) -> str | None:
    return next((why for prefix, why in SKIPPED.items() if line.startswith(prefix)), None)


def _words(line: str) -> list[str]:
    """The line's words without its comment and without the optional ``[...]`` parts."""
    words, depth = [], 0
    for word in shlex.split(line, comments=True):
        if depth == 0 and word.startswith("["):
            depth = 1
        if depth == 0:
            words.append(word)
        elif word.endswith("]"):
            depth = 0
    return words


def _documented_codes(line: str) -> set[int]:
    comment = line.split("  #", 1)[1] if "  #" in line else ""
    return {0} | {int(code) for code in re.findall(r"\bexit (\d+)", comment)}


def test_every_path_in_the_block_exists() -> None:
    named = set()
    for line in using_it():
        named |= {
            w
            for w in re.findall(r"[\w./-]+/[\w./-]+", line)
            if not w.startswith(OUTSIDE_THE_REPOSITORY) and not w.startswith("/")
        }
    assert "examples/alerts/orders-pool-exhaustion.json" in named
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"the README names paths that do not exist: {missing}"


def test_every_skip_names_a_command_of_the_block() -> None:
    lines = using_it()
    unused = [prefix for prefix in SKIPPED if not any(line.startswith(prefix) for line in lines)]
    assert not unused, f"SKIPPED names commands the README no longer has: {unused}"


@pytest.mark.slow
def test_the_using_it_block_runs_command_by_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "COLUMNS": "160",
        "ANDON_DATA_DIR": str(data_dir),
        "ANDON_CONFIG_FILE": str(tmp_path / "absent-andon.yaml"),
    }
    incident_id: str | None = None
    ran = []
    for line in using_it():
        if _skip_reason(line):
            continue
        words = _words(line)
        assert words[0] == "andon", line
        if "ID" in words:
            assert incident_id, f"{line!r} needs the id an earlier `andon investigate` printed"
            words = [incident_id if w == "ID" else w for w in words]
        result = subprocess.run(
            [sys.executable, "-m", "andon", *words[1:]],
            cwd=ROOT,
            env=env,
            input="",
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode in _documented_codes(line), (
            f"{shlex.join(words)} exited {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
        if words[1] == "investigate" and "--json" not in words and incident_id is None:
            found = re.search(r"Stored as incident (inc-[0-9a-f]+)", result.stdout)
            assert found, f"`{shlex.join(words)}` shows no incident id:\n{result.stdout[-1000:]}"
            incident_id = found.group(1)
        ran.append(words[1:3])
    assert ["incident", "resolve"] in ran and ["audit", "list"] in ran and ["investigate", "--alert"] in ran
    assert not os.path.exists(data_dir / "lab"), "nothing in the block that ran started the lab"


FIRST_READ = ("README.md", "knowledge/README.md", "docs/slack.md")
"""What a new user reads in the first hour."""


@pytest.mark.parametrize("page", FIRST_READ)
def test_the_first_pages_cite_no_issue_numbers_and_name_no_missing_path(page: str) -> None:
    text = (ROOT / page).read_text()
    cited = re.findall(r"(?i)\bissues? #?\d+|(?<![\w&])#\d+\b", text)
    assert not cited, f"{page} cites issue numbers a user cannot look up: {cited}"
    named = {
        p.rstrip("/")
        for p in re.findall(
            r"`((?:bot|tools|knowledge|evals|examples|docs|bench|tests|deploy|"
            r"slack|scripts)/[\w./-]+)`",
            text,
        )
    }
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"{page} names paths that do not exist: {missing}"


def test_the_chat_line_says_how_to_approve() -> None:
    """``andon chat`` as the README types it can approve: its user is made an approver for the session."""
    [line] = [line for line in using_it() if line.startswith("andon chat")]
    words = _words(line)
    assert "--approvers" in words and "approve 1" in line
    approvers = words[words.index("--approvers") + 1].split(",")
    user = words[words.index("--as-user") + 1] if "--as-user" in words else "U-CONSOLE"
    assert user in approvers
