"""A self-signed certificate for 127.0.0.1, made at test time with the ``openssl`` command, and the
server-side TLS context that serves it (see :func:`tests.support.fakehttp.recording_server`)."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["SelfSigned", "self_signed_certificate"]


@dataclass(frozen=True)
class SelfSigned:
    cert_file: Path
    """The certificate, PEM: also the CA file a client trusts it by."""
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def self_signed_certificate(directory: Path) -> SelfSigned:
    """A fresh key and a one-day certificate for ``IP:127.0.0.1`` written under ``directory``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        message = "the openssl command is not installed: apt-get install openssl"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cert, key = directory / "loopback.crt", directory / "loopback.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return SelfSigned(cert, key)
