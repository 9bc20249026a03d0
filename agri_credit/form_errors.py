"""Every error of a submitted form as a list a page can show above the form, each linking
to its field: on a phone the first red field can be 2,000 px below the top of the page."""

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import Form

from village_forms.household_forms import PART_LABELS


@dataclass(frozen=True)
class ErrorLink:
    field_id: str  # the id of the element to jump to ("" when there is none)
    label: str
    message: str


def _text(message: object) -> str:
    # Some messages carry a link of their own (a duplicate ID number's file); the summary
    # lists plain text and links to the field instead.
    return Markup(str(message)).striptags() if isinstance(message, Markup) else str(message)


def _walk(fields, prefix: str, out: list[ErrorLink], part_labels: Mapping[str, str]) -> None:
    for field in fields:
        if field.type in ("CSRFTokenField", "HiddenField") and not field.errors:
            continue
        if field.type in ("FieldList", "RowList"):
            part = str(part_labels.get(field.short_name, field.label.text))
            for message in (e for e in field.errors if not isinstance(e, Mapping | list)):
                out.append(ErrorLink(field.id, part, _text(message)))
            for n, entry in enumerate(field.entries, start=1):
                row = _("%(part)s第%(n)s行", part=part, n=n)
                if entry.type == "FormField":
                    _walk(entry.form, row + " · ", out, part_labels)
                elif entry.errors:
                    out.extend(ErrorLink(entry.id, row, _text(m)) for m in entry.errors)
        elif field.type == "FormField":
            _walk(field.form, prefix, out, part_labels)
        elif field.errors:
            label = prefix + str(field.label.text)
            if field.type == "CSRFTokenField":
                out.extend(ErrorLink("", _("表单"), _text(m)) for m in field.errors)
            else:
                out.extend(ErrorLink(field.id, label, _text(m)) for m in field.errors)


def error_links(form: Form, part_labels: Mapping[str, str] | None = None) -> list[ErrorLink]:
    """The form's errors in page order, repeatable rows named by part and row number."""
    out: list[ErrorLink] = []
    _walk(form, "", out, PART_LABELS if part_labels is None else part_labels)
    return out
