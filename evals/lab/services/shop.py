"""The shop's HTTP services: gateway → checkout → payments and inventory, each storing through the db."""

from __future__ import annotations

import itertools
from typing import Any

from evals.lab.services.base import HttpError, LabService, Request, Route
from evals.lab.services.calls import ConnectionPool
from evals.lab.topology import QUEUE

__all__ = ["Gateway", "Checkout", "Payments", "Inventory"]

POOL_SIZE = 5


class _StoresInDb(LabService):
    """A service with a client-side pool of database connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = ConnectionPool(POOL_SIZE, self.telemetry, name=f"{self.name}-db")

    def query(self, op: str, **fields: Any) -> Any:
        with self.pool.connection(leak=self.leaks_connection()):
            return self.downstream.call("db", "POST", "/query", {"op": op, **fields}, timeout_s=2.0)


class Gateway(LabService):
    def routes(self) -> dict[tuple[str, str], Route]:
        return {("GET", "/api/products"): self.products, ("POST", "/api/checkout"): self.checkout}

    def products(self, request: Request) -> Any:
        sku = request.query.get("sku", "sku-1")
        return self.downstream.call("inventory", "GET", f"/stock?sku={sku}")

    def checkout(self, request: Request) -> Any:
        return self.downstream.call("checkout", "POST", "/orders", request.body or {}, timeout_s=4.0)


class Checkout(_StoresInDb):
    _ids = itertools.count(1)

    def routes(self) -> dict[tuple[str, str], Route]:
        return {("POST", "/orders"): self.order}

    def order(self, request: Request) -> Any:
        body = request.body or {}
        sku, amount = str(body.get("sku", "sku-1")), float(body.get("amount", 20.0))
        if self.state.flag("new-tax-engine") and self.rng.random() < 0.6:
            raise HttpError(
                500, "flag new-tax-engine: tax calculation failed: TaxEngineError: no rate table for region eu-west"
            )
        self.downstream.call("inventory", "POST", "/reserve", {"sku": sku, "quantity": 1})
        charge = self.downstream.call("payments", "POST", "/charge", {"amount": amount}, timeout_s=3.0)
        order_id = f"o-{self.replica}-{next(self._ids)}"
        self.query("insert_order", order=order_id)
        self.downstream.call("db", "POST", "/queue/publish", {"queue": QUEUE, "payload": {"order": order_id}})
        return {"order": order_id, "payment": charge.get("payment")}


class Payments(_StoresInDb):
    _ids = itertools.count(1)

    def routes(self) -> dict[tuple[str, str], Route]:
        return {("POST", "/charge"): self.charge}

    def charge(self, request: Request) -> Any:
        amount = float((request.body or {}).get("amount", 0.0))
        if amount <= 0:
            raise HttpError(400, "amount must be positive")
        payment = f"p-{self.replica}-{next(self._ids)}"
        self.query("insert_payment", payment=payment)
        return {"payment": payment, "status": "captured"}


class Inventory(_StoresInDb):
    def routes(self) -> dict[tuple[str, str], Route]:
        return {("GET", "/stock"): self.stock, ("POST", "/reserve"): self.reserve}

    def stock(self, request: Request) -> Any:
        sku = request.query.get("sku", "sku-1")
        self.query("select_stock", sku=sku)
        return {"sku": sku, "available": 40}

    def reserve(self, request: Request) -> Any:
        sku = str((request.body or {}).get("sku", "sku-1"))
        self.query("update_stock", sku=sku)
        return {"sku": sku, "reserved": 1}
