# Andon's container image. Works with the default python:3.11-slim base (users with Docker) and with a
# local Debian bookworm base (BASE=localhost/debian:bookworm, Python from Debian) when built offline:
# pass a wheelhouse (`pip wheel --wheel-dir wheels .`) and it installs from it with --no-index.
ARG BASE=python:3.11-slim
FROM ${BASE}

# MPLCONFIGDIR: matplotlib's font list, in /tmp (writable on a read-only root filesystem, as in the chart)
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANDON_DATA_DIR=/var/lib/andon HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False MPLCONFIGDIR=/tmp/matplotlib

# Debian's own python3 (3.11 on bookworm) when the base has no Python of its own.
RUN if ! command -v python3 >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates && \
      rm -rf /var/lib/apt/lists/*; \
    fi && python3 -m venv /opt/andon

WORKDIR /src
COPY . /src
RUN if [ -d /src/wheels ] && ls /src/wheels/*.whl >/dev/null 2>&1; then \
      /opt/andon/bin/pip install --no-index --find-links /src/wheels andon; \
    else \
      /opt/andon/bin/pip install /src; \
    fi && rm -rf /src/wheels /root/.cache

RUN useradd --system --create-home --home-dir /home/andon --shell /usr/sbin/nologin andon && \
    mkdir -p /var/lib/andon && chown andon /var/lib/andon
USER andon
WORKDIR /home/andon
ENV PATH=/opt/andon/bin:$PATH
RUN python3 -c "import matplotlib.font_manager"

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)" || exit 1
ENTRYPOINT ["andon"]
CMD ["serve", "--mode", "http", "--host", "0.0.0.0", "--port", "3000"]
