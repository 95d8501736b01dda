"""The one small loader that renders ``prompts/*.j2``; no prompt prose lives in Python."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

__all__ = ["render"]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("prompts", ""),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(name: str, **values: Any) -> str:
    """Render ``prompts/<name>.j2`` with ``values``."""
    return _environment().get_template(f"{name}.j2").render(**values).strip()
