"""Figures of how far credit files have got in a region. The database adds them up per
village and per combination of missing items (a few hundred rows, whatever the number of
households); `summarise_files` turns those groups into the dashboard's figures."""

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import case, func, select

from agri_credit.auth.scopes import in_scope
from models import N_, Household, Region, User, db

# Labels marked for the catalog; the page translates them (`_(label)`).
# "%%": the page formats these through gettext, which reads % as a placeholder.
COMPLETENESS_BANDS = (
    (100, N_("完整")),
    (80, N_("80%%以上")),
    (60, N_("60%%-79%%")),
    (0, N_("60%%以下")),
)


@dataclass(frozen=True)
class FileCoverage:
    households: int
    complete: int
    average_completeness: float
    bands: list[tuple[str, int]]
    missing: list[tuple[str, int]]
    by_village: list[dict]


@dataclass(frozen=True)
class FileGroups:
    """`villages`: village_code, village_name, households, completeness_sum, and one count
    column per band (band_0 … band_3, in COMPLETENESS_BANDS order; band_0 is complete files).
    `missing`: missing_fields (the "、"-joined labels), households."""

    villages: pd.DataFrame
    missing: pd.DataFrame


def _band_counts() -> list:
    columns, upper = [], None
    for i, (floor, _label) in enumerate(COMPLETENESS_BANDS):
        test = Household.completeness >= floor
        if upper is not None:
            test = test & (Household.completeness < upper)
        columns.append(func.sum(case((test, 1), else_=0)).label(f"band_{i}"))
        upper = floor
    return columns


def load_file_groups(user: User) -> FileGroups:
    """Two GROUP BY queries over the households in the user's scope."""
    scope = in_scope(Household.village_code, user)
    villages = db.session.execute(
        select(
            Region.code,
            Region.name,
            func.count(),
            func.sum(Household.completeness),
            *_band_counts(),
        )
        .join(Region, Region.code == Household.village_code)
        .where(scope)
        .group_by(Region.code, Region.name)
    ).all()
    missing = db.session.execute(
        select(Household.missing_fields, func.count())
        .where(scope, Household.missing_fields != "")
        .group_by(Household.missing_fields)
    ).all()
    bands = [f"band_{i}" for i in range(len(COMPLETENESS_BANDS))]
    return FileGroups(
        pd.DataFrame(
            villages,
            columns=["village_code", "village_name", "households", "completeness_sum", *bands],
        ),
        pd.DataFrame(missing, columns=["missing_fields", "households"]),
    )


def summarise_files(groups: FileGroups) -> FileCoverage:
    villages = groups.villages.astype(
        {c: "int64" for c in groups.villages.columns if c not in ("village_code", "village_name")}
    )
    total = int(villages["households"].sum())
    bands = [
        (label, int(villages[f"band_{i}"].sum()))
        for i, (_floor, label) in enumerate(COMPLETENESS_BANDS)
    ]
    missing = (
        groups.missing.assign(label=groups.missing["missing_fields"].str.split("、"))
        .explode("label")
        .groupby("label")["households"]
        .sum()
        .sort_values(ascending=False, kind="stable")
    )
    by_village = pd.DataFrame(
        {
            "village_code": villages["village_code"],
            "village_name": villages["village_name"],
            "households": villages["households"],
            "average": (villages["completeness_sum"] / villages["households"]).round(1),
            "complete": villages["band_0"],
        }
    ).sort_values(["village_code", "village_name"])
    # Villages that need the most work come first: that is what a township or county acts on.
    by_village = by_village.sort_values(["average", "village_name"], kind="stable")
    return FileCoverage(
        households=total,
        complete=int(villages["band_0"].sum()),
        average_completeness=round(int(villages["completeness_sum"].sum()) / total, 1)
        if total
        else 0.0,
        bands=bands,
        missing=[(str(k), int(v)) for k, v in missing.items()],
        by_village=by_village.to_dict("records"),
    )
