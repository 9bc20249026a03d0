"""The departmental records a run's departmental indicators read (水电气, 纳税, 社保, 公积金):
one set-based SELECT per source for the region's households, every version of a row that
could be current on the data date, each with the days its batch landed and a later batch
superseded it (`departmental.landing_days`), for `ratings.departmental_facts` to judge as of
the date. Read only when the rule set has such an indicator.
"""

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Integer, Select, cast, select

from agri_credit.departmental.landing_days import batch_days, day_of
from agri_credit.ratings.departmental_facts import DepartmentalRecords
from agri_credit.ratings.rules import MAX_LOOKBACK_MONTHS, RatingRules
from models import (
    Household,
    ProvidentFundRecord,
    Region,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    UtilityRecord,
    clock,
)

from .inputs import _households_in, _money, _read

# Which records each departmental field reads, and the sources that say "data exists".
_READS: dict[str, tuple[type, tuple[Source, ...]]] = {
    "utility_on_time_rate": (UtilityRecord, (Source.WATER, Source.ELECTRICITY, Source.GAS)),
    "tax_credit_grade": (TaxRecord, (Source.TAX,)),
    "social_insurance_months": (SocialInsuranceRecord, (Source.SOCIAL_INSURANCE,)),
    "provident_fund_months": (ProvidentFundRecord, (Source.PROVIDENT_FUND,)),
}
_VALUES: dict[type, tuple[Any, ...]] = {
    UtilityRecord: (UtilityRecord.paid_on, UtilityRecord.days_late),
    TaxRecord: (TaxRecord.tax_grade,),
    SocialInsuranceRecord: (
        SocialInsuranceRecord.months_paid,
        _money(SocialInsuranceRecord.arrears).label("arrears"),
    ),
    ProvidentFundRecord: (ProvidentFundRecord.months_paid,),
}


def _statement(model: Any, region: Region, as_of: date, months: int) -> Select:
    """Rows of the region's households in the window's years (the month is judged in pandas),
    current ones and those superseded (a later batch may have landed after the date). No
    ORDER BY: departmental_facts orders what it needs, and sorting a county's bills in SQL
    costs more than reading them."""
    first_year = (as_of.year * 12 + as_of.month - months) // 12
    return (
        select(
            SubjectKey.household_id.label("subject_id"),
            cast(model.year, Integer).label("year"),
            cast(model.month, Integer).label("month"),
            model.batch_id,
            model.superseded_by_id,
            *_VALUES[model],
        )
        .select_from(model)
        .join(SubjectKey, SubjectKey.id == model.subject_key_id)
        .join(Household, Household.id == SubjectKey.household_id)
        .where(
            _households_in(region),
            model.year.between(first_year, as_of.year),
        )
    )


def read_departmental(
    region: Region, as_of: date, rules: RatingRules
) -> DepartmentalRecords | None:
    """The records the rule set's household departmental indicators read; None when it has
    none. A source none of whose rows here had landed by the date is None (no data: the
    indicator is left out of the run)."""
    wanted = {i.field: i.lookback_months for i in rules.household_indicators if i.departmental}
    if not wanted:
        return None
    days = batch_days(clock.local_zone().key)
    frames: dict[str, pd.DataFrame | None] = {}
    for field, lookback in wanted.items():
        model, _ = _READS[field]
        months = min(int(lookback), MAX_LOOKBACK_MONTHS)
        frame = _read(_statement(model, region, as_of, months))
        frame["visible_from"] = day_of(frame.pop("batch_id"), days)
        frame["visible_until"] = day_of(frame.pop("superseded_by_id"), days)
        # Rows of batches not (or no longer) imported never count.
        frame = frame[frame["visible_from"].notna().to_numpy()].reset_index(drop=True)
        if "paid_on" in frame:
            frame["paid_on"] = pd.to_datetime(frame["paid_on"]).astype("datetime64[s]")
        # A source counts as delivered once a row of it had landed by the date.
        landed = bool((frame["visible_from"] <= pd.Timestamp(as_of)).any())
        frames[field] = frame if landed else None
    return DepartmentalRecords(
        utilities=frames.get("utility_on_time_rate"),
        tax=frames.get("tax_credit_grade"),
        social_insurance=frames.get("social_insurance_months"),
        provident_fund=frames.get("provident_fund_months"),
    )


def sources_read(rules: RatingRules) -> set[str]:
    """The departments (models.Source values) the rule set's departmental indicators read."""
    return {
        source.value
        for ind in rules.household_indicators
        if ind.departmental
        for source in _READS[ind.field][1]
    }
