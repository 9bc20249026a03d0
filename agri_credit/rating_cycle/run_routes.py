"""Views: filled in by the rating-cycle work."""

from . import bp  # noqa: F401
