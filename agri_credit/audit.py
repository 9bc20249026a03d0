"""The audit journal: who changed or looked at what, when, with before/after values."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from models import AuditEvent, User, db


def journal_value(value: Any) -> Any:
    """A JSON-safe value for a snapshot. Decimals read "12.5" whether typed as 12.5 or read
    back from a Numeric column as 12.50, and "100" rather than normalize()'s "1E+2"."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def diff_snapshots(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    """{"field": [before, after]} for each key whose value changed (missing counts as None)."""
    changed = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changed[key] = [old, new]
    return changed


def record_event(
    action: str,
    subject_type: str,
    subject_id: int | None,
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
    user: User | None = None,
    subject_version: int | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction; the caller commits with its change."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_version=subject_version,
        summary=summary[:200],
        changes=dict(changes or {}),
        user_id=user.id if user else None,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def journal_of(subject_type: str, subject_id: int) -> list[AuditEvent]:
    """The story of one file: changes and ID reveals, newest first. Plain views are kept in
    the journal for auditors but left out here."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.subject_type == subject_type,
                AuditEvent.subject_id == subject_id,
                AuditEvent.action.not_like("%.view"),
            )
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        )
    )
