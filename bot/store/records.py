"""What every part of the incident store stands on: its database handle, and how a value is written to a
JSON column. Each part (``bot.store.incidents``, ``dedupe``, ``jobs``, ``actions``, ``audit``, ``feedback``)
is a class over :class:`Records`; :class:`~bot.store.incidents.IncidentStore` combines them."""

from __future__ import annotations

import json
from typing import Any

from bot.store.db import Database

__all__ = ["Records", "to_json"]


def to_json(value: Any) -> str:
    """``value`` as the JSON text a column holds (keys sorted; what JSON cannot encode, as its ``str``)."""
    return json.dumps(value, default=str, sort_keys=True)


class Records:
    def __init__(self, db: Database) -> None:
        self.db = db
