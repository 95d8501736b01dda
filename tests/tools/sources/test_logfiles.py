"""LogFileSource over ``<log_dir>/<service>.log`` files: structured JSON, plain text, garbage."""

from __future__ import annotations

import json
from pathlib import Path

from tools.sources.logfiles import LogFileSource, parse_log_line
from tools.sources.timespec import parse_instant

T0 = parse_instant("2024-05-01T12:00:00Z")

CHECKOUT = (
    "\n".join(
        [
            json.dumps({"ts": T0 + 10, "level": "info", "msg": "GET /api/cart 200"}),
            json.dumps(
                {
                    "ts": "2024-05-01T12:00:20.250Z",
                    "level": "ERROR",
                    "message": "payment call failed",
                    "error": "context deadline exceeded",
                }
            ),
            json.dumps({"time": (T0 + 30) * 1000, "severity": "warn", "msg": "retrying payment"}),
            "2024-05-01T12:00:40Z ERROR Timeout talking to payments after 2000ms",
            "[2024-05-01 12:00:50,125] INFO pool size=20",
            "Traceback (most recent call last):",
            '  File "app.py", line 3, in <module>',
            "{not json at all",
            json.dumps({"level": "info", "msg": "no timestamp: skipped"}),
            json.dumps(["a", "list"]),
            "",
            "\x00\x01 binary garbage \xff",
            json.dumps({"ts": T0 + 3600, "level": "info", "msg": "an hour later"}),
        ]
    )
    + "\n"
)


def _write(tmp_path: Path) -> Path:
    (tmp_path / "checkout.log").write_text(CHECKOUT)
    (tmp_path / "payments.log").write_text("2024-05-01T12:00:35+00:00 connection refused by db\n")
    (tmp_path / "notes.txt").write_text("2024-05-01T12:00:35Z not a log file\n")
    return tmp_path


def test_reads_structured_and_plain_lines_skipping_garbage(tmp_path: Path) -> None:
    lines = LogFileSource(_write(tmp_path)).lines(T0, T0 + 60, "checkout")

    assert [line.ts for line in lines] == [T0 + 10, T0 + 20.25, T0 + 30, T0 + 40, T0 + 50.125]
    assert [line.level for line in lines] == ["info", "error", "warning", "error", "info"]
    assert lines[1].text == "payment call failed error=context deadline exceeded"
    assert lines[3].text == "ERROR Timeout talking to payments after 2000ms"
    assert {line.service for line in lines} == {"checkout"}


def test_every_service_and_text_filter(tmp_path: Path) -> None:
    source = LogFileSource(_write(tmp_path))
    everything = source.lines(T0, T0 + 60)
    assert {line.service for line in everything} == {"checkout", "payments"}
    payments = [line for line in everything if line.service == "payments"][0]
    assert payments.level == "error" and payments.ts == T0 + 35

    matching = source.lines(T0, T0 + 60, query="PAYMENT")
    assert [line.text for line in matching] == [
        "payment call failed error=context deadline exceeded",
        "retrying payment",
        "ERROR Timeout talking to payments after 2000ms",
    ]


def test_missing_or_unsafe_service_reads_nothing(tmp_path: Path) -> None:
    source = LogFileSource(_write(tmp_path))
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "x.log").write_text("2024-05-01T12:00:35Z secret\n")
    assert source.lines(T0, T0 + 60, "inventory") == []
    assert source.lines(T0, T0 + 60, "secret/x") == []
    assert source.lines(T0, T0 + 60, "../" + tmp_path.name + "/checkout") == []
    assert LogFileSource(tmp_path / "absent").lines(T0, T0 + 60) == []


def test_reads_backwards_in_small_blocks(tmp_path: Path) -> None:
    rows = [json.dumps({"ts": T0 + i, "level": "info", "msg": f"request {i} ✓ done"}) for i in range(2000)]
    (tmp_path / "big.log").write_text("\n".join(rows) + "\n")
    source = LogFileSource(tmp_path, block_bytes=97)

    tail = source.lines(T0 + 1990, T0 + 3000, "big")
    assert [line.text for line in tail] == [f"request {i} ✓ done" for i in range(1990, 2000)]
    assert [line.ts for line in source.lines(T0, T0 + 5, "big")] == [T0 + i for i in range(6)]


def test_parse_log_line_variants() -> None:
    assert parse_log_line("2024-05-01T12:00:00.5-02:00 WARN slow", "svc").ts == T0 + 7200.5  # type: ignore[union-attr]
    assert (
        parse_log_line(
            json.dumps({"@timestamp": "2024-05-01T12:00:00Z", "log.level": "fatal", "message": "x"}), "svc"
        ).level
        == "critical"
    )  # type: ignore[union-attr]
    assert parse_log_line("12:00:00 no date", "svc") is None
    assert parse_log_line(json.dumps({"ts": 12, "msg": "not a time"}), "svc") is None
