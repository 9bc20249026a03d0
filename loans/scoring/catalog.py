"""One table documenting every feature the score may read: column, Chinese name, unit,
source, the direction of its effect on risk where it is known (a monotone constraint for
LightGBM) and the sentence that explains it to a subject.

Gender and ethnicity are never features: `assert_no_protected` checks a feature list.
"""

from dataclasses import dataclass

# Sources, as the report groups features.
TAX = "tax"
SOCIAL_INSURANCE = "social_insurance"
PROVIDENT_FUND = "provident_fund"
UTILITIES = "utilities"
PUBLIC_RECORDS = "public_records"
FILE = "file"
RATING = "rating"
LOANS = "loans"

SOURCE_NAMES = {
    TAX: "税务",
    SOCIAL_INSURANCE: "社保",
    PROVIDENT_FUND: "公积金",
    UTILITIES: "水电气",
    PUBLIC_RECORDS: "公共信用记录",
    FILE: "信用档案",
    RATING: "信用评定",
    LOANS: "本人既往贷款",
}

RAISES = 1  # more of it never lowers the risk
LOWERS = -1  # more of it never raises the risk
UNKNOWN = 0

NUMBER = "number"
CATEGORY = "category"
FLAG = "flag"


@dataclass(frozen=True)
class Feature:
    column: str
    name: str  # Chinese name shown in the report
    unit: str  # 元, 月, 次, 人, 亩, 天, 比率 …; "" for categories
    source: str
    kind: str = NUMBER
    direction: int = UNKNOWN
    # A reason sentence with the subject's own value; {value} is formatted by `reasons`.
    sentence: str = ""


def _utility_features(utility: str, label: str) -> list[Feature]:
    return [
        Feature(
            f"{utility}_consumption_12m",
            f"近12个月{label}用量",
            "用量单位",
            UTILITIES,
            sentence=f"近12个月{label}用量{{value}}",
        ),
        Feature(
            f"{utility}_trend",
            f"{label}用量同比变化",
            "对数比",
            UTILITIES,
            sentence=f"近3个月{label}用量同比变化{{value}}",
        ),
        Feature(
            f"{utility}_seasonality",
            f"{label}用量季节波动",
            "变异系数",
            UTILITIES,
            sentence=f"{label}月用量波动系数{{value}}",
        ),
        Feature(
            f"{utility}_late_count_12m",
            f"近12个月{label}逾期缴费次数",
            "次",
            UTILITIES,
            direction=RAISES,
            sentence=f"近12个月{label}逾期缴费{{value}}次",
        ),
        Feature(
            f"{utility}_max_days_late_12m",
            f"近12个月{label}最长逾期天数",
            "天",
            UTILITIES,
            direction=RAISES,
            sentence=f"近12个月{label}最长逾期{{value}}天",
        ),
    ]


FEATURES: list[Feature] = [
    # 税务
    Feature("tax_paid_12m", "近12个月纳税额", "元", TAX, sentence="近12个月纳税{value}元"),
    Feature("tax_paid_24m", "近24个月纳税额", "元", TAX, sentence="近24个月纳税{value}元"),
    Feature("tax_trend", "纳税额同比变化", "对数比", TAX, sentence="近12个月纳税额同比变化{value}"),
    Feature("tax_grade", "纳税信用等级", "", TAX, kind=CATEGORY, sentence="纳税信用等级为{value}"),
    Feature(
        "tax_filing_ratio",
        "近12个月按期申报比例",
        "比率",
        TAX,
        direction=LOWERS,
        sentence="近12个月按期申报比例{value}",
    ),
    # 社保
    Feature(
        "si_insured_count",
        "社保参保人数",
        "人",
        SOCIAL_INSURANCE,
        sentence="社保参保人数{value}人",
    ),
    Feature(
        "si_growth",
        "参保人数同比变化",
        "对数比",
        SOCIAL_INSURANCE,
        sentence="参保人数同比变化{value}",
    ),
    Feature(
        "si_months_paid_12m",
        "近12个月社保缴费月数",
        "月",
        SOCIAL_INSURANCE,
        direction=LOWERS,
        sentence="近12个月社保缴费{value}个月",
    ),
    Feature(
        "si_arrears_months_12m",
        "近12个月社保欠费月数",
        "月",
        SOCIAL_INSURANCE,
        direction=RAISES,
        sentence="近12个月社保欠费{value}个月",
    ),
    Feature(
        "si_arrears",
        "最近一期社保欠费",
        "元",
        SOCIAL_INSURANCE,
        direction=RAISES,
        sentence="最近一期社保欠费{value}元",
    ),
    # 公积金
    Feature(
        "pf_depositor_count",
        "公积金缴存人数",
        "人",
        PROVIDENT_FUND,
        sentence="公积金缴存人数{value}人",
    ),
    Feature(
        "pf_months_paid_12m",
        "近12个月公积金缴存月数",
        "月",
        PROVIDENT_FUND,
        direction=LOWERS,
        sentence="近12个月公积金缴存{value}个月",
    ),
    # 水电气
    *_utility_features("electricity", "电费"),
    *_utility_features("water", "水费"),
    *_utility_features("gas", "燃气费"),
    # 公共信用记录 (five-year rule and approved 信用修复 applied)
    Feature(
        "penalty_minor_5y",
        "近5年轻微行政处罚数",
        "次",
        PUBLIC_RECORDS,
        direction=RAISES,
        sentence="近5年有{value}次轻微行政处罚",
    ),
    Feature(
        "penalty_general_5y",
        "近5年一般行政处罚数",
        "次",
        PUBLIC_RECORDS,
        direction=RAISES,
        sentence="近5年有{value}次一般行政处罚",
    ),
    Feature(
        "penalty_serious_5y",
        "近5年严重行政处罚数",
        "次",
        PUBLIC_RECORDS,
        direction=RAISES,
        sentence="近5年有{value}次严重行政处罚",
    ),
    Feature(
        "dishonest_listed",
        "失信被执行人",
        "是否",
        PUBLIC_RECORDS,
        kind=FLAG,
        direction=RAISES,
        sentence="被列为失信被执行人",
    ),
    Feature(
        "honour_count_5y",
        "近5年荣誉表彰数",
        "次",
        PUBLIC_RECORDS,
        direction=LOWERS,
        sentence="近5年获得{value}次荣誉表彰",
    ),
    # 信用档案
    Feature(
        "subject_type",
        "主体类别",
        "",
        FILE,
        kind=CATEGORY,
        sentence="主体类别为{value}",
    ),
    Feature(
        "years_operating",
        "经营年限",
        "年",
        FILE,
        sentence="经营年限{value}年",
    ),
    Feature("land_mu", "经营土地", "亩", FILE, sentence="经营土地{value}亩"),
    Feature("herd_size", "养殖规模", "头/只", FILE, sentence="养殖规模{value}头(只)"),
    Feature("total_assets", "资产总额", "元", FILE, sentence="资产总额{value}元"),
    Feature("total_debts", "负债总额", "元", FILE, sentence="负债总额{value}元"),
    Feature(
        "debt_ratio",
        "资产负债率",
        "比率",
        FILE,
        direction=RAISES,
        sentence="资产负债率为{value}",
    ),
    Feature("annual_income", "年收入", "元", FILE, sentence="年收入{value}元"),
    Feature("labour_count", "家庭劳动力", "人", FILE, sentence="家庭劳动力{value}人"),
    Feature("household_size", "家庭人口", "人", FILE, sentence="家庭人口{value}人"),
    Feature(
        "evaluation_overall",
        "村评议结果",
        "",
        FILE,
        kind=CATEGORY,
        sentence="村评议结果为{value}",
    ),
    # 信用评定
    Feature(
        "rating_grade",
        "最近生效的信用等级",
        "",
        RATING,
        kind=CATEGORY,
        sentence="最近生效的信用等级为{value}",
    ),
    # 本人既往贷款 (every version a bank reported by the date)
    Feature("past_loan_count", "既往贷款笔数", "笔", LOANS, sentence="既往贷款{value}笔"),
    Feature("past_loan_amount", "既往贷款总额", "元", LOANS, sentence="既往贷款总额{value}元"),
    Feature(
        "past_worst_class",
        "既往最差五级分类",
        "级(0正常-4损失)",
        LOANS,
        direction=RAISES,
        sentence="既往贷款最差五级分类为{value}",
    ),
    Feature(
        "past_max_days_overdue",
        "既往最长逾期天数",
        "天",
        LOANS,
        direction=RAISES,
        sentence="既往贷款最长逾期{value}天",
    ),
    Feature(
        "months_since_overdue",
        "距最近一次逾期月数",
        "月",
        LOANS,
        direction=LOWERS,
        sentence="距最近一次贷款逾期{value}个月",
    ),
    # 数据完整性
    Feature(
        "thin_file_sources",
        "无数据的来源数",
        "个",
        FILE,
        sentence="有{value}个部门来源没有数据",
    ),
]

# Per source, a flag that the subject had no row from it as of the date ("thin file"): its
# features from that source are missing (NaN), never zero.
THIN_FLAG_SOURCES = (TAX, SOCIAL_INSURANCE, PROVIDENT_FUND, UTILITIES, LOANS)
FEATURES += [
    Feature(
        f"thin_{source}",
        f"无{SOURCE_NAMES[source]}数据",
        "是否",
        source,
        kind=FLAG,
        sentence=f"没有{SOURCE_NAMES[source]}数据",
    )
    for source in THIN_FLAG_SOURCES
]

BY_COLUMN: dict[str, Feature] = {f.column: f for f in FEATURES}

PROTECTED = ("gender", "ethnic", "nation", "minzu", "sex")


def assert_no_protected(columns: list[str]) -> None:
    """Gender and ethnicity never enter the model (issue 14 point 2)."""
    bad = [c for c in columns if any(p in c.lower() for p in PROTECTED)]
    if bad:
        raise ValueError(f"protected attributes may not be features: {bad}")


def feature_columns() -> list[str]:
    return [f.column for f in FEATURES]


def categorical_columns() -> list[str]:
    return [f.column for f in FEATURES if f.kind == CATEGORY]
