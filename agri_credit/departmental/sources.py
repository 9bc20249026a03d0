"""What each department's file must tell us: the platform's fields per source, their types and
bounds, the natural key that makes a re-import idempotent, and the header names departments
commonly use (to suggest a column mapping the first time a source is imported).

Pure data: the importer, the mapping form and the demo files all read these specs.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from models import (
    LOAN_STATUS_LABELS,
    N_,
    PUBLIC_RECORD_KIND_LABELS,
    RECORD_MODELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    Source,
)


class Kind(StrEnum):
    SUBJECT = "subject"  # 18-digit ID number or 统一社会信用代码
    TEXT = "text"
    INT = "int"
    MONEY = "money"  # yuan, two decimals
    DECIMAL = "decimal"
    DATE = "date"
    PERIOD = "period"  # a year ("2025", "2025年") or a month ("2025-03", "202503", "2025年3月")
    MONTH = "month"  # a period that must name its month
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: Kind
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    # Department wording -> stored code, for CHOICE fields. Codes are accepted as well.
    choices: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()  # header names seen in departments' files


@dataclass(frozen=True)
class SourceSpec:
    source: Source
    fields: tuple[FieldSpec, ...]
    # Natural key besides the subject: the same subject and key in a later file is the same
    # record (updated if its values changed, left alone if not).
    key: tuple[str, ...]
    # Stored columns that the mapping does not provide (e.g. which utility a file is).
    constants: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self.source]

    @property
    def model(self):
        return RECORD_MODELS[self.source]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


SUBJECT = FieldSpec(
    "subject_code",
    "身份证号/统一社会信用代码",
    Kind.SUBJECT,
    required=True,
    aliases=(
        "证件号码",
        "身份证号",
        "身份证号码",
        "统一社会信用代码",
        "纳税人识别号",
        "社会信用代码",
        "借款人证件号码",
        "证件号",
    ),
)
SUBJECT_NAME = FieldSpec(
    "subject_name",
    "姓名/名称",
    Kind.TEXT,
    max_length=100,
    aliases=("姓名", "名称", "纳税人名称", "单位名称", "户名", "用户名称", "借款人", "借款人名称"),
)
PERIOD = FieldSpec(
    "period",
    "所属期",
    Kind.PERIOD,
    required=True,
    aliases=("所属期", "税款所属期", "所属年月", "缴费年月", "年度", "期间", "费款所属期"),
)
MONTH = FieldSpec(
    "period",
    "账期(年月)",
    Kind.MONTH,
    required=True,
    aliases=("账期", "抄表年月", "计费年月", "年月", "账单月份", "所属年月"),
)
MONTHS_PAID = FieldSpec(
    "months_paid", "缴费月数", Kind.INT, minimum=0, maximum=12, aliases=("缴费月数", "实缴月数")
)

TAX_GRADES = {g: g for g in "ABMCD"} | {f"{g}级": g for g in "ABMCD"}
LOAN_STATUSES = {label: code for code, label in LOAN_STATUS_LABELS.items()} | {
    label + "类": code for code, label in LOAN_STATUS_LABELS.items()
}
PUBLIC_KINDS = {label: code for code, label in PUBLIC_RECORD_KIND_LABELS.items()} | {
    "失信": "dishonest",
    "处罚": "penalty",
    "许可": "license",
    "荣誉": "honour",
    "表彰": "honour",
}
SEVERITIES = {label: code for code, label in SEVERITY_LABELS.items()} | {
    "较重": "general",
    "重大": "serious",
}


# The unit of each utility's consumption, marked for the catalog (file pages translate it).
UTILITY_UNITS = {Source.WATER: N_("吨"), Source.ELECTRICITY: N_("千瓦时"), Source.GAS: N_("立方米")}


def _utility(source: Source, unit: str) -> SourceSpec:
    return SourceSpec(
        source,
        (
            SUBJECT,
            SUBJECT_NAME,
            FieldSpec(
                "account_no",
                "户号",
                Kind.TEXT,
                max_length=40,
                aliases=("户号", "用户编号", "客户编号", "缴费号"),
            ),
            MONTH,
            FieldSpec(
                "consumption",
                f"用量({unit})",
                Kind.DECIMAL,
                required=True,
                minimum=0,
                maximum=1e9,
                aliases=("用量", "用电量", "用水量", "用气量", "抄见电量", "本期用量"),
            ),
            FieldSpec(
                "billed",
                "应缴金额(元)",
                Kind.MONEY,
                required=True,
                minimum=0,
                maximum=1e9,
                aliases=("应缴金额", "应收金额", "应收电费", "应收水费", "应收气费", "电费金额"),
            ),
            FieldSpec(
                "paid_on",
                "缴费日期",
                Kind.DATE,
                aliases=("缴费日期", "实缴日期", "缴费时间", "收费日期"),
            ),
            FieldSpec(
                "days_late",
                "逾期天数",
                Kind.INT,
                minimum=0,
                maximum=3650,
                aliases=("逾期天数", "欠费天数", "滞纳天数"),
            ),
        ),
        key=("utility", "account_no", "year", "month"),
        constants={"utility": source.value},
    )


SPECS: dict[Source, SourceSpec] = {
    Source.TAX: SourceSpec(
        Source.TAX,
        (
            SUBJECT,
            SUBJECT_NAME,
            PERIOD,
            FieldSpec(
                "tax_paid",
                "纳税额(元)",
                Kind.MONEY,
                required=True,
                minimum=0,
                maximum=1e11,
                aliases=("纳税额", "实缴税额", "入库税款", "实缴金额", "税款金额"),
            ),
            FieldSpec(
                "tax_grade",
                "纳税信用等级",
                Kind.CHOICE,
                choices=TAX_GRADES,
                aliases=("纳税信用等级", "信用等级", "纳税等级"),
            ),
            FieldSpec(
                "filing_months",
                "申报月数",
                Kind.INT,
                minimum=0,
                maximum=12,
                aliases=("申报月数", "按期申报月数"),
            ),
        ),
        key=("year", "month"),
    ),
    Source.SOCIAL_INSURANCE: SourceSpec(
        Source.SOCIAL_INSURANCE,
        (
            SUBJECT,
            SUBJECT_NAME,
            PERIOD,
            FieldSpec(
                "insured_count",
                "参保人数",
                Kind.INT,
                required=True,
                minimum=0,
                maximum=1_000_000,
                aliases=("参保人数", "缴费人数", "在职参保人数"),
            ),
            MONTHS_PAID,
            FieldSpec(
                "arrears",
                "欠费金额(元)",
                Kind.MONEY,
                minimum=0,
                maximum=1e11,
                aliases=("欠费金额", "欠缴金额", "欠费"),
            ),
        ),
        key=("year", "month"),
    ),
    Source.PROVIDENT_FUND: SourceSpec(
        Source.PROVIDENT_FUND,
        (
            SUBJECT,
            SUBJECT_NAME,
            PERIOD,
            FieldSpec(
                "depositor_count",
                "缴存人数",
                Kind.INT,
                required=True,
                minimum=0,
                maximum=1_000_000,
                aliases=("缴存人数", "正常缴存人数"),
            ),
            MONTHS_PAID,
            FieldSpec(
                "amount_paid",
                "缴存金额(元)",
                Kind.MONEY,
                minimum=0,
                maximum=1e11,
                aliases=("缴存金额", "实缴金额", "汇缴金额"),
            ),
        ),
        key=("year", "month"),
    ),
    Source.WATER: _utility(Source.WATER, UTILITY_UNITS[Source.WATER]),
    Source.ELECTRICITY: _utility(Source.ELECTRICITY, UTILITY_UNITS[Source.ELECTRICITY]),
    Source.GAS: _utility(Source.GAS, UTILITY_UNITS[Source.GAS]),
    Source.BANK_LOAN: SourceSpec(
        Source.BANK_LOAN,
        (
            SUBJECT,
            SUBJECT_NAME,
            FieldSpec(
                "bank",
                "贷款机构",
                Kind.TEXT,
                required=True,
                max_length=60,
                aliases=("贷款机构", "放款机构", "金融机构", "银行名称", "机构名称"),
            ),
            FieldSpec(
                "contract_no",
                "合同编号",
                Kind.TEXT,
                required=True,
                max_length=40,
                aliases=("合同编号", "借款合同号", "贷款合同号", "借据号"),
            ),
            FieldSpec(
                "amount",
                "贷款金额(元)",
                Kind.MONEY,
                required=True,
                minimum=0.01,
                maximum=1e11,
                aliases=("贷款金额", "合同金额", "发放金额", "借款金额"),
            ),
            FieldSpec(
                "start_on",
                "发放日期",
                Kind.DATE,
                required=True,
                aliases=("发放日期", "放款日期", "借款日期", "起始日期"),
            ),
            FieldSpec(
                "due_on",
                "到期日期",
                Kind.DATE,
                required=True,
                aliases=("到期日期", "到期日", "约定到期日"),
            ),
            FieldSpec(
                "status",
                "五级分类",
                Kind.CHOICE,
                required=True,
                choices=LOAN_STATUSES,
                aliases=("五级分类", "五级分类状态", "贷款形态", "风险分类"),
            ),
            FieldSpec(
                "days_overdue",
                "逾期天数",
                Kind.INT,
                minimum=0,
                maximum=36500,
                aliases=("逾期天数", "当前逾期天数"),
            ),
            FieldSpec(
                "balance",
                "贷款余额(元)",
                Kind.MONEY,
                minimum=0,
                maximum=1e11,
                aliases=("贷款余额", "余额", "剩余本金"),
            ),
            FieldSpec(
                "repaid_on",
                "结清日期",
                Kind.DATE,
                aliases=("结清日期", "还清日期", "实际结清日期"),
            ),
            FieldSpec("as_of", "数据日期", Kind.DATE, aliases=("数据日期", "统计日期", "报送日期")),
        ),
        key=("bank", "contract_no"),
    ),
    Source.PUBLIC_RECORD: SourceSpec(
        Source.PUBLIC_RECORD,
        (
            SUBJECT,
            SUBJECT_NAME,
            FieldSpec(
                "kind",
                "信息类别",
                Kind.CHOICE,
                required=True,
                choices=PUBLIC_KINDS,
                aliases=("信息类别", "类别", "记录类型", "信息类型"),
            ),
            FieldSpec(
                "document_no",
                "决定文书号",
                Kind.TEXT,
                max_length=120,
                aliases=("决定文书号", "文书号", "许可决定书文号", "处罚决定书文号", "案号"),
            ),
            FieldSpec(
                "title",
                "事项名称",
                Kind.TEXT,
                required=True,
                max_length=200,
                aliases=("事项名称", "许可内容", "处罚事由", "案件名称", "荣誉名称", "内容"),
            ),
            FieldSpec(
                "authority",
                "决定机关",
                Kind.TEXT,
                max_length=100,
                aliases=("决定机关", "处罚机关", "许可机关", "执行法院", "授予单位"),
            ),
            FieldSpec(
                "decided_on",
                "决定日期",
                Kind.DATE,
                required=True,
                aliases=("决定日期", "处罚决定日期", "许可决定日期", "立案时间", "发布日期"),
            ),
            FieldSpec(
                "ended_on",
                "结束日期",
                Kind.DATE,
                aliases=("结束日期", "履行完毕日期", "有效期至", "公示截止日期"),
            ),
            FieldSpec(
                "severity",
                "严重程度",
                Kind.CHOICE,
                choices=SEVERITIES,
                aliases=("严重程度", "失信程度", "处罚等级"),
            ),
        ),
        key=("kind", "document_no"),
    ),
}


def spec_for(source: str) -> SourceSpec:
    return SPECS[Source(source)]


def suggest_mapping(spec: SourceSpec, headers: list[str]) -> dict[str, str]:
    """A first guess at {field: header} from the department's headers: the field's label,
    name or a known alias, ignoring spaces and units in brackets."""

    def bare(text: str) -> str:
        for bracket in ("(", "（"):
            text = text.split(bracket)[0]
        return text.replace(" ", "").replace("\u3000", "").strip().lower()

    by_bare = {bare(h): h for h in headers if h}
    mapping: dict[str, str] = {}
    for f in spec.fields:
        for candidate in (f.label, f.name, *f.aliases):
            header = by_bare.get(bare(candidate))
            if header is not None and header not in mapping.values():
                mapping[f.name] = header
                break
    return mapping
