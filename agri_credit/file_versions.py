"""Optimistic locking of credit files (households, entities, enterprises).

Each file has a version. The edit form carries the version it was opened on; saving first
moves the row from that version to the next with one conditional UPDATE, which also locks the
row until the save commits. If another save came first nothing matches and the edit is refused
as stale: the cadre sees the changes made since (from the audit journal, which records the
version each change produced) with her own input kept, and saves again on the new version.
"""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from agri_credit.audit import journal_value
from models import AuditEvent, db

STALE_EDIT_MESSAGE = _l(
    "未保存：您打开此表单后，档案已被他人修改（见下方）。您填写的内容仍在表单中，请核对后再次保存。"
)


class StaleEdit(Exception):
    """The form was opened on a version that is no longer the file's current one."""


def parse_version(value: Any) -> int | None:
    """The version a form posted, or None when it is missing or not a number."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def claim_next_version(file: Any, expected: int | None) -> int:
    """Move `file` from version `expected` to the next one, or raise StaleEdit.

    Afterwards `file` and its parts are reloaded, so the caller's before-snapshot is the row
    as it now is (locked until commit), not as this request first read it.
    """
    model = type(file)
    if expected is None:
        raise StaleEdit
    result = db.session.execute(
        update(model)
        .where(model.id == file.id, model.version == expected)
        .values(version=model.version + 1),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise StaleEdit
    db.session.expire(file)
    return expected + 1


def bump_version(model: type, file_id: int) -> int:
    """Move a file to its next version for a change made outside its edit form (a credit
    repair approved: its records and grade change), so an edit form opened before it is
    refused as stale instead of saving over it. Returns the new version; the caller
    journals the change with it."""
    version = db.session.execute(
        update(model)
        .where(model.id == file_id)
        .values(version=model.version + 1)
        .returning(model.version),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    for obj in list(db.session.identity_map.values()):
        if type(obj) is model and obj.id == file_id:
            db.session.expire(obj, ["version"])
    return version


def changes_since(subject_type: str, subject_id: int, version: int) -> list[AuditEvent]:
    """The journalled changes that produced versions after `version`, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.subject_type == subject_type,
                AuditEvent.subject_id == subject_id,
                AuditEvent.subject_version > version,
            )
            .order_by(AuditEvent.subject_version, AuditEvent.id)
        )
    )


def opened_values(events: list[AuditEvent]) -> dict[str, Any]:
    """Field → its journalled value when the stale form was opened: the `before` of the first
    change to it since."""
    opened: dict[str, Any] = {}
    for event in events:
        for name, pair in (event.changes or {}).items():
            if isinstance(pair, list) and len(pair) == 2:
                opened.setdefault(name, pair[0])
    return opened


def rebase_plain_fields(form: Any, events: list[AuditEvent], current: dict[str, Any]) -> list[str]:
    """Move a stale form's plain fields onto the file as it now is, keeping what the user typed.

    For each field changed by others since the form was opened: if the user left it as it was,
    it takes the current value (so saving again does not undo the other change); if she
    changed it too, her input stays and the field is returned as a clash to point out.
    Repeatable parts (lists) are left to the caller.
    """
    clashes = []
    for name, was in opened_values(events).items():
        field = getattr(form, name, None)
        if field is None or name not in current or isinstance(current[name], list):
            continue
        if (journal_value(field.data) or None) == (was or None):
            field.data, field.raw_data = current[name], None
        else:
            clashes.append(name)
    return clashes


def mark_clashes(form: Any, clashes: list[str], current: dict[str, Any]) -> None:
    """Point out, on each field both users changed, what the other one saved."""
    for name in clashes:
        field = getattr(form, name)
        value = current[name]
        choices = getattr(field, "choices", None)
        if choices:
            value = dict((str(c[0]), c[1]) for c in choices).get(str(value), value)
        shown = "—" if value is None or value == "" else str(value)
        field.errors = [
            *field.errors,
            _("他人已改为：%(value)s；此处保留的是您的填写", value=shown),
        ]
