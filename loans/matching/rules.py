"""The hard eligibility rules of a loan product, one bit each in a pair's failure bitmask.

A bit's position is stored with every match result, so a rule keeps its bit forever: add new
rules at the end, never renumber. The labels and reason templates are Chinese data marked for
extraction; the pages translate them when they show them.
"""

from enum import IntEnum

from models.i18n import N_


class Rule(IntEnum):
    SUBJECT_TYPE = 0
    REGION = 1
    AMOUNT_BELOW_MIN = 2
    AMOUNT_ABOVE_MAX = 3
    TERM_BELOW_MIN = 4
    TERM_ABOVE_MAX = 5
    GRADE = 6
    SCORE = 7
    TAX_GRADE = 8
    YEARS_OPERATING = 9
    COLLATERAL = 10
    GUARANTEE = 11


RULE_LABELS = {
    Rule.SUBJECT_TYPE: N_("主体类型"),
    Rule.REGION: N_("服务区域"),
    Rule.AMOUNT_BELOW_MIN: N_("金额下限"),
    Rule.AMOUNT_ABOVE_MAX: N_("金额上限"),
    Rule.TERM_BELOW_MIN: N_("期限下限"),
    Rule.TERM_ABOVE_MAX: N_("期限上限"),
    Rule.GRADE: N_("信用等级"),
    Rule.SCORE: N_("违约风险评分"),
    Rule.TAX_GRADE: N_("纳税信用等级"),
    Rule.YEARS_OPERATING: N_("经营年限"),
    Rule.COLLATERAL: N_("抵押"),
    Rule.GUARANTEE: N_("担保"),
}

# Each failed rule is explained with both values: the applicant's and the product's.
REASON_TEMPLATES = {
    Rule.SUBJECT_TYPE: N_("申请主体为%(value)s，该产品只面向%(limit)s"),
    Rule.REGION: N_("所在地区为%(value)s，不在该产品的服务区域（%(limit)s）内"),
    Rule.AMOUNT_BELOW_MIN: N_("申请金额%(value)s万元，低于该产品下限%(limit)s万元"),
    Rule.AMOUNT_ABOVE_MAX: N_("申请金额%(value)s万元，超出该产品上限%(limit)s万元"),
    Rule.TERM_BELOW_MIN: N_("申请期限%(value)s个月，低于该产品下限%(limit)s个月"),
    Rule.TERM_ABOVE_MAX: N_("申请期限%(value)s个月，超出该产品上限%(limit)s个月"),
    Rule.GRADE: N_("信用等级为%(value)s，该产品要求%(limit)s及以上"),
    Rule.SCORE: N_("违约风险评分为%(value)s分，该产品要求不低于%(limit)s分"),
    Rule.TAX_GRADE: N_("纳税信用等级为%(value)s，该产品只接受%(limit)s"),
    Rule.YEARS_OPERATING: N_("经营年限为%(value)s，该产品要求至少%(limit)s年"),
    Rule.COLLATERAL: N_("未提供抵押物，该产品要求%(limit)s"),
    Rule.GUARANTEE: N_("未提供担保，该产品要求%(limit)s"),
}

# The same rules when the applicant has no value at all.
MISSING_VALUE_TEMPLATES = {
    Rule.GRADE: N_("尚无信用等级，该产品要求%(limit)s及以上"),
    Rule.TAX_GRADE: N_("无纳税信用等级记录，该产品只接受%(limit)s"),
    Rule.YEARS_OPERATING: N_("经营年限不详，该产品要求至少%(limit)s年"),
}
COLLATERAL_REQUIRED = N_("提供抵押")
GUARANTEE_REQUIRED = N_("提供担保")
GRADE_LETTERS = N_("%(grade)s级")  # 纳税信用等级 "B级", "A、B级"
YEARS_VALUE = N_("%(years)s年")
LIST_SEPARATOR = N_("、")

SUBJECT_TYPE_LABELS = {
    "household": N_("农户"),
    "entity": N_("新型农业经营主体"),
    "enterprise": N_("中小微企业"),
}
SUBJECT_TYPE_BITS = {"household": 1, "entity": 2, "enterprise": 4}
ALL_SUBJECT_TYPES = 7

GRADE_ORDER = {"A": 1, "AA": 2, "AAA": 3}  # 0: no grade
TAX_GRADES = ("A", "B", "M", "C", "D")
TAX_GRADE_BITS = {grade: 1 << i for i, grade in enumerate(TAX_GRADES)}


def failed_rules(mask: int) -> list[Rule]:
    """The rules whose bits are set in a pair's failure bitmask, in rule order."""
    return [rule for rule in Rule if mask >> rule & 1]
