#!/usr/bin/env bash
# Install Andon into .venv (with the test tools when given --test). On Debian/Ubuntu, as root, it also
# installs what the project needs from the distribution: python3-venv, Prometheus and Alertmanager.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root to run: $*" >&2; return 1; fi; }

python=""
for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done

packages=()
[ -z "$python" ] && packages+=(python3.11 python3.11-venv)
if [ -n "$python" ] && ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  packages+=("python3-venv" "$(basename "$python")-venv")
fi
command -v prometheus >/dev/null || [ -x /usr/bin/prometheus ] || packages+=(prometheus)
command -v prometheus-alertmanager >/dev/null || [ -x /usr/bin/prometheus-alertmanager ] || packages+=(prometheus-alertmanager)
if [ ${#packages[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${packages[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null ||
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${packages[@]}"
fi
[ -z "$python" ] && python=python3.11

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
