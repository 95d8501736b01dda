"""Prompt templates (Jinja2), one per graph node, with shared partials in ``_partials/``."""
