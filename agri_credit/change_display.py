"""The audit journal's {"field": [before, after]} pairs as lines a cadre can read on a phone.

A plain value reads as before → after. A repeatable part (members, assets, records …) is a
list of rows; it reads as the rows added, removed or changed, one line each, with how many
stayed as they were, instead of two whole lists side by side.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from models.sensitive import mask_id

ID_KEYS = frozenset({"id_number", "head_id_number", "operator_id_number"})


@dataclass(frozen=True)
class RowChange:
    kind: str  # "added", "removed" or "changed"
    parts: list[str]  # the row as it is now (as it was, for a removed row)
    old_parts: list[str] = field(default_factory=list)  # a changed row as it was


@dataclass(frozen=True)
class ChangeLine:
    name: str
    label: str
    before: str = ""
    after: str = ""
    rows: list[RowChange] | None = None  # set for a repeatable part
    unchanged_rows: int = 0


def _text(value: Any, key: str, value_labels: Mapping[str, str]) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    text = str(value)
    if key in ID_KEYS and "*" not in text:
        return mask_id(text)  # journals hold masked IDs; never show one in full regardless
    return value_labels.get(text, text)


def _parts(row: Any, value_labels: Mapping[str, str]) -> list[str]:
    if isinstance(row, Mapping):
        return [t for k, v in row.items() if (t := _text(v, k, value_labels))]
    return [t] if (t := _text(row, "", value_labels)) else []


def _row_changes(
    before: list, after: list, value_labels: Mapping[str, str]
) -> tuple[list[RowChange], int]:
    """Rows only before are removed, rows only after added; a removed and an added row with
    the same first value (a member's name, an asset's kind) read as one changed row."""
    remaining = list(after)
    removed = []
    for row in before:
        if row in remaining:
            remaining.remove(row)
        else:
            removed.append(row)
    unchanged = len(after) - len(remaining)
    changes: list[RowChange] = []
    added = list(remaining)
    for old in removed:
        first = _first(old)
        match = next((new for new in added if first and _first(new) == first), None)
        if match is None:
            changes.append(RowChange("removed", _parts(old, value_labels)))
        else:
            added.remove(match)
            changes.append(
                RowChange("changed", _parts(match, value_labels), _parts(old, value_labels))
            )
    changes.extend(RowChange("added", _parts(new, value_labels)) for new in added)
    return changes, unchanged


def _first(row: Any) -> Any:
    return next(iter(row.values()), None) if isinstance(row, Mapping) and row else None


def change_lines(
    changes: Mapping[str, Any],
    field_labels: Mapping[str, str],
    value_labels: Mapping[str, str] | None = None,
) -> list[ChangeLine]:
    """One line per changed field, labelled in the reader's language, in the form's order."""
    value_labels = value_labels or {}
    order = {name: i for i, name in enumerate(field_labels)}
    lines = []
    for name, pair in sorted(changes.items(), key=lambda item: order.get(item[0], len(order))):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue  # an access event's context, not a before/after pair
        before, after = pair
        label = field_labels.get(name, name)
        if isinstance(before, list) or isinstance(after, list):
            rows, unchanged = _row_changes(before or [], after or [], value_labels)
            lines.append(ChangeLine(name, label, rows=rows, unchanged_rows=unchanged))
        else:
            lines.append(
                ChangeLine(
                    name,
                    label,
                    before=_text(before, name, value_labels),
                    after=_text(after, name, value_labels),
                )
            )
    return lines
