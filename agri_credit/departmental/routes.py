"""Thin views over the departmental import: upload, column mapping and preview, batch pages."""

from . import bp  # noqa: F401
