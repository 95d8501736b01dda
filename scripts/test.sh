#!/usr/bin/env bash
# The README's second command: install everything the tests need and run all of them
# (lint, types, unit and integration tests against real Prometheus, Alertmanager, PostgreSQL, Chroma).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

# PostgreSQL backs the durability and two-replica tests; start it when it is installed but down.
if command -v pg_ctlcluster >/dev/null && ! (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1); then
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest "$@"
