"""The columns the rating engine reads, one contract per input frame.

The engine never queries the database: whoever runs a rating builds these frames (one row per
household, entity, loan, record or village) and hands them over. Every column that an indicator
or a gate reads may be missing or NaN; what that means is part of the contract:

* a NaN in one row is *missing data for that subject*: the indicator scores as the rule set
  says (`Indicator.when_missing`: 缺失 and 0 points by default, or the lowest band, or the
  value with its missing part as 0 taken from an optional `<field>_as_zero` column) and the
  row's `missing` column names it, so a cadre sees what to fill in;
* a column that is absent or NaN in every row is *a source with no data in this run* (say no
  bank has sent loan records yet): an indicator marked `rescale_if_absent` is left out and the
  total is scaled back to 100, and the result says so, rather than punishing everyone.

So a builder must fill 0, not NaN, where the source has data and the subject simply has none
(a household without loans has 0 days overdue). `engine.attach_loan_facts` and
`engine.attach_record_facts` do that for loans and negative records.
"""

from collections.abc import Iterable
from dataclasses import dataclass

# Kinds of column, for the documentation and for the rule-set check that an indicator reads a
# column of the right kind.
NUMBER = "number"  # int or float; NaN = no data
FLAG = "flag"  # bool, 0/1 or NaN
TEXT = "text"  # str or categorical; NaN/None = no data
DATE = "date"  # datetime.date, datetime64 or ISO string
KEY = "key"  # identifier, never NaN


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    label: str
    meaning: str
    required: bool = False


def _contract(*columns: Column) -> dict[str, Column]:
    return {c.name: c for c in columns}


# Read by the gates, for households and entities alike.
GATE_COLUMNS = _contract(
    Column(
        "max_days_overdue_unpaid",
        NUMBER,
        "未还逾期天数",
        "Most days overdue of any loan not yet repaid as of the rating date; 0 without one.",
    ),
    Column("is_dishonest", FLAG, "失信被执行人", "Listed as 失信被执行人 on the rating date."),
    Column(
        "disqualifying_negative_count",
        NUMBER,
        "不良记录数",
        "Negative records of a disqualifying category within the look-back period "
        "(RecordRules), not repaired: see engine.attach_record_facts.",
    ),
)

# Repayment, read by the repayment indicator of households and entities.
REPAYMENT_COLUMNS = _contract(
    Column(
        "worst_days_overdue",
        NUMBER,
        "最长逾期天数",
        "Most days any loan was overdue within the look-back period, repaid or not; 0 when "
        "never overdue or never borrowed; NaN when there is no repayment data.",
    ),
)

HOUSEHOLD_COLUMNS = _contract(
    Column("household_id", KEY, "农户", "Identifier carried through to the results.", True),
    Column(
        "village_code",
        KEY,
        "村",
        "12-digit code; the group for village averages. Categorical is fastest.",
        True,
    ),
    Column("household_size", NUMBER, "家庭人口", "Members including the head."),
    Column("labour_count", NUMBER, "劳动力人数", "Members of working age able to work."),
    Column(
        "total_assets",
        NUMBER,
        "家庭总资产",
        "Yuan; NaN when the file lists no assets (total_assets_as_zero then holds 0).",
    ),
    Column("total_liabilities", NUMBER, "家庭总负债", "Yuan; with total_assets gives net_assets."),
    Column("coop_shares", NUMBER, "合作社股金", "Yuan."),
    Column(
        "net_income",
        NUMBER,
        "家庭纯收入",
        "Yuan a year: income minus spending; NaN when either is not filled in "
        "(net_income_as_zero then holds it with the missing part as 0).",
    ),
    Column(
        "evaluation_overall",
        TEXT,
        "村评议",
        "The village evaluation of the rating year: 优秀 / 较好 / 一般 / 差; NaN if none.",
    ),
    *REPAYMENT_COLUMNS.values(),
    *GATE_COLUMNS.values(),
)

# Computed from departmental records by engine.attach_departmental_facts, each over the window
# of the indicator that reads it (Indicator.lookback_months), as of the run's data date. NaN is
# "no records" (无记录): scored as the indicator's missing_points, never as a bad record.
DEPARTMENTAL_COLUMNS = _contract(
    Column(
        "utility_on_time_rate",
        NUMBER,
        "水电气按时缴费率",
        "Percent of the water, electricity and gas bills of the window whose outcome is known "
        "on the data date (paid by then, or overdue by then) that were paid on time.",
    ),
    Column(
        "tax_credit_grade",
        TEXT,
        "纳税信用等级",
        "The latest 纳税信用等级 (A / B / M / C / D) of the window.",
    ),
    Column(
        "social_insurance_months",
        NUMBER,
        "社保连续缴纳月数",
        "Months paid without arrears in a row, back from the latest month of the window "
        "(0 when the latest paid month is over two months before the data date).",
    ),
    Column(
        "provident_fund_months",
        NUMBER,
        "公积金连续缴存月数",
        "As social_insurance_months, for 公积金 deposits.",
    ),
)
# The unit a departmental value is shown with, beside its points.
DEPARTMENTAL_UNITS = {
    "utility_on_time_rate": "%",
    "tax_credit_grade": "",
    "social_insurance_months": "个月",
    "provident_fund_months": "个月",
}

# Computed by the engine before scoring; an indicator may read them like input columns.
HOUSEHOLD_DERIVED = _contract(
    Column(
        "net_assets",
        NUMBER,
        "家庭净资产",
        "total_assets - total_liabilities (and net_assets_as_zero from total_assets_as_zero).",
    ),
)

ENTITY_COLUMNS = _contract(
    Column("entity_id", KEY, "经营主体", "Identifier carried through to the results.", True),
    Column(
        "entity_type",
        KEY,
        "主体类型",
        "family_farm / cooperative / large_grower / leading_enterprise (models.EntityType).",
        True,
    ),
    Column("village_code", KEY, "村", "12-digit code.", True),
    Column("founded_on", DATE, "成立日期", "Gives years_operating as of the rating date."),
    Column("land_mu", NUMBER, "经营土地", "亩."),
    Column("herd_size", NUMBER, "养殖规模", "Head of livestock or poultry."),
    Column("member_count", NUMBER, "成员数", "Co-op members."),
    Column("farmer_capital_share", NUMBER, "农民成员出资占比", "Percent, 0-100."),
    Column("annual_revenue", NUMBER, "年营业收入", "Yuan."),
    Column("total_assets", NUMBER, "资产总额", "Yuan."),
    Column("total_debts", NUMBER, "负债总额", "Yuan; with total_assets gives debt_ratio."),
    Column("has_insurance", FLAG, "农业保险", "Insured for the rating year."),
    Column("keeps_books", FLAG, "财务记账", "Keeps accounts."),
    Column("certification_count", NUMBER, "认证数", "绿色食品 / 有机产品 / 地理标志 held."),
    Column("demonstration_level", TEXT, "示范级别", "国家级 / 省级 / 市级 / 县级 / 无."),
    Column("tax_grade", TEXT, "纳税信用等级", "A / B / M / C / D; NaN without tax data."),
    Column(
        "social_insurance_ok",
        FLAG,
        "社保缴纳正常",
        "Paid social insurance for its staff without arrears; NaN without data.",
    ),
    *REPAYMENT_COLUMNS.values(),
    *GATE_COLUMNS.values(),
)

ENTITY_DERIVED = _contract(
    Column(
        "years_operating",
        NUMBER,
        "经营年限",
        "Years from founded_on to the rating date (fractional); given directly, it is kept.",
    ),
    Column(
        "debt_ratio",
        NUMBER,
        "资产负债率",
        "total_debts / total_assets in percent; given directly, it is kept.",
    ),
)

# One row per loan (current version of each LoanRecord, with the peak over its versions).
LOAN_COLUMNS = _contract(
    Column("borrower_id", KEY, "借款人", "household_id or entity_id of the borrower.", True),
    Column("balance", NUMBER, "贷款余额", "Outstanding yuan on the rating date.", True),
    Column("status", TEXT, "五级分类", "normal / special_mention / substandard / ...", True),
    Column(
        "days_overdue",
        NUMBER,
        "逾期天数",
        "Days overdue as the ledger states them, on `reported_on` (else the rating date).",
        True,
    ),
    Column("repaid_on", DATE, "结清日期", "Settled in full on; empty while outstanding."),
    Column("due_on", DATE, "到期日", "Contract end: overdue since then while unpaid."),
    Column(
        "reported_on",
        DATE,
        "数据日期",
        "The ledger's own date for this row; days_overdue of an unpaid loan are brought "
        "forward from it to the rating date (engine.loan_overdue).",
    ),
    Column(
        "peak_days_overdue",
        NUMBER,
        "曾逾期天数",
        "Most days overdue any version of this loan's ledger row stated by the rating date.",
    ),
    Column(
        "npl_since",
        DATE,
        "转为不良日期",
        "When the loan became non-performing; when absent it is estimated from days_overdue "
        "(LoanRules.npl_after_days_overdue), and a non-performing loan with fewer days "
        "overdue counts as new.",
    ),
    Column("village_code", KEY, "村", "Area of the borrower, for engine.summarise_loans."),
    Column("township_code", KEY, "乡镇", "Area of the borrower, for engine.summarise_loans."),
)

# One row per negative record (CreditRecord with polarity negative; PublicRecord of a negative
# kind, its category being the kind's Chinese label).
RECORD_COLUMNS = _contract(
    Column("subject_id", KEY, "主体", "household_id or entity_id.", True),
    Column("category", TEXT, "类别", "失信被执行人 / 行政处罚 / 贷款逾期 / ...", True),
    Column("occurred_on", DATE, "发生日期", "", True),
    Column("ended_on", DATE, "结束日期", "End of the event; empty while it lasts."),
    Column("repaired_on", DATE, "信用修复日期", "Approved credit repair: no longer counts."),
)

# Per area (village, township or county), as engine.summarise_loans returns it. A village
# missing from this frame has no loan data; one present with borrowers == 0 has no loans.
LOAN_SUMMARY_COLUMNS = _contract(
    Column("borrowers", NUMBER, "借款户数", "Distinct borrowers with a loan in the data.", True),
    Column("borrowers_overdue", NUMBER, "逾期借款户数", "Borrowers with an overdue loan.", True),
    Column("loan_balance", NUMBER, "贷款余额", "Yuan outstanding.", True),
    Column("npl_balance", NUMBER, "不良贷款余额", "Yuan outstanding in NPL classes.", True),
    Column(
        "new_npl_balance",
        NUMBER,
        "新增不良贷款余额",
        "Yuan that became non-performing within LoanRules.new_npl_window_days; NaN if unknown.",
        True,
    ),
)

VILLAGE_FACT_COLUMNS = _contract(
    Column("village_code", KEY, "村", "Every village of the run, rated households or not.", True),
    Column(
        "township_code",
        KEY,
        "乡镇",
        "Parent township; derived from the code (first 9 digits) when absent.",
    ),
    Column(
        "registered_households",
        NUMBER,
        "户籍户数",
        "Denominator of file coverage (建档率); NaN when the village has not reported it.",
    ),
)


def missing_required(frame_columns: Iterable[str], contract: dict[str, Column]) -> list[str]:
    """Required columns of `contract` that `frame_columns` lacks, in contract order."""
    present = set(frame_columns)
    return [c.name for c in contract.values() if c.required and c.name not in present]


def household_fields() -> dict[str, Column]:
    """Columns a household indicator or gate may read."""
    return {**HOUSEHOLD_COLUMNS, **HOUSEHOLD_DERIVED, **DEPARTMENTAL_COLUMNS}


def is_departmental(column: str | None) -> bool:
    """Whether an indicator reading `column` scores departmental records (lookback window,
    points for no records) rather than the file."""
    return column in DEPARTMENTAL_COLUMNS


def entity_fields() -> dict[str, Column]:
    """Columns an entity indicator or gate may read."""
    return {**ENTITY_COLUMNS, **ENTITY_DERIVED}
