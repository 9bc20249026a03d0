"""Departmental indicators a rule-set draft can take up (水电气按时缴费率, 纳税信用等级,
社保连续缴纳月数, 公积金连续缴存月数), with sensible starting bands, and the second example
rule set that uses them. The default rule set (default_rules.py) stays as DOMAIN.md has it.

Each indicator reads one field of inputs.DEPARTMENTAL_COLUMNS over its own window
(`lookback_months`) as of the run's data date; a household with no records scores its
`missing_points` (0 unless the office sets otherwise) and shows 无记录, never as a bad
record. When a source has sent nothing for the region at all, the indicator is left out and
the total scaled back to 100 (`rescale_if_absent`).
"""

from dataclasses import replace

from models import N_

from .default_rules import default_rule_set
from .rules import BANDS, CATEGORY, Band, Indicator, RatingRules


def _bands(*rows: tuple[float | None, float | None, float]) -> tuple[Band, ...]:
    return tuple(Band(lo, hi, p) for lo, hi, p in rows)


def utility_on_time(points: float = 6, missing_points: float = 0) -> Indicator:
    step = points / 3
    return Indicator(
        "utility_on_time",
        N_("水电气按时缴费率"),
        "utility_on_time_rate",
        points,
        BANDS,
        _bands((None, 70, 0), (70, 85, step), (85, 95, 2 * step), (95, None, points)),
        rescale_if_absent=True,
        note=N_("近若干个月水费、电费、燃气费账单中按期缴清的比例（%）"),
        lookback_months=12,
        missing_points=missing_points,
    )


def tax_credit_grade(points: float = 2, missing_points: float = 0) -> Indicator:
    return Indicator(
        "tax_credit_grade",
        N_("纳税信用等级"),
        "tax_credit_grade",
        points,
        CATEGORY,
        categories=(
            ("A", points),
            ("B", points * 0.75),
            ("M", points * 0.75),
            ("C", points * 0.25),
            ("D", 0.0),
        ),
        rescale_if_absent=True,
        note=N_("统计期内最近一次评定的纳税信用等级"),
        lookback_months=36,
        missing_points=missing_points,
    )


def _months(key: str, label: str, field: str, note: str, points: float, missing: float):
    return Indicator(
        key,
        label,
        field,
        points,
        BANDS,
        _bands((None, 1, 0), (1, 12, points / 2), (12, None, points)),
        rescale_if_absent=True,
        note=note,
        lookback_months=36,
        missing_points=missing,
    )


def social_insurance_months(points: float = 2, missing_points: float = 0) -> Indicator:
    return _months(
        "social_insurance_months",
        N_("社保连续缴纳月数"),
        "social_insurance_months",
        N_("截至数据日期连续足额缴纳社保的月数（个月）"),
        points,
        missing_points,
    )


def provident_fund_months(points: float = 2, missing_points: float = 0) -> Indicator:
    return _months(
        "provident_fund_months",
        N_("公积金连续缴存月数"),
        "provident_fund_months",
        N_("截至数据日期连续缴存公积金的月数（个月）"),
        points,
        missing_points,
    )


def departmental_candidates() -> tuple[Indicator, ...]:
    """What the draft editor offers to switch on, with its starting bands and windows."""
    return (
        utility_on_time(),
        tax_credit_grade(),
        social_insurance_months(),
        provident_fund_months(),
    )


EXAMPLE_NAME = N_("农户信用等级评定办法（含部门数据试行版）")
EXAMPLE_NOTE = N_(
    "示例评定办法：在默认评分表基础上，将村评议品行由 30 分调为 24 分、家庭人口和劳动力人数"
    "各调为 6 分，新增水电气按时缴费率 6 分、纳税信用等级 2 分、社保连续缴纳月数 2 分。"
    "多数农户没有纳税信用等级和个人社保记录：无记录按中间档计分，不作为不良记录。"
)


def _rescaled(ind: Indicator, points: float) -> Indicator:
    """The indicator with its maximum, bands and categories scaled to `points`."""
    k = points / ind.points
    return replace(
        ind,
        points=points,
        bands=tuple(replace(b, points=round(b.points * k, 2)) for b in ind.bands),
        categories=tuple((v, round(p * k, 2)) for v, p in ind.categories),
    )


def departmental_example_rule_set() -> RatingRules:
    """The default rule set with 10 of its household points moved to departmental data."""
    default = default_rule_set()
    points = {"household_size": 6, "labour_count": 6, "evaluation": 24}
    households = tuple(
        _rescaled(i, points[i.key]) if i.key in points else i for i in default.household_indicators
    )
    households += (
        utility_on_time(6, missing_points=3),
        tax_credit_grade(2, missing_points=1.5),
        social_insurance_months(2, missing_points=1),
    )
    return replace(default, name=EXAMPLE_NAME, household_indicators=households)
