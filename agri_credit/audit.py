"""The audit journal: who changed or looked at what, when, with before/after values."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from models import N_, AuditEvent, User, db


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


# What a file's history says for each kind of event outside Chinese: the stored summary is a
# Chinese sentence written when the event happened (names and figures in it), so another
# language shows the kind of event instead.
EVENT_TITLES = {
    "household.create": N_("建立档案"),
    "household.update": N_("修改档案"),
    "household.import": N_("批量导入建档"),
    "entity.create": N_("建立档案"),
    "entity.update": N_("修改档案"),
    "enterprise.create": N_("建立档案"),
    "enterprise.update": N_("修改档案"),
    "id.reveal": N_("查看完整证件号"),
    "file_request.open": N_("按信用办请求建档"),
    "subject_link.confirm": N_("确认部门数据关联"),
    "subject_link.refuse": N_("拒绝部门数据关联"),
    "repair.apply": N_("申请信用修复"),
    "repair.file": N_("代为申请信用修复"),
    "repair.approve": N_("信用修复获批"),
    "repair.reject": N_("信用修复未获批"),
    "rating.rerate": N_("重新评定"),
    "rating.rerate.refused": N_("重新评定未执行"),
    "consent.upload": N_("上传签字授权书"),
    "objection.raise": N_("提出异议"),
    "objection.answer": N_("答复异议"),
}


def event_title(event: AuditEvent, locale: str) -> str:
    """The history line's title: the stored Chinese summary in Chinese, else the translated
    kind of event (the summary when the kind has no title)."""
    if locale.startswith("zh") or event.action not in EVENT_TITLES:
        return event.summary
    return gettext(EVENT_TITLES[event.action])
