"""How complete a credit file is: vectorised over a frame of households, so the form save,
the demo seed and the bulk import all use the same rule."""

import pandas as pd

from models import N_

# (column that must be filled, label shown to the cadre; pages translate it)
HOUSEHOLD_CHECKS: tuple[tuple[str, str], ...] = (
    ("phone", N_("联系电话")),
    ("address", N_("住址")),
    ("registration_type", N_("户籍类型")),
    ("housing", N_("住房情况")),
    ("land_contracted_mu", N_("承包地面积")),
    ("income_total", N_("收入情况")),
    ("annual_spending", N_("年支出")),
    ("member_count", N_("家庭成员")),
    ("asset_count", N_("资产情况")),
    ("production_count", N_("种养情况")),
    ("recent_evaluation", N_("村评议")),
)


def _filled(column: pd.Series) -> pd.Series:
    if column.dtype == bool:
        return column
    if pd.api.types.is_numeric_dtype(column):
        return (
            column.notna() & (column.fillna(0) != 0)
            if column.name.endswith("_count")
            else column.notna()
        )
    return column.notna() & (column.astype("str").str.strip() != "")


def assess_households(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns `completeness` (0-100) and `missing_fields` (labels joined by '、')."""
    filled = pd.DataFrame({column: _filled(frame[column]) for column, _ in HOUSEHOLD_CHECKS})
    completeness = (filled.sum(axis=1) * 100 // len(HOUSEHOLD_CHECKS)).astype("int64")
    labels = pd.Series([label for _, label in HOUSEHOLD_CHECKS], index=filled.columns)
    missing = (~filled).dot(labels + "、").str.rstrip("、")
    return pd.DataFrame(
        {"completeness": completeness, "missing_fields": missing}, index=frame.index
    )
