"""Choices and bounds of a household file: one list each, shared by the web forms, the
spreadsheet template and its parser."""

GROUPS = tuple(f"第{n}组" for n in range(1, 13))
GENDERS = ("男", "女")
RELATIONS = (
    "配偶",
    "子",
    "女",
    "儿媳",
    "女婿",
    "孙子",
    "孙女",
    "父亲",
    "母亲",
    "兄弟",
    "姐妹",
    "其他",
)
EDUCATION = ("小学及以下", "初中", "高中/中专", "大专", "本科及以上")
HEALTH = ("健康", "一般", "慢性病", "残疾", "重病")
LABOUR_ABILITY = ("全劳动力", "半劳动力", "无劳动力")
REGISTRATION_TYPES = ("农业户口", "非农业户口", "居民户口")
HOUSING = ("砖混", "砖木", "框架", "土木", "其他")
ASSET_KINDS = ("房产", "农机具", "车辆", "牲畜", "存款", "合作社股金", "应收款", "其他")
LIABILITY_KINDS = ("银行贷款", "民间借贷")
PRODUCTION_KINDS = ("种植", "养殖")
PRODUCTION_UNITS = ("亩", "头", "只", "羽", "箱", "棵")
INSURANCE_KINDS = ("种植险", "养殖险", "农房险", "意外险", "其他")
EVALUATION_GRADES = ("优秀", "较好", "一般", "差")
RECORD_POLARITIES = (("positive", "荣誉/良好记录"), ("negative", "不良记录"))
RECORD_CATEGORIES = (
    "荣誉表彰",
    "贷款逾期",
    "失信被执行人",
    "行政处罚",
    "违反村规民约",
    "其他",
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


def choices(values: tuple[str, ...], blank: str | None = "请选择") -> list[tuple[str, str]]:
    head = [("", blank)] if blank is not None else []
    return head + [(v, v) for v in values]
