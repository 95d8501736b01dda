"""Which side of a call a fault is named on: the server's certificate unless the caller's own ran out; no
outage of a dependency for the caller that sends its load."""

from __future__ import annotations

from tests.support.telemetry import evidence_of, shift
from tools.rca.explain import Fit
from tools.rca.params import Params
from tools.rca.sides import name_by_side


def _sides_settled(own_expiry_after: float, sender: bool) -> dict[str, dict[str, float]]:
    """settlement-worker's calls to bank-api fail in the TLS handshake; its own client certificate has
    ``own_expiry_after`` seconds left; with ``sender``, the telemetry names it as loading bank-api."""

    view = evidence_of(
        [
            shift(
                "settlement-worker",
                "tls_handshake_errors",
                0.0,
                39.0,
                60.0,
                kind="errors",
                labels={"upstream": "bank-api"},
            ),
            shift(
                "settlement-worker",
                "cert_expiry_seconds",
                1095.0,
                own_expiry_after,
                3.2,
                kind="availability",
                direction="down",
            ),
            shift("bank-api", "error_ratio", 0.001, 0.9, 60.0, kind="errors"),
        ]
    )
    if sender:
        view.senders = {"settlement-worker"}
    fits = {
        "settlement-worker": {
            "certificate_expiry": Fit("certificate_expiry", 0.9),
            "dependency_outage": Fit("dependency_outage", 0.8),
        },
        "bank-api": {"certificate_expiry": Fit("certificate_expiry", 0.76)},
    }
    name_by_side(fits, view, {"settlement-worker": ["bank-api"], "bank-api": []}, Params())
    return {service: {c: f.score for c, f in by.items()} for service, by in fits.items()}


def test_an_expired_certificate_is_the_servers_unless_the_caller_s_own_has_run_out() -> None:
    """A server-side fault is named on the server its callers reject, except when the certificate that ran out
    is the caller's own (the client certificate it presents)."""
    valid = _sides_settled(own_expiry_after=86_400.0, sender=False)["settlement-worker"]
    assert valid["certificate_expiry"] < 0.5, "the caller's certificate is valid: the server's certificate is the fault"
    expired = _sides_settled(own_expiry_after=0.0, sender=False)["settlement-worker"]
    assert expired["certificate_expiry"] == 0.9


def test_a_caller_that_sends_its_dependency_s_load_suffers_no_outage_of_it() -> None:
    """A fault suffered from a dependency (side: callee) is not the caller's whose own load broke it."""
    assert _sides_settled(own_expiry_after=0.0, sender=False)["settlement-worker"]["dependency_outage"] == 0.8
    assert _sides_settled(own_expiry_after=0.0, sender=True)["settlement-worker"]["dependency_outage"] < 0.8
