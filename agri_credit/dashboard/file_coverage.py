"""Figures of how far credit files have got in a region: pure functions over frames."""

from dataclasses import dataclass

import pandas as pd

from models import N_

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


def summarise_files(frame: pd.DataFrame) -> FileCoverage:
    """`frame` has one row per household: village_code, village_name, completeness,
    missing_fields."""
    total = len(frame)
    completeness = frame["completeness"]
    bands, upper = [], None
    for floor, label in COMPLETENESS_BANDS:
        mask = completeness >= floor
        if upper is not None:
            mask &= completeness < upper
        bands.append((label, int(mask.sum())))
        upper = floor
    missing = (
        frame["missing_fields"]
        .loc[frame["missing_fields"] != ""]
        .str.split("、")
        .explode()
        .value_counts()
    )
    by_village = (
        frame.groupby(["village_code", "village_name"], sort=True)
        .agg(
            households=("completeness", "size"),
            average=("completeness", "mean"),
            complete=("completeness", lambda s: int((s == 100).sum())),
        )
        .reset_index()
    )
    by_village["average"] = by_village["average"].round(1)
    # Villages that need the most work come first: that is what a township or county acts on.
    by_village = by_village.sort_values(["average", "village_name"], kind="stable")
    return FileCoverage(
        households=total,
        complete=int((completeness == 100).sum()),
        average_completeness=round(float(completeness.mean()), 1) if total else 0.0,
        bands=bands,
        missing=[(str(k), int(v)) for k, v in missing.items()],
        by_village=by_village.to_dict("records"),
    )
