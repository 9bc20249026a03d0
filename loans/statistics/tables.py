"""The figures as named tables: the page and the XLSX export show these same rows, so the
export cannot say anything the page does not."""

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .figures import Figures, records


@dataclass(frozen=True)
class Table:
    key: str  # stable name (sheet order, anchors, tests)
    title: str
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""
    columns: tuple[str, ...] = ()  # the figure key of each column after the first


NEED_COLUMNS = (
    "posted",
    "matched",
    "claimed",
    "approved",
    "amount",
    "first_loans",
    "avg_days",
    "rejected",
)
LINK_COLUMNS = ("matched", "claimed", "approved", "amount", "first_loans", "avg_days", "rejected")


def _rows(frame: pd.DataFrame, columns: tuple[str, ...], names: dict[Any, str]) -> list[list[Any]]:
    return [
        [names.get(row["key"], str(row["key"]))] + [row[c] for c in columns]
        for row in records(frame)
    ]


def build_tables(
    figures: Figures, names: dict[str, dict[Any, str]], labels: dict[str, str]
) -> list[Table]:
    """`names` maps each dimension's keys to what the user reads (bank short names, product
    type and subject type labels, township names, reason labels); `labels` the column
    titles and table titles, translated by the caller."""

    def headers(first: str, columns: tuple[str, ...]) -> list[str]:
        return [first] + [labels[c] for c in columns]

    return [
        Table(
            "month",
            labels["by_month"],
            headers(labels["month"], NEED_COLUMNS),
            _rows(figures.by_month, NEED_COLUMNS, {}),
            columns=NEED_COLUMNS,
        ),
        Table(
            "bank",
            labels["by_bank"],
            headers(labels["bank"], LINK_COLUMNS),
            _rows(figures.by_bank, LINK_COLUMNS, names["bank"]),
            labels["link_note"],
            LINK_COLUMNS,
        ),
        Table(
            "product_type",
            labels["by_product_type"],
            headers(labels["product_type"], LINK_COLUMNS),
            _rows(figures.by_product_type, LINK_COLUMNS, names["product_type"]),
            labels["link_note"],
            LINK_COLUMNS,
        ),
        Table(
            "subject_type",
            labels["by_subject_type"],
            headers(labels["subject_type"], NEED_COLUMNS),
            _rows(figures.by_subject_type, NEED_COLUMNS, names["subject_type"]),
            columns=NEED_COLUMNS,
        ),
        Table(
            "township",
            labels["by_township"],
            headers(labels["township"], NEED_COLUMNS),
            _rows(figures.by_township, NEED_COLUMNS, names["township"]),
            columns=NEED_COLUMNS,
        ),
        Table(
            "reasons",
            labels["reasons"],
            [labels["reason"], labels["rejections"]],
            [
                [names["reason"].get(r["reason_code"], r["reason_code"]), r["rejections"]]
                for r in records(figures.reasons)
            ],
            columns=("rejections",),
        ),
    ]
