"""The edge's answers: JSON bodies (``{"error": ...}`` for every refusal), never a traceback."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

__all__ = ["json_response", "error_response"]


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(value), status_code=status, media_type="application/json", headers=headers)


def error_response(status: int, error: str, headers: Mapping[str, str] | None = None, close: bool = False) -> Response:
    """``close``: the connection is closed after the answer, so what is left of the request is never read."""
    return json_response(status, {"error": error}, {**(headers or {}), **({"Connection": "close"} if close else {})})
