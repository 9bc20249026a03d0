"""The sentence a reason shows for one feature and the subject's own value, in plain Chinese
with its unit: "近3个月用电量比去年同期少41%", "近12个月纳税3.2万元", "没有社保缴费记录".

Model quantities are turned back into what a farmer or an officer reads: log ratios into a
percentage change, ratios into percentages, the 五级分类 rank into its name, amounts into 元 /
万元 / 亿元, and a missing value into what is missing ("没有…记录"). A column the catalog
does not know (a bank's own CSV column) is written as "列名为值".
"""

import math
from collections.abc import Callable

import numpy as np

from .catalog import BY_COLUMN, FLAG, PUBLIC_RECORDS, SOURCE_NAMES

# What a utility is measured in, and what its use and bill are called.
UTILITY_WORDS = {
    "electricity": ("用电量", "千瓦时", "电费"),
    "water": ("用水量", "吨", "水费"),
    "gas": ("用气量", "立方米", "燃气费"),
}
LOAN_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
THIN_SOURCE_WORDS = {
    "tax": "纳税",
    "social_insurance": "社保缴费",
    "provident_fund": "公积金缴存",
    "utilities": "水电气缴费",
    "loans": "既往贷款",
}


def money(value: float) -> str:
    """元 below 10,000, 万元 up to 1亿, then 亿元; at most two decimals, none trailing."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e8:
        return f"{sign}{_trim(value / 1e8)}亿元"
    if value >= 1e4:
        return f"{sign}{_trim(value / 1e4)}万元"
    return f"{sign}{value:,.0f}元"


def _trim(value: float) -> str:
    text = f"{value:,.2f}" if value < 100 else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def count(value: float) -> str:
    return f"{value:,.0f}"


def number(value: float) -> str:
    """A size such as 亩 or 头: one decimal below 10, whole numbers above."""
    return _trim(round(value, 1)) if value < 10 else f"{value:,.0f}"


def percent(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


def change(log_ratio: float, than: str) -> str:
    """A trend stored as log(1+now) − log(1+before) read as "比…多/少X%" or "是…的N倍"."""
    factor = math.exp(log_ratio)
    if factor >= 2:
        return f"是{than}的{_trim(round(factor, 1))}倍"
    share = factor - 1
    if abs(share) < 0.05:
        return f"与{than}基本持平"
    return f"比{than}{'多' if share > 0 else '少'}{abs(share) * 100:.0f}%"


def _zero_or(none_text: str, text: Callable[[float], str]) -> Callable[[float], str]:
    return lambda v: none_text if v <= 0 else text(v)


def _utility_texts(utility: str) -> dict[str, Callable[[float], str]]:
    use, unit, bill = UTILITY_WORDS[utility]
    return {
        f"{utility}_consumption_12m": _zero_or(
            f"近12个月{use}为0", lambda v: f"近12个月{use}{count(v)}{unit}"
        ),
        f"{utility}_trend": lambda v: f"近3个月{use}{change(v, '去年同期')}",
        f"{utility}_seasonality": lambda v: (
            f"各月{use}基本平稳" if v < 0.1 else f"各月{use}起伏约为月均的{percent(v)}"
        ),
        f"{utility}_late_count_12m": _zero_or(
            f"近12个月{bill}均按时缴纳", lambda v: f"近12个月{bill}逾期缴纳{count(v)}次"
        ),
        f"{utility}_max_days_late_12m": _zero_or(
            f"近12个月{bill}没有逾期", lambda v: f"近12个月{bill}最长逾期{count(v)}天"
        ),
    }


def _penalty(severity: str) -> Callable[[float], str]:
    return _zero_or(
        f"近5年没有{severity}行政处罚", lambda v: f"近5年有{count(v)}次{severity}行政处罚"
    )


def _loan_class(value: float) -> str:
    return f"既往贷款最差五级分类为{LOAN_CLASSES[int(np.clip(round(value), 0, 4))]}"


TEXTS: dict[str, Callable[[float], str]] = {
    # 税务
    "tax_paid_12m": _zero_or("近12个月未缴纳税款", lambda v: f"近12个月纳税{money(v)}"),
    "tax_paid_24m": _zero_or("近24个月未缴纳税款", lambda v: f"近24个月纳税{money(v)}"),
    "tax_trend": lambda v: f"近12个月纳税额{change(v, '上一年')}",
    "tax_filing_ratio": _zero_or(
        "近12个月没有按期申报纳税", lambda v: f"近12个月按期申报纳税的月份占{percent(v)}"
    ),
    # 社保 / 公积金
    "si_insured_count": _zero_or("社保没有参保人员", lambda v: f"社保参保{count(v)}人"),
    "si_growth": lambda v: f"社保参保人数{change(v, '一年前')}",
    "si_months_paid_12m": _zero_or(
        "近12个月社保没有按时缴费的月份", lambda v: f"近12个月社保按时缴费{count(v)}个月"
    ),
    "si_arrears_months_12m": _zero_or(
        "近12个月社保没有欠费", lambda v: f"近12个月社保欠费{count(v)}个月"
    ),
    "si_arrears": _zero_or("最近一期社保没有欠费", lambda v: f"最近一期社保欠费{money(v)}"),
    "pf_depositor_count": _zero_or("没有公积金缴存人员", lambda v: f"公积金缴存{count(v)}人"),
    "pf_months_paid_12m": _zero_or(
        "近12个月没有缴存公积金", lambda v: f"近12个月公积金缴存{count(v)}个月"
    ),
    # 水电气
    **_utility_texts("electricity"),
    **_utility_texts("water"),
    **_utility_texts("gas"),
    # 公共信用记录
    "penalty_minor_5y": _penalty("轻微"),
    "penalty_general_5y": _penalty("一般"),
    "penalty_serious_5y": _penalty("严重"),
    "honour_count_5y": _zero_or("近5年没有荣誉表彰", lambda v: f"近5年获得{count(v)}次荣誉表彰"),
    # 信用档案
    "years_operating": lambda v: "经营不足1年" if v < 1 else f"已经营{_trim(round(v, 1))}年",
    "land_mu": _zero_or("没有经营土地", lambda v: f"经营土地{number(v)}亩"),
    "herd_size": _zero_or("没有养殖", lambda v: f"养殖规模{number(v)}头（只）"),
    "total_assets": _zero_or("资产总额为0", lambda v: f"资产总额{money(v)}"),
    "total_debts": _zero_or("没有负债", lambda v: f"负债总额{money(v)}"),
    "debt_ratio": lambda v: f"资产负债率{percent(v)}",
    "annual_income": _zero_or("年收入为0", lambda v: f"年收入{money(v)}"),
    "labour_count": _zero_or("家庭没有劳动力", lambda v: f"家庭劳动力{count(v)}人"),
    "household_size": lambda v: f"家庭人口{count(v)}人",
    # 本人既往贷款
    "past_loan_count": _zero_or("此前没有贷款", lambda v: f"此前有{count(v)}笔贷款"),
    "past_loan_amount": _zero_or("此前没有贷款", lambda v: f"既往贷款合计{money(v)}"),
    "past_worst_class": _loan_class,
    "past_max_days_overdue": _zero_or(
        "既往贷款从未逾期", lambda v: f"既往贷款最长逾期{count(v)}天"
    ),
    "months_since_overdue": lambda v: (
        "最近一个月内有贷款逾期" if v < 1 else f"距最近一次贷款逾期已{count(v)}个月"
    ),
    "thin_file_sources": _zero_or(
        "各部门数据齐全", lambda v: f"有{count(v)}个部门来源没有该主体的数据"
    ),
}

# Categories: the value is a label already.
CATEGORY_TEXTS: dict[str, Callable[[str], str]] = {
    "tax_grade": lambda v: f"纳税信用等级为{v}",
    "subject_type": lambda v: f"主体类别为{v}",
    "evaluation_overall": lambda v: f"村评议结果为“{v}”",
    "rating_grade": lambda v: f"最近生效的信用等级为{v}",
}

# A missing value: what the platform does not have about the subject.
MISSING: dict[str, str] = {
    "tax_trend": "没有上一年的纳税记录，无法比较纳税额变化",
    "tax_grade": "没有纳税信用等级记录",
    "si_growth": "没有一年前的社保记录，无法比较参保人数变化",
    "si_arrears": "没有社保欠费记录",
    "years_operating": "档案中没有成立日期，经营年限不详",
    "evaluation_overall": "没有村评议结果",
    "rating_grade": "没有生效的信用等级",
    "months_since_overdue": "既往贷款没有逾期记录",
    "debt_ratio": "档案中没有资产负债数据",
    "subject_type": "主体类别不详",
    "thin_file_sources": "各部门数据情况不详",
    **{
        f"{u}_trend": f"没有去年同期的{UTILITY_WORDS[u][0]}记录，无法比较变化"
        for u in UTILITY_WORDS
    },
    **{f"{u}_seasonality": f"{UTILITY_WORDS[u][0]}记录不足3个月" for u in UTILITY_WORDS},
}
MISSING_BY_SOURCE = {
    "tax": "没有纳税记录",
    "social_insurance": "没有社保缴费记录",
    "provident_fund": "没有公积金缴存记录",
    "public_records": "没有公共信用记录数据",
    "loans": "没有既往贷款记录",
    "utilities": "没有水电气缴费记录",
}
FLAG_TEXTS: dict[str, tuple[str, str]] = {  # (when set, when not)
    "dishonest_listed": ("被列为失信被执行人", "未被列为失信被执行人"),
    **{
        f"thin_{source}": (f"没有{words}记录", f"有{words}记录")
        for source, words in THIN_SOURCE_WORDS.items()
    },
}


def _missing(column: str) -> str:
    if column in MISSING:
        return MISSING[column]
    feature = BY_COLUMN[column]
    for utility, (_use, _unit, bill) in UTILITY_WORDS.items():
        if column.startswith(f"{utility}_"):
            return f"没有{bill}缴纳记录"
    if feature.source in MISSING_BY_SOURCE:
        return MISSING_BY_SOURCE[feature.source]
    if feature.source == PUBLIC_RECORDS:
        return "没有公共信用记录数据"
    return f"档案中没有{feature.name}（{SOURCE_NAMES.get(feature.source, feature.source)}）"


def sentence(column: str, value) -> str:
    """The reason sentence for `column` at the subject's `value`."""
    feature = BY_COLUMN.get(column)
    if feature is None:  # a bank's own CSV column
        return f"{column}为{value}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _missing(column)
    if column in CATEGORY_TEXTS:
        return CATEGORY_TEXTS[column](str(value))
    if feature.kind == FLAG:
        on, off = FLAG_TEXTS.get(column, (feature.name, f"不是{feature.name}"))
        return on if float(value) >= 0.5 else off
    if column in TEXTS:
        return TEXTS[column](float(value))
    return f"{feature.name}为{value}"
