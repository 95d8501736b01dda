#!/usr/bin/env bash
# The README's first command: install, then run Andon's main job on embedded defaults —
# a real lab with Prometheus and Alertmanager, a fault, the investigation, approval and recovery.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/andon demo "$@"
