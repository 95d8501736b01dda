"""A self-signed certificate for 127.0.0.1, made at test time with the ``openssl`` command, and the
server-side TLS context that serves it (see :func:`tests.support.fakehttp.recording_server`); for mutual
TLS, a CA made for the test and a client certificate it signs."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["ClientCertificate", "SelfSigned", "client_certificate", "self_signed_certificate"]


@dataclass(frozen=True)
class SelfSigned:
    cert_file: Path
    """The certificate, PEM: also the CA file a client trusts it by."""
    key_file: Path

    def server_context(self, client_ca: Path | None = None) -> ssl.SSLContext:
        """Serving this certificate; with ``client_ca``, requiring a client certificate that CA signed."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=client_ca)
        return context


@dataclass(frozen=True)
class ClientCertificate:
    ca_file: Path
    """The CA that signed it, made for this test: a server trusts clients by it."""
    cert_file: Path
    key_file: Path


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        message = "the openssl command is not installed: apt-get install openssl"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    subprocess.run([openssl, *args], check=True, capture_output=True, timeout=60)


def self_signed_certificate(directory: Path, dns_name: str | None = None) -> SelfSigned:
    """A fresh key and a one-day certificate for ``IP:127.0.0.1`` (or, given ``dns_name``, for that name
    only: a server reached by its address that a client must verify by name) written under ``directory``."""
    cert, key = directory / "loopback.crt", directory / "loopback.key"
    name, alt = (dns_name, f"DNS:{dns_name}") if dns_name else ("127.0.0.1", "IP:127.0.0.1")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        f"/CN={name}",
        "-addext",
        f"subjectAltName={alt}",
        "-keyout",
        str(key),
        "-out",
        str(cert),
    )
    return SelfSigned(cert, key)


def client_certificate(directory: Path, name: str = "andon") -> ClientCertificate:
    """A fresh CA and a one-day client certificate (``CN=<name>``, ``extendedKeyUsage=clientAuth``) it signs,
    written under ``directory``."""
    ca, ca_key = directory / "client-ca.crt", directory / "client-ca.key"
    cert, key, request = directory / f"{name}.crt", directory / f"{name}.key", directory / f"{name}.csr"
    extensions = directory / f"{name}.ext"
    extensions.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req",
        "-x509",
        *ec,
        "-days",
        "1",
        "-subj",
        "/CN=andon-test-client-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
    )
    _openssl("req", "-new", *ec, "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(request))
    _openssl(
        "x509",
        "-req",
        "-in",
        str(request),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        str(extensions),
        "-out",
        str(cert),
    )
    return ClientCertificate(ca, cert, key)
