"""The lab's services: one process per replica, each a small stdlib HTTP server with Prometheus
metrics, JSON logs, a version, feature flags and an admin endpoint for faults."""

from __future__ import annotations

from evals.lab.services.base import LabService
from evals.lab.services.db import Database
from evals.lab.services.shop import Checkout, Gateway, Inventory, Payments
from evals.lab.services.worker import Worker

__all__ = ["SERVICE_CLASSES", "LabService"]

SERVICE_CLASSES: dict[str, type[LabService]] = {
    "gateway": Gateway,
    "checkout": Checkout,
    "payments": Payments,
    "inventory": Inventory,
    "db": Database,
    "worker": Worker,
}
