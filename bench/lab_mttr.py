"""10. Lab MTTR: ``andon demo --fault all --json`` as a user runs it — the lab's real services, Prometheus and
Alertmanager, each fault in turn — and per fault whether Andon named the right cause, whether the approved fix
recovered the metrics, and the time from the page to verified recovery (MTTR). ``--quick`` leaves it out (the
runner's LEFT_TO_THE_FULL_RUN); ``--quick --only lab_mttr`` runs one fault."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from bench.cli_wall import _andon, _env
from bench.result import BenchOptions, Result
from bench.served import ROOT

__all__ = ["NAME", "run", "TARGET_S"]

NAME = "lab_mttr"
TITLE = "Lab MTTR (page → verified recovery)"
TARGET_S = 60.0
"""The target: page → verified recovery under a minute, for every fault."""
QUICK_FAULT = "bad_deploy"


def _missing_binary() -> str | None:
    """Why the lab cannot run here (Prometheus or Alertmanager not installed), or None."""
    from evals.lab.monitoring import BINARIES, MissingBinary, find_binary

    try:
        for which in BINARIES:
            find_binary(which)
    except MissingBinary as exc:
        return str(exc)
    return None


def _row(summary: dict[str, Any]) -> dict[str, Any]:
    paged = summary.get("alert") is not None
    symptomatic = summary["expected"]["category"] != "no_fault"
    ok = (summary["diagnosed_right"] and summary["recovered"] is True) if symptomatic else not paged
    return {
        "fault": summary["fault"],
        "ok": bool(ok),
        "paged": paged,
        "right": summary["diagnosed_right"],
        "root_cause": summary["root_cause"],
        "action": (summary.get("action") or {}).get("tool"),
        "recovered": summary["recovered"],
        "time_to_detect_s": summary["time_to_detect_s"],
        "time_to_rca_s": summary["time_to_rca_s"],
        "mttr_s": summary["mttr_s"] if symptomatic else None,
    }


def run(options: BenchOptions) -> Result:
    missing = _missing_binary()
    if missing:
        return Result(
            name=NAME, title="Lab MTTR", measured="", target=f"MTTR < {TARGET_S:.0f} s", runs=0, skipped=missing
        )
    fault = QUICK_FAULT if options.quick else "all"
    env = _env(options.workdir / "lab-data", options.workdir)
    started = time.perf_counter()
    done = subprocess.run(
        [*_andon(), "demo", "--fault", fault, "--json"], cwd=ROOT, env=env, capture_output=True, timeout=3600
    )
    seconds = time.perf_counter() - started
    try:
        found = json.loads(done.stdout)
    except ValueError:
        raise RuntimeError(
            f"andon demo exited with {done.returncode} and no JSON: {done.stderr.decode(errors='replace')[-800:]}"
        ) from None
    rows = [_row(s) for s in (found if isinstance(found, list) else [found])]
    timed = [r["mttr_s"] for r in rows if r["mttr_s"] is not None]
    slow = [r["fault"] for r in rows if r["mttr_s"] is not None and r["mttr_s"] >= TARGET_S]
    wrong = [r["fault"] for r in rows if not r["ok"]]
    per_fault = " · ".join(
        f"{r['fault']} {r['mttr_s']:.0f} s"
        if r["mttr_s"] is not None
        else f"{r['fault']} {'ok' if r['ok'] else 'FAILED'}"
        for r in rows
    )
    return Result(
        name=NAME,
        title=TITLE,
        measured=f"andon demo --fault {fault} --json: real lab services, Prometheus and Alertmanager; per fault "
        "the page, the rules reasoner's RCA, the demo approver's approval, the fix and the metrics' recovery "
        f"({seconds:.0f} s in all)",
        target=f"every fault right and recovered, MTTR < {TARGET_S:.0f} s",
        runs=1,
        headline=f"{len(rows) - len(wrong)}/{len(rows)} right and recovered · worst MTTR "
        f"{max(timed, default=0.0):.1f} s · {per_fault}",
        met=not wrong and not slow,
        metrics={
            "faults": rows,
            "demo_seconds": round(seconds, 1),
            "exit_code": done.returncode,
            "worst_mttr_s": max(timed, default=None),
            "wrong_or_unrecovered": wrong,
            "slow": slow,
        },
        notes=[
            "MTTR is mostly alerting and rate windows: 30 s rates, `for:` 6 s, a 2 s scrape, then the fix "
            "must show in the same 30 s windows and hold for two readings"
        ],
    )
