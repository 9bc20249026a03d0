"""The one-sheet bulk-entry files beside the household sheet: 村评议, assets, land, crops and
livestock, insurance (parts of a household file, each row naming its household by the head's
ID number) and 新型农业经营主体 files.

Each kind is a `BulkSheet`: its columns (the same `SheetColumn` as the household sheet, so the
template, its drop-downs and the parser's checks come from one list), its natural key (what
makes a re-imported row the same row), example rows for the template's 示例 sheet and notes for
its 填写说明 sheet. Choices and bounds come from household_fields / entity_fields, shared with
the web forms.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from models import ENTITY_TYPE_LABELS

from . import entity_fields as ef
from . import household_fields as hf
from .household_sheet import (
    GUIDE_SHEET,
    SheetColumn,
    write_column_table,
    write_data_sheet,
)
from .xlsx_writer import write_cell

EXAMPLE_SHEET = "示例"
LAND_TYPES = ("承包地", "流转地")
# The unit a crop or a herd is counted in: 亩/棵 for 种植, head counts for 养殖.
UNITS_BY_PRODUCTION_KIND = {"种植": ("亩", "棵"), "养殖": ("头", "只", "羽", "箱")}
YES_NO = ("是", "否")
ENTITY_TYPE_BY_LABEL = {str(label): kind.value for kind, label in ENTITY_TYPE_LABELS.items()}
EARLIEST_YEAR = 2000


@dataclass(frozen=True)
class BulkSheet:
    kind: str  # URL segment and UploadBatch.kind
    sheet: str  # the worksheet's name in the template
    title: Any  # the page and template title (lazy string)
    columns: tuple[SheetColumn, ...]
    key: tuple[str, ...]  # natural key besides the household (or, for entities, alone)
    examples: tuple[tuple[Any, ...], ...]
    notes: tuple[Any, ...] = ()

    @property
    def per_household(self) -> bool:
        return self.kind != "entities"

    def column(self, key: str) -> SheetColumn:
        return next(c for c in self.columns if c.key == key)

    @property
    def key_headers(self) -> str:
        """The natural key in her words: 户主身份证号+评议年度, 统一社会信用代码."""
        keys = ("head_id_number", *self.key) if self.per_household else self.key
        return "+".join(self.column(k).header for k in keys)


HEAD_ID = SheetColumn("head_id_number", "户主身份证号", "id", True, width=21)
HEAD_NAME = SheetColumn("head_name", "户主姓名", "name", max_length=30, width=10)


def _money(key: str, header: str, maximum: int, required: bool = False, positive: bool = False):
    return SheetColumn(
        key, header, "decimal", required, maximum=maximum, unit="元", width=14, positive=positive
    )


def _score(key: str, header: str) -> SheetColumn:
    return SheetColumn(key, header, "integer", True, maximum=hf.EVALUATION_ITEM_MAX, width=12)


EVALUATIONS = BulkSheet(
    "evaluations",
    "村评议",
    _l("村评议批量录入"),
    (
        HEAD_ID,
        HEAD_NAME,
        SheetColumn("year", "评议年度", "year", True, minimum=EARLIEST_YEAR, width=10),
        _score("law_abiding", "遵纪守法(0-25)"),
        _score("neighbourliness", "邻里关系(0-25)"),
        _score("elder_care", "赡养老人(0-25)"),
        _score("diligence", "勤劳致富(0-25)"),
        SheetColumn("overall", "综合评价", "choice", True, hf.EVALUATION_GRADES, width=10),
        SheetColumn("remarks", "评议意见", "text", max_length=200, width=30),
    ),
    ("year",),
    (
        ("610528199001011237", "王建国", 2025, 23, 22, 24, 21, "优秀", "热心公益，按时还贷"),
        ("610528198505052345", "李秀兰", 2025, 20, 18, 19, 15, "较好", ""),
    ),
    (_l("每户每个年度一行；同一户同一年度再次导入时更新原评议，不会重复。"),),
)

ASSETS = BulkSheet(
    "assets",
    "资产",
    _l("资产批量录入"),
    (
        HEAD_ID,
        HEAD_NAME,
        SheetColumn("kind", "资产类别", "choice", True, hf.ASSET_KINDS, width=12),
        SheetColumn("description", "资产说明", "text", max_length=100, width=24),
        _money("value", "估值(元)", hf.MAX_HOUSEHOLD_MONEY, required=True),
    ),
    ("kind", "description"),
    (
        ("610528199001011237", "王建国", "房产", "砖混结构住房120平方米", 180000),
        ("610528199001011237", "王建国", "农机具", "拖拉机一台", 35000),
        ("610528198505052345", "李秀兰", "合作社股金", "富平柿饼合作社", 5000),
    ),
    (_l("同一户的同一类别、同一说明视为同一项资产：再次导入时更新估值，不会重复。"),),
)

LAND = BulkSheet(
    "land",
    "土地",
    _l("土地批量录入"),
    (
        HEAD_ID,
        HEAD_NAME,
        SheetColumn("land_type", "地类", "choice", True, LAND_TYPES, width=10),
        SheetColumn(
            "area_mu",
            "面积(亩)",
            "decimal",
            True,
            maximum=hf.MAX_AREA_MU,
            unit="亩",
            width=11,
            positive=True,
        ),
    ),
    ("land_type",),
    (
        ("610528199001011237", "王建国", "承包地", 8.5),
        ("610528199001011237", "王建国", "流转地", 20),
        ("610528198505052345", "李秀兰", "承包地", 6),
    ),
    (_l("每户每种地类一行（承包地、流转地），填该户该地类的总面积；再次导入时更新面积。"),),
)

PRODUCTION = BulkSheet(
    "production",
    "种养",
    _l("种植养殖批量录入"),
    (
        HEAD_ID,
        HEAD_NAME,
        SheetColumn("kind", "类别", "choice", True, hf.PRODUCTION_KINDS, width=8),
        SheetColumn("name", "品种", "text", True, max_length=30, width=12),
        SheetColumn(
            "quantity",
            "规模",
            "decimal",
            True,
            maximum=hf.MAX_QUANTITY,
            width=10,
            positive=True,
        ),
        SheetColumn("unit", "单位", "choice", True, hf.PRODUCTION_UNITS, width=8),
    ),
    ("kind", "name"),
    (
        ("610528199001011237", "王建国", "种植", "柿子", 12, "亩"),
        ("610528199001011237", "王建国", "养殖", "奶山羊", 40, "只"),
        ("610528198505052345", "李秀兰", "种植", "小麦", 6, "亩"),
    ),
    (
        _l("种植的单位为亩或棵；养殖的单位为头、只、羽或箱。"),
        _l("同一户的同一类别、同一品种视为同一项：再次导入时更新规模和单位。"),
    ),
)

INSURANCE = BulkSheet(
    "insurance",
    "保险",
    _l("农业保险批量录入"),
    (
        HEAD_ID,
        HEAD_NAME,
        SheetColumn("kind", "险种", "choice", True, hf.INSURANCE_KINDS, width=10),
        SheetColumn("insurer", "承保机构", "text", max_length=60, width=20),
        _money("insured_amount", "保额(元)", hf.MAX_HOUSEHOLD_MONEY, True, positive=True),
        SheetColumn(
            "year", "保险年度", "year", True, minimum=EARLIEST_YEAR, future_years=1, width=10
        ),
    ),
    ("kind", "year"),
    (
        ("610528199001011237", "王建国", "种植险", "中华联合财产保险", 12000, 2025),
        ("610528198505052345", "李秀兰", "农房险", "人保财险", 50000, 2025),
    ),
    (_l("保险年度为保单所属年度（可填下一年度）；同一户同一险种同一年度再次导入时更新。"),),
)

ENTITIES = BulkSheet(
    "entities",
    "经营主体",
    _l("新型农业经营主体批量建档"),
    (
        SheetColumn(
            "entity_type", "主体类型", "choice", True, tuple(ENTITY_TYPE_BY_LABEL), width=16
        ),
        SheetColumn("name", "主体名称", "name", True, max_length=100, width=24),
        SheetColumn("uscc", "统一社会信用代码", "uscc", width=21),
        SheetColumn("operator_name", "经营者/法定代表人", "name", True, max_length=30, width=12),
        SheetColumn("operator_id_number", "经营者身份证号", "id", width=21),
        SheetColumn("phone", "联系电话", "phone", max_length=20, width=14),
        SheetColumn("address", "经营地址", "text", max_length=120, width=24),
        SheetColumn("founded_on", "成立日期", "date", minimum=ef.EARLIEST_FOUNDING_YEAR),
        SheetColumn("member_count", "成员数", "integer", maximum=ef.MAX_ENTITY_MEMBERS, unit="人"),
        SheetColumn(
            "farmer_capital_share",
            "农民成员出资占比(%)",
            "decimal",
            maximum=ef.MAX_SHARE_PERCENT,
            unit="%",
        ),
        SheetColumn("employees", "雇工人数", "integer", maximum=ef.MAX_EMPLOYEES, unit="人"),
        SheetColumn(
            "land_mu", "经营土地面积(亩)", "decimal", maximum=ef.MAX_ENTITY_LAND_MU, unit="亩"
        ),
        SheetColumn("herd_size", "畜禽存栏(头/只/羽)", "integer", maximum=ef.MAX_HERD_SIZE),
        SheetColumn("main_products", "主要产品", "text", max_length=100, width=16),
        _money("annual_revenue", "年营业收入(元)", ef.MAX_ENTITY_MONEY),
        _money("total_assets", "资产总额(元)", ef.MAX_ENTITY_MONEY),
        _money("total_debts", "负债总额(元)", ef.MAX_ENTITY_MONEY),
        SheetColumn("insurance", "农业保险", "text", max_length=100, width=20),
        SheetColumn("demonstration_level", "示范级别", "choice", choices=ef.DEMONSTRATION_LEVELS),
        SheetColumn("sales_channels", "销售渠道", "text", max_length=100, width=16),
        SheetColumn("keeps_books", "有规范账簿", "choice", choices=YES_NO, width=10),
    ),
    ("uscc",),
    (
        (
            "农民专业合作社",
            "富平县庄里镇柿饼专业合作社",
            "93610528MA6YX0XX0Y",
            "王建国",
            "610528199001011237",
            "13912345678",
            "庄里镇东坡村",
            "2018-03-15",
            56,
            85,
            6,
            320,
            None,
            "柿饼",
            2600000,
            3800000,
            900000,
            "柿子种植险 保额20万元",
            "县级",
            "订单收购、电商",
            "是",
        ),
        (
            "种养大户",
            "李秀兰养殖场",
            None,
            "李秀兰",
            "610528198505052345",
            "13887654321",
            "庄里镇东坡村三组",
            None,
            None,
            None,
            2,
            None,
            300,
            "奶山羊",
            450000,
            600000,
            100000,
            "",
            "无",
            "乳品厂收购",
            "否",
        ),
    ),
    (
        _l("统一社会信用代码是每个主体的唯一标识：再次导入时更新原档案，空白单元格保持原内容。"),
        _l("种养大户未办理登记的可不填代码，但须填写经营者身份证号（以此识别）。"),
        _l("农民专业合作社的代码应以93开头，且成员不少于5名。"),
    ),
)

BULK_SHEETS: dict[str, BulkSheet] = {
    s.kind: s for s in (EVALUATIONS, ASSETS, LAND, PRODUCTION, INSURANCE, ENTITIES)
}


def _write_examples(ws, spec: BulkSheet) -> None:
    for col, column in enumerate(spec.columns, start=1):
        write_cell(ws, 1, col, column.header).font = Font(bold=True)
    grey = Font(italic=True, color="808080")
    for row, values in enumerate(spec.examples, start=2):
        for col, value in enumerate(values, start=1):
            write_cell(ws, row, col, value).font = grey
    for column, dim in zip(spec.columns, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", strict=False):
        ws.column_dimensions[dim].width = column.width


def _write_guide(ws, spec: BulkSheet, scope_name: str, max_rows: int) -> None:
    identify = (
        _l("1. 每行第一列填户主身份证号，用来找到已建档的农户；只能填本村（本辖区）已建档的农户。")
        if spec.per_household
        else _l("1. 每个主体一行；统一社会信用代码（种养大户可为经营者身份证号）是唯一标识。")
    )
    lines: list[Any] = [
        f"{spec.title} — {scope_name}",
        "",
        _l("填写步骤"),
        identify,
        _l(
            "2. 在“%(sheet)s”表中填写，不要改动表名和列名；“示例”表只是样例，不会导入。",
            sheet=spec.sheet,
        ),
        _l("3. 带下拉箭头的列请从列表中选择；红色列名为必填项。"),
        _l(
            "4. 每个文件最多 %(n)s 行；也可另存为 CSV（UTF-8 或 GBK 编码）上传。", n=f"{max_rows:,}"
        ),
        _l("5. 上传后系统逐格检查：有错误时不会写入任何数据，并列出每个错误的行、列和原因。"),
        _l("6. 同一文件重复上传不会重复录入：以“%(key)s”识别同一条。", key=spec.key_headers),
        *spec.notes,
        "",
        _l("各列填写要求"),
    ]
    for row, text in enumerate(lines, start=1):
        write_cell(ws, row, 1, str(text))
    ws["A1"].font = Font(bold=True, size=14)
    write_column_table(ws, len(lines) + 1, {spec.sheet: spec.columns})


def build_bulk_template(spec: BulkSheet, scope_name: str, max_rows: int = 5000) -> bytes:
    """The data sheet (drop-downs, text-formatted ID columns), the 示例 sheet with example
    rows, and the 填写说明 sheet explaining every column."""
    wb = Workbook()
    data = wb.active
    data.title = spec.sheet
    write_data_sheet(data, spec.columns, max_rows + 1)
    _write_examples(wb.create_sheet(EXAMPLE_SHEET), spec)
    _write_guide(wb.create_sheet(GUIDE_SHEET), spec, scope_name, max_rows)
    wb.properties.title = f"{spec.title} {scope_name}"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def sheets_of(spec: BulkSheet) -> dict[str, Sequence[SheetColumn]]:
    """The spec as the `sheets` argument of household_sheet.mark_errors."""
    return {spec.sheet: spec.columns}
