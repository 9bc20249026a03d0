"""Check-digit rules for Chinese identifiers. Plain functions returning an error message in
Chinese, or None when the value is valid, so forms and the spreadsheet parser share them."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from models import clock

from .xlsx_writer import FORMULA_PREFIXES

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# First two digits of a 身份证号 / division code: the 31 provinces plus HK, Macau, Taiwan.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_PATTERN = re.compile(r"^0\d{2,3}-?\d{7,8}$")

OLDEST_BIRTH_YEAR = 1900


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def id_gender(value: str) -> str:
    return "男" if int(value[16]) % 2 else "女"


def id_number_error(value: str, today: date | None = None) -> str | None:
    """GB 11643: 17 digits, a plausible birth date, and the ISO 7064 MOD 11-2 check character."""
    value = (value or "").strip().upper()
    if len(value) != 18:
        return str(_l("身份证号应为18位，当前为%(n)d位", n=len(value)))
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return str(_l("身份证号前17位应为数字，末位为数字或X"))
    if value[:2] not in PROVINCE_CODES:
        return str(_l("身份证号前两位不是有效的省级行政区划代码"))
    born = id_birth_date(value)
    today = today or clock.today()
    if born is None or born.year < OLDEST_BIRTH_YEAR or born > today:
        return str(_l("身份证号中的出生日期（第7-14位）无效"))
    if id_check_char(value[:17]) != value[17]:
        return str(_l("身份证号校验位错误，请核对"))
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    """GB 32100: 18 characters from the 31-character set, with a MOD 31 check character."""
    value = (value or "").strip().upper()
    if len(value) != 18:
        return str(_l("统一社会信用代码应为18位，当前为%(n)d位", n=len(value)))
    if not USCC_PATTERN.match(value):
        return str(_l("统一社会信用代码含无效字符（不使用 I、O、Z、S、V）或第3-8位不是数字"))
    if uscc_check_char(value[:17]) != value[17]:
        return str(_l("统一社会信用代码校验位错误，请核对"))
    return None


def phone_error(value: str) -> str | None:
    value = (value or "").strip().replace(" ", "")
    if MOBILE_PATTERN.match(value) or LANDLINE_PATTERN.match(value):
        return None
    return str(_l("电话号码格式不正确（手机号11位，以1开头；固话如 0913-1234567）"))


def name_error(value: str) -> str | None:
    """Names end up in the spreadsheets offices open; one starting like a formula would run as
    one in a careless export (exports write it as text anyway: xlsx_writer)."""
    if value and value.startswith(FORMULA_PREFIXES):
        return str(_l("名称不能以 =、+、-、@ 或制表符开头（电子表格会把它当作公式）"))
    return None
