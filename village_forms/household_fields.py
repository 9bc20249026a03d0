"""Choices and bounds of a household file: one list each, shared by the web forms, the
spreadsheet template and its parser. The words are marked for the catalog (N_): the stored
value stays Chinese, the forms and pages show it in the reader's language."""

from typing import Any

from flask_babel import lazy_gettext as _l

from models import N_

GROUPS = tuple(f"第{n}组" for n in range(1, 13))
GENDERS = (N_("男"), N_("女"))
RELATIONS = (
    N_("配偶"),
    N_("子"),
    N_("女"),
    N_("儿媳"),
    N_("女婿"),
    N_("孙子"),
    N_("孙女"),
    N_("父亲"),
    N_("母亲"),
    N_("兄弟"),
    N_("姐妹"),
    N_("其他"),
)
EDUCATION = (N_("小学及以下"), N_("初中"), N_("高中/中专"), N_("大专"), N_("本科及以上"))
HEALTH = (N_("健康"), N_("一般"), N_("慢性病"), N_("残疾"), N_("重病"))
LABOUR_ABILITY = (N_("全劳动力"), N_("半劳动力"), N_("无劳动力"))
REGISTRATION_TYPES = (N_("农业户口"), N_("非农业户口"), N_("居民户口"))
HOUSING = (N_("砖混"), N_("砖木"), N_("框架"), N_("土木"), N_("其他"))
ASSET_KINDS = (
    N_("房产"),
    N_("农机具"),
    N_("车辆"),
    N_("牲畜"),
    N_("存款"),
    N_("合作社股金"),
    N_("应收款"),
    N_("其他"),
)
LIABILITY_KINDS = (N_("银行贷款"), N_("民间借贷"))
PRODUCTION_KINDS = (N_("种植"), N_("养殖"))
PRODUCTION_UNITS = (N_("亩"), N_("头"), N_("只"), N_("羽"), N_("箱"), N_("棵"))
INSURANCE_KINDS = (N_("种植险"), N_("养殖险"), N_("农房险"), N_("意外险"), N_("其他"))
EVALUATION_GRADES = (N_("优秀"), N_("较好"), N_("一般"), N_("差"))
RECORD_POLARITIES = (("positive", N_("荣誉/良好记录")), ("negative", N_("不良记录")))
RECORD_CATEGORIES = (
    N_("荣誉表彰"),
    N_("贷款逾期"),
    N_("失信被执行人"),
    N_("行政处罚"),
    N_("违反村规民约"),
    N_("其他"),
)

# Upper bounds that catch slips of the keyboard (an extra zero), not real outliers.
MAX_AREA_MU = 50_000
MAX_HOUSE_M2 = 5_000
MAX_HOUSEHOLD_MONEY = 50_000_000
MAX_QUANTITY = 1_000_000
MAX_OVERDUE_DAYS = 10_000
EVALUATION_ITEM_MAX = 25
MAX_ENTITY_MONEY = 10_000_000_000
MAX_MEMBERS = 100_000


def choices(values: tuple[str, ...], blank: str | None = "请选择") -> list[tuple[str, Any]]:
    """(stored value, label) pairs for a drop-down: the value stays the Chinese word the file
    stores and the sheets use; the label follows the reader's language."""
    head = [("", _l(blank) if blank else blank)] if blank is not None else []
    return head + [(v, _l(v)) for v in values]
