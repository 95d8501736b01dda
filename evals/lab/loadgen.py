"""The load generator: steady open-loop traffic at the gateway (browse and checkout), ~20 requests/s.

Open-loop means a slow system does not slow the arrivals down, as with real users; requests that
pile up beyond a bound are dropped instead of queueing forever.
Run: ``python -m evals.lab.loadgen --lab-dir D --base-port P [--rps 20]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evals.lab.services.runtime import Endpoints
from evals.lab.topology import LabLayout

__all__ = ["LoadGenerator", "main"]

CHECKOUT_SHARE = 0.3
MAX_IN_FLIGHT = 64
MIN_RPS = 0.1
"""The slowest pace a generator is set to: below it, the next request would wait more than ten seconds."""


class LoadGenerator:
    def __init__(self, layout: LabLayout, rps: float = 20.0, seed: int | None = None) -> None:
        self.endpoints = Endpoints(layout)
        self.rps = rps
        self.rng = random.Random(seed)
        self.in_flight = 0
        self.sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def request(self) -> tuple[str, str, bytes | None]:
        if self.rng.random() < CHECKOUT_SHARE:
            body = {"sku": f"sku-{self.rng.randint(1, 50)}", "amount": round(self.rng.uniform(5, 200), 2)}
            return "POST", "/api/checkout", json.dumps(body).encode()
        return "GET", f"/api/products?sku=sku-{self.rng.randint(1, 50)}", None

    def _send(self, method: str, path: str, body: bytes | None) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.endpoints.next_port("gateway"), timeout=5.0)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            connection.getresponse().read()
        except OSError:
            pass
        finally:
            connection.close()
            with self._lock:
                self.in_flight -= 1

    def run(self, duration_s: float | None = None) -> None:
        """Send until stopped (or for ``duration_s``); ``rps`` is read before each request, so it may be changed
        while it runs (the soak's load swings)."""
        started = next_at = time.monotonic()
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT, thread_name_prefix="load") as pool:
            while not self._stop.is_set():
                if duration_s is not None and time.monotonic() - started >= duration_s:
                    break
                with self._lock:
                    if self.in_flight >= MAX_IN_FLIGHT:
                        skip = True
                    else:
                        self.in_flight += 1
                        skip = False
                if not skip:
                    pool.submit(self._send, *self.request())
                    self.sent += 1
                next_at += self.rng.uniform(0.7, 1.3) / max(self.rps, MIN_RPS)
                self._stop.wait(max(next_at - time.monotonic(), 0.0))

    def stop(self) -> None:
        self._stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evals.lab.loadgen")
    parser.add_argument("--lab-dir", type=Path, required=True)
    parser.add_argument("--base-port", type=int, required=True)
    parser.add_argument("--rps", type=float, default=20.0)
    args = parser.parse_args(argv)
    LoadGenerator(LabLayout(args.lab_dir, args.base_port), args.rps).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
