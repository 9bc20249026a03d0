"""The statistics filters from the query string: each wrong value gets a Chinese message
naming its field, and falls back to its default so the rest of the page still answers."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from .figures import Filters

MAX_MONTHS = 60


def default_start(today: date) -> date:
    """The first day of the month eleven months back: twelve calendar months."""
    months = today.year * 12 + today.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1)


@dataclass
class Parsed:
    filters: Filters
    errors: dict[str, str] = field(default_factory=dict)


def _date(args: Any, name: str, errors: dict[str, str], label: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("%(field)s应为“年-月-日”格式的日期，如 2026-01-31", field=label)
        return None


def parse_filters(
    args: Any,
    today: date,
    *,
    banks: set[int] | None,
    product_types: set[str],
    subject_types: set[str],
    townships: set[str],
) -> Parsed:
    """`banks` None: the bank is not the user's to choose (an officer sees his own)."""
    errors: dict[str, str] = {}
    start = _date(args, "from", errors, _("开始日期")) or default_start(today)
    end = _date(args, "to", errors, _("结束日期")) or today
    if start > end:
        errors["from"] = _("开始日期不能晚于结束日期")
        start, end = default_start(today), today
    elif (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        errors["from"] = _("统计区间不能超过%(n)s个月", n=MAX_MONTHS)
        start, end = default_start(today), today

    def choice(name: str, allowed: set, message: str, convert=str):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = convert(raw)
        except ValueError:
            value = None
        if value not in allowed:
            errors[name] = message
            return None
        return value

    bank = None
    if banks is not None:
        bank = choice("bank", banks, _("银行：请从列表中选择"), int)
    return Parsed(
        Filters(
            date_from=start,
            date_to=end,
            bank_id=bank,
            product_type=choice("type", product_types, _("产品类型：请从列表中选择")),
            subject_type=choice("subject", subject_types, _("主体类型：请从列表中选择")),
            township=choice("region", townships, _("乡镇：请从列表中选择")),
        ),
        errors,
    )
