"""How complete an entity's credit file is: vectorised over a frame of entities, so the form
save, the demo seed and any bulk import all apply the same rule.

The checks follow the indicators a lender looks at for a 新型农业经营主体 (operator, years
operating, scale, revenue, assets and debts, insurance, sales, 示范 level). Certifications and
bookkeeping are not checks: "none" is a complete and common answer there.
"""

import pandas as pd

from models import EntityType

# (column that must be filled, label shown to the cadre, types it applies to or None for all)
ENTITY_CHECKS: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("operator_id_masked", "经营者身份证号", None),
    ("phone", "联系电话", None),
    ("address", "经营地址", None),
    ("founded_on", "成立日期", None),
    ("scale", "经营规模（土地或存栏）", None),
    ("main_products", "主要产品", None),
    ("annual_revenue", "年营业收入", None),
    ("total_assets", "资产总额", None),
    ("total_debts", "负债总额", None),
    ("insurance", "农业保险", None),
    ("sales_channels", "销售渠道", None),
    ("demonstration_level", "示范级别", None),
    ("member_count", "成员数", frozenset({EntityType.COOPERATIVE.value})),
    ("farmer_capital_share", "农民成员出资占比", frozenset({EntityType.COOPERATIVE.value})),
)

# Columns `assess_entities` reads: the checked ones, plus what derives `scale` and applicability.
INPUT_COLUMNS = (
    "entity_type",
    "land_mu",
    "herd_size",
    *(c for c, _, _ in ENTITY_CHECKS if c != "scale"),
)


def _filled(column: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column):
        # Zero is a real answer for money (no debts) but not for a scale of operation.
        return column.notna()
    return column.notna() & (column.astype("str").str.strip() != "")


def assess_entities(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns `completeness` (0-100) and `missing_fields` (labels joined by '、').

    A check that does not apply to a row's type (a co-op's members for a family farm) counts
    as filled, so every type can reach 100.
    """
    land = pd.to_numeric(frame["land_mu"], errors="coerce").fillna(0)
    herd = pd.to_numeric(frame["herd_size"], errors="coerce").fillna(0)
    derived = frame.assign(scale=(land > 0) | (herd > 0))
    filled = {}
    for column, _, applies_to in ENTITY_CHECKS:
        values = derived[column]
        done = values.astype(bool) if column == "scale" else _filled(values)
        if applies_to is not None:
            done = done | ~derived["entity_type"].isin(applies_to)
        filled[column] = done
    filled_frame = pd.DataFrame(filled, index=frame.index)
    completeness = (filled_frame.sum(axis=1) * 100 // len(ENTITY_CHECKS)).astype("int64")
    labels = pd.Series([label for _, label, _ in ENTITY_CHECKS], index=filled_frame.columns)
    missing = (~filled_frame).astype("int64").dot(labels + "、").str.rstrip("、")
    return pd.DataFrame(
        {"completeness": completeness, "missing_fields": missing}, index=frame.index
    )
