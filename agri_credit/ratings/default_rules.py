"""The default 评定办法 DOMAIN.md describes (a 农信联社 评级授信审批表 for households;
sensible, clearly unofficial sheets for the four entity types), as `RatingRules` a county
copies and changes. Its labels are marked with N_() for the English catalog."""

from typing import Any

from models import N_, EntityType

from .rules import (
    BANDS,
    CATEGORY,
    FLAG,
    RELATIVE,
    Band,
    EntitySheet,
    Gate,
    GradeBand,
    Indicator,
    LoanRules,
    RatingRules,
    RecordRules,
    Threshold,
)


def _bands(*rows: tuple[float | None, float | None, float]) -> tuple[Band, ...]:
    return tuple(Band(lo, hi, p) for lo, hi, p in rows)


def _repayment(points: float) -> Indicator:
    """Worst days overdue in the look-back period: never overdue scores in full."""
    steps = {10: (6, 3), 15: (9, 4), 20: (12, 6)}[int(points)]
    return Indicator(
        "repayment",
        N_("还款记录"),
        "worst_days_overdue",
        points,
        BANDS,
        _bands((None, 1, points), (1, 30, steps[0]), (30, 90, steps[1]), (90, None, 0)),
        rescale_if_absent=True,
        note=N_("近年最长逾期天数；尚无贷款数据时不计入，总分按其余指标折算"),
    )


def _years(points: float) -> Indicator:
    p = points / 10
    return Indicator(
        "years_operating",
        N_("经营年限"),
        "years_operating",
        points,
        BANDS,
        _bands((None, 1, 2 * p), (1, 2, 4 * p), (2, 3, 6 * p), (3, 5, 8 * p), (5, None, points)),
        note=N_("年"),
    )


def _debt_ratio(points: float) -> Indicator:
    steps = {10: (10, 8, 5, 2), 15: (15, 12, 8, 3)}[int(points)]
    return Indicator(
        "debt_ratio",
        N_("资产负债率"),
        "debt_ratio",
        points,
        BANDS,
        _bands(
            (None, 30, steps[0]),
            (30, 50, steps[1]),
            (50, 70, steps[2]),
            (70, 90, steps[3]),
            (90, None, 0),
        ),
        note=N_("%，越低越好"),
    )


def _five_steps(cuts: tuple[float, float, float, float], points: float) -> tuple[Band, ...]:
    """Five bands rising in fifths of `points` at the four cut points."""
    p = points / 5
    a, b, c, d = cuts
    return _bands((None, a, p), (a, b, 2 * p), (b, c, 3 * p), (c, d, 4 * p), (d, None, points))


def _scale(points: float, land: tuple, herd: tuple) -> Indicator:
    return Indicator(
        "scale",
        N_("经营规模"),
        "land_mu",
        points,
        BANDS,
        _five_steps(land, points),
        alt_field="herd_size",
        alt_bands=_five_steps(herd, points),
        note=N_("经营土地（亩）或养殖规模（头/只），取高者"),
    )


def _revenue(points: float, cuts: tuple) -> Indicator:
    return Indicator(
        "annual_revenue",
        N_("年营业收入"),
        "annual_revenue",
        points,
        BANDS,
        _five_steps(cuts, points),
        note=N_("元"),
    )


def _flag(key: str, label: str, column: str, points: float, **extra: Any) -> Indicator:
    return Indicator(key, label, column, points, FLAG, **extra)


def _certifications(points: float) -> Indicator:
    return Indicator(
        "certifications",
        N_("质量认证"),
        "certification_count",
        points,
        BANDS,
        _bands((None, 1, 0), (1, 2, 3 * points / 5), (2, None, points)),
        note=N_("绿色食品、有机产品、地理标志"),
    )


def _demonstration(points: float) -> Indicator:
    p = points / 5
    return Indicator(
        "demonstration",
        N_("示范级别"),
        "demonstration_level",
        points,
        CATEGORY,
        categories=(
            (N_("国家级"), points),
            (N_("省级"), 4 * p),
            (N_("市级"), 3 * p),
            (N_("县级"), 2 * p),
            (N_("无"), 0),
        ),
    )


def default_rule_set() -> RatingRules:
    """DOMAIN.md "Default rating rules", as a rule set a county can copy and change."""
    households = (
        Indicator(
            "household_size",
            N_("家庭人口"),
            "household_size",
            8,
            BANDS,
            _bands((None, 2, 2), (2, 3, 4), (3, 4, 6), (4, None, 8)),
            note=N_("人"),
        ),
        Indicator(
            "labour_count",
            N_("劳动力人数"),
            "labour_count",
            8,
            BANDS,
            _bands((None, 1, 0), (1, 2, 4), (2, 3, 6), (3, None, 8)),
            note=N_("人"),
        ),
        Indicator(
            "total_assets",
            N_("家庭总资产"),
            "total_assets",
            13,
            RELATIVE,
            _bands((None, 0.4, 2), (0.4, 0.7, 5), (0.7, 1.0, 8), (1.0, 1.5, 11), (1.5, None, 13)),
            note=N_("与本村户均之比"),
        ),
        Indicator(
            "net_assets",
            N_("家庭净资产"),
            "net_assets",
            13,
            RELATIVE,
            _bands(
                (None, 0, 0),
                (0, 0.4, 2),
                (0.4, 0.7, 5),
                (0.7, 1.0, 8),
                (1.0, 1.5, 11),
                (1.5, None, 13),
            ),
            note=N_("与本村户均之比"),
        ),
        Indicator(
            "coop_shares",
            N_("合作社入股"),
            "coop_shares",
            4,
            BANDS,
            _bands((None, 1, 0), (1, 5000, 2), (5000, None, 4)),
            note=N_("元"),
        ),
        Indicator(
            "net_income",
            N_("家庭纯收入"),
            "net_income",
            14,
            RELATIVE,
            _bands(
                (None, 0, 0),
                (0, 0.4, 3),
                (0.4, 0.7, 6),
                (0.7, 1.0, 9),
                (1.0, 1.5, 12),
                (1.5, None, 14),
            ),
            note=N_("与本村户均之比"),
        ),
        Indicator(
            "evaluation",
            N_("村评议品行"),
            "evaluation_overall",
            30,
            CATEGORY,
            categories=((N_("优秀"), 30), (N_("较好"), 25), (N_("一般"), 15), (N_("差"), 0)),
        ),
        _repayment(10),
    )
    entity_sheets = (
        EntitySheet(
            EntityType.FAMILY_FARM.value,
            (
                _years(10),
                _scale(15, (20, 50, 100, 200), (50, 100, 200, 500)),
                _revenue(15, (1e5, 2e5, 5e5, 1e6)),
                _debt_ratio(15),
                _flag("insurance", N_("农业保险"), "has_insurance", 8),
                _flag("bookkeeping", N_("财务记账"), "keeps_books", 7),
                _certifications(5),
                _demonstration(5),
                _repayment(20),
            ),
        ),
        EntitySheet(
            EntityType.COOPERATIVE.value,
            (
                _years(10),
                Indicator(
                    "member_count",
                    N_("成员数"),
                    "member_count",
                    10,
                    BANDS,
                    _bands((None, 5, 0), (5, 20, 4), (20, 50, 6), (50, 100, 8), (100, None, 10)),
                    note=N_("户"),
                ),
                _scale(10, (50, 200, 500, 1000), (200, 500, 1000, 5000)),
                _revenue(15, (3e5, 1e6, 2e6, 5e6)),
                _debt_ratio(10),
                _flag("insurance", N_("农业保险"), "has_insurance", 5),
                _flag("bookkeeping", N_("财务记账"), "keeps_books", 10),
                _certifications(5),
                _demonstration(10),
                _repayment(15),
            ),
        ),
        EntitySheet(
            EntityType.LARGE_GROWER.value,
            (
                _years(10),
                _scale(25, (30, 50, 100, 300), (50, 100, 300, 1000)),
                _revenue(20, (1e5, 2e5, 5e5, 1e6)),
                _debt_ratio(15),
                _flag("insurance", N_("农业保险"), "has_insurance", 10),
                _flag("bookkeeping", N_("财务记账"), "keeps_books", 5),
                _repayment(15),
            ),
        ),
        EntitySheet(
            EntityType.LEADING_ENTERPRISE.value,
            (
                _years(10),
                _revenue(20, (5e6, 2e7, 5e7, 1e8)),
                _debt_ratio(15),
                Indicator(
                    "tax_grade",
                    N_("纳税信用等级"),
                    "tax_grade",
                    15,
                    CATEGORY,
                    categories=(("A", 15), ("B", 12), ("M", 9), ("C", 4), ("D", 0)),
                    rescale_if_absent=True,
                    note=N_("尚无税务数据时不计入"),
                ),
                _flag(
                    "social_insurance",
                    N_("社保缴纳"),
                    "social_insurance_ok",
                    10,
                    rescale_if_absent=True,
                    note=N_("尚无社保数据时不计入"),
                ),
                _certifications(5),
                _demonstration(10),
                _flag("insurance", N_("农业保险"), "has_insurance", 5),
                _repayment(10),
            ),
        ),
    )
    return RatingRules(
        name=N_("信用户、信用村、信用乡镇评定办法（系统默认）"),
        household_indicators=households,
        entity_sheets=entity_sheets,
        gates=(
            Gate("overdue_90", N_("有逾期90天以上未还的贷款"), "max_days_overdue_unpaid", ">=", 90),
            Gate("dishonest", N_("被列为失信被执行人"), "is_dishonest", "true"),
            Gate(
                "negative_record",
                N_("近5年内有取消评定资格的不良记录"),
                "disqualifying_negative_count",
                ">=",
                1,
            ),
        ),
        grade_bands=(
            GradeBand("AAA", N_("优秀"), 80),
            GradeBand("AA", N_("良好"), 70),
            GradeBand("A", N_("一般"), 60),
        ),
        village_thresholds=(
            Threshold("credit_household_share", ">=", 70),
            Threshold("borrowers_not_overdue_share", ">=", 85),
            Threshold("npl_ratio", "<", 5),
            Threshold("new_npl_ratio", "<", 1),
            Threshold("file_coverage", ">=", 90),
        ),
        township_thresholds=(
            Threshold("credit_village_share", ">=", 50),
            Threshold("borrowers_not_overdue_share", ">=", 90),
            Threshold("npl_ratio", "<", 5),
        ),
        county_thresholds=(Threshold("credit_village_share", ">=", 60),),
        records=RecordRules(
            disqualifying_categories=(N_("失信被执行人"), N_("行政处罚")), lookback_years=5
        ),
        loans=LoanRules(),
    )
