"""Run one replica of one lab service: ``python -m evals.lab.services --lab-dir D --base-port P --service S``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from evals.lab.services import SERVICE_CLASSES
from evals.lab.services.runtime import JsonLog, StateView
from evals.lab.topology import LabLayout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evals.lab.services")
    parser.add_argument("--lab-dir", type=Path, required=True)
    parser.add_argument("--base-port", type=int, required=True)
    parser.add_argument("--service", required=True, choices=sorted(SERVICE_CLASSES))
    parser.add_argument("--replica", type=int, default=0)
    args = parser.parse_args(argv)
    layout = LabLayout(args.lab_dir, args.base_port)
    state = StateView(layout, args.service)
    if state.defect == "crash":
        log = JsonLog(layout.logs_dir / f"{args.service}.log", args.service, args.replica)
        log.info(f"starting {args.service} {state.version}")
        log.critical(
            f"fatal: error during startup: KeyError: 'LEDGER_URL' missing from configuration of release "
            f"{state.version}; exited with code 1"
        )
        return 1
    pod = os.environ.get("LAB_POD_NAME") or None  # set by the supervisor, as Kubernetes' downward API would
    SERVICE_CLASSES[args.service](layout, args.service, args.replica, pod=pod).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
