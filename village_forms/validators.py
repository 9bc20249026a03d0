"""WTForms validators wrapping the identifier rules, plus bounded numbers."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, ValidationError

from .identifiers import id_number_error, name_error, phone_error, uscc_error


class IdNumber:
    def __call__(self, form: Form, field: Field) -> None:
        if field.data and (message := id_number_error(field.data)):
            raise ValidationError(message)


class Uscc:
    def __call__(self, form: Form, field: Field) -> None:
        if field.data and (message := uscc_error(field.data)):
            raise ValidationError(message)


class Phone:
    def __call__(self, form: Form, field: Field) -> None:
        if field.data and (message := phone_error(field.data)):
            raise ValidationError(message)


class PlainName:
    """A person's or organisation's name: nothing a spreadsheet would read as a formula."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and (message := name_error(field.data)):
            raise ValidationError(message)


class Bounded:
    """0 ≤ value ≤ maximum, with the unit in the message (亩, 元, 人 …)."""

    def __init__(self, maximum: float, unit: str = "", minimum: float = 0) -> None:
        self.minimum, self.maximum, self.unit = minimum, maximum, unit

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None:
            return
        value = Decimal(str(field.data))
        if value < Decimal(str(self.minimum)):
            raise ValidationError(_l("不能小于%(min)s", min=self.minimum))
        if value > Decimal(str(self.maximum)):
            raise ValidationError(
                _l(
                    "超出合理范围（上限 %(max)s%(unit)s），请核对",
                    max=f"{self.maximum:,}",
                    unit=self.unit,
                )
            )
