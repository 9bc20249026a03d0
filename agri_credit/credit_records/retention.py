"""The five-year rule for negative records (征信业管理条例 art. 16; DOMAIN.md): a negative
record is kept five years from the end of its event, then no longer used or shown.

Each record model gets a SQL predicate, so file pages, the rating engine and any later list
filter in the database with the same rule instead of loading rows to drop them in Python:

    select(PublicRecord).where(in_use(PublicRecord, today))

What counts as negative, and when its event ends:

- public record: 行政处罚 ends when fulfilled (`ended_on`), or at the decision when the
  department gives no end; 失信被执行人 ends only when the listing ends (`ended_on`), so one
  still listed never expires;
- bank loan: any status but 正常, or overdue days; it ends when repaid in full (`repaid_on`),
  so an unpaid bad loan never expires;
- utility month paid late: ends on the day it was paid, or at the end of the month billed;
- social insurance with arrears, tax grade C or D: at the end of the period (month or year);
- a cadre-entered 不良记录 (`CreditRecord`): at `ended_on`, else the day it occurred.

Positive and neutral rows are always in use. Provident fund rows are never negative.
`today` is always a parameter: callers pass the date they judge as of (views: the current
date; rating runs: their data-as-of date; tests: a pinned date).
"""

from collections.abc import Callable
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Integer, and_, case, cast, false, func, not_, or_

from models import (
    NEGATIVE,
    NEGATIVE_PUBLIC_KINDS,
    CreditRecord,
    LoanRecord,
    LoanStatus,
    ProvidentFundRecord,
    PublicRecord,
    PublicRecordKind,
    SocialInsuranceRecord,
    TaxRecord,
    UtilityRecord,
)

RETENTION_YEARS = 5
NEGATIVE_TAX_GRADES = ("C", "D")


def retention_cutoff(today: date, years: int = RETENTION_YEARS) -> date:
    """The same calendar day `years` ago (28 February for a 29 February). A negative event
    that ended before this day is expired; one that ended on it is still kept."""
    return today - relativedelta(years=years)


def _period_ended_before(year, month, cutoff: date) -> ColumnElement[bool]:
    """A period (month 1-12, or 0 for the whole year) ends on its last day, and that day is
    before `cutoff` exactly when the period's last month is before cutoff's month. Comparing
    year*100+month works the same on SQLite and PostgreSQL, unlike date arithmetic."""
    last_month = case((month == 0, 12), else_=cast(month, Integer))
    # Cast first: on PostgreSQL a smallint year times 100 overflows smallint.
    return cast(year, Integer) * 100 + last_month < cutoff.year * 100 + cutoff.month


def _ended_before(end, cutoff: date) -> ColumnElement[bool]:
    # Never NULL: an event without an end has not ended, so it is not expired.
    return and_(end.is_not(None), end < cutoff)


def _public_record(cutoff: date) -> ColumnElement[bool]:
    end = case(
        (PublicRecord.kind == PublicRecordKind.DISHONEST, PublicRecord.ended_on),
        else_=func.coalesce(PublicRecord.ended_on, PublicRecord.decided_on),
    )
    return and_(
        PublicRecord.kind.in_([k.value for k in NEGATIVE_PUBLIC_KINDS]),
        _ended_before(end, cutoff),
    )


def _loan(cutoff: date) -> ColumnElement[bool]:
    negative = or_(LoanRecord.status != LoanStatus.NORMAL, LoanRecord.days_overdue > 0)
    return and_(negative, _ended_before(LoanRecord.repaid_on, cutoff))


def _utility(cutoff: date) -> ColumnElement[bool]:
    ended = case(
        (UtilityRecord.paid_on.is_not(None), UtilityRecord.paid_on < cutoff),
        else_=_period_ended_before(UtilityRecord.year, UtilityRecord.month, cutoff),
    )
    return and_(func.coalesce(UtilityRecord.days_late, 0) > 0, ended)


def _social_insurance(cutoff: date) -> ColumnElement[bool]:
    return and_(
        func.coalesce(SocialInsuranceRecord.arrears, 0) > 0,
        _period_ended_before(SocialInsuranceRecord.year, SocialInsuranceRecord.month, cutoff),
    )


def _tax(cutoff: date) -> ColumnElement[bool]:
    return and_(
        func.coalesce(TaxRecord.tax_grade, "").in_(NEGATIVE_TAX_GRADES),
        _period_ended_before(TaxRecord.year, TaxRecord.month, cutoff),
    )


def _credit_record(cutoff: date) -> ColumnElement[bool]:
    end = func.coalesce(CreditRecord.ended_on, CreditRecord.occurred_on)
    return and_(CreditRecord.polarity == NEGATIVE, _ended_before(end, cutoff))


def _never(cutoff: date) -> ColumnElement[bool]:
    return false()


_EXPIRED: dict[type, Callable[[date], ColumnElement[bool]]] = {
    PublicRecord: _public_record,
    LoanRecord: _loan,
    UtilityRecord: _utility,
    SocialInsuranceRecord: _social_insurance,
    TaxRecord: _tax,
    ProvidentFundRecord: _never,
    CreditRecord: _credit_record,
}


def expired(model: type, today: date, years: int = RETENTION_YEARS) -> ColumnElement[bool]:
    """True for a negative row whose event ended more than `years` before `today`.
    Never NULL, so its negation is safe to use in a WHERE clause."""
    try:
        rule = _EXPIRED[model]
    except KeyError:
        raise TypeError(f"no retention rule for {model.__name__}") from None
    return rule(retention_cutoff(today, years))


def in_use(model: type, today: date, years: int = RETENTION_YEARS) -> ColumnElement[bool]:
    """The rows of `model` that may still be used and shown on `today`."""
    return not_(expired(model, today, years))
