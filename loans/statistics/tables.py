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


VILLAGE_COLUMNS = ("granted", "amount", "taken_up", "taken_amount")
# key, the figures' frame, the first column's label and names, the columns, with the link note
SPECS = (
    ("month", "by_month", "month", None, NEED_COLUMNS, False),
    ("bank", "by_bank", "bank", "bank", LINK_COLUMNS, True),
    ("product_type", "by_product_type", "product_type", "product_type", LINK_COLUMNS, True),
    ("subject_type", "by_subject_type", "subject_type", "subject_type", NEED_COLUMNS, False),
    ("township", "by_township", "township", "township", NEED_COLUMNS, False),
)


def build_tables(
    figures: Figures, names: dict[str, dict[Any, str]], labels: dict[str, str]
) -> list[Table]:
    """`names` maps each dimension's keys to what the user reads (bank short names, product
    type and subject type labels, township names, reason labels); `labels` the column
    titles and table titles, translated by the caller."""
    tables = [
        Table(
            key,
            labels[frame],
            [labels[first]] + [labels[c] for c in columns],
            _rows(getattr(figures, frame), columns, names[named] if named else {}),
            labels["link_note"] if note else "",
            columns,
        )
        for key, frame, first, named, columns, note in SPECS
    ]
    tables.append(
        Table(
            "reasons",
            labels["reasons"],
            [labels["reason"], labels["rejections"]],
            [
                [names["reason"].get(r["reason_code"], r["reason_code"]), r["rejections"]]
                for r in records(figures.reasons)
            ],
            columns=("rejections",),
        )
    )
    village = {"granted": "lines_granted", "amount": "lines_amount", "taken_up": "lines_taken_up"}
    village["taken_amount"] = "lines_taken_amount"
    tables.append(
        Table(
            "village_lines",
            labels["village_lines"],
            [labels["bank"]] + [labels[village[c]] for c in VILLAGE_COLUMNS],
            _rows(figures.village_lines, VILLAGE_COLUMNS, names["bank"]),
            columns=VILLAGE_COLUMNS,
        )
    )
    return tables
