"""Small WTForms extensions."""

from wtforms import FieldList


class RowList(FieldList):
    """A FieldList of repeatable rows that drops rows the user left entirely empty, so an
    accidental "add row" on a phone does not block saving the form."""

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata:
            self.entries = [e for e in self.entries if not _is_blank(e)]


def _is_blank(entry) -> bool:
    values = [f.raw_data for f in entry.form if f.type not in ("HiddenField", "CSRFTokenField")]
    return all(not raw or all(str(v).strip() == "" for v in raw) for raw in values)
