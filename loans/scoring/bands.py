"""Points bands: how a score is read at a glance on a file page (the report's default rate
per band shows what each band has meant on held-out loans)."""

from dataclasses import dataclass

from models import N_


@dataclass(frozen=True)
class Band:
    lowest: int  # lowest points in the band
    label: str  # marked N_, translated where shown
    tone: str  # Bootstrap colour of its badge


# Bands by the default probability they stand for, on the default scale (600 points at odds
# 50:1, 20 points to double the odds): under 1 %, 1-3 %, 3-6 %, 6-12 %, over 12 % within 12
# months. Rural and small-business books default at a few percent a year, so a band read as
# "high risk" from 2 % up (600 points) would put most good borrowers in it.
BANDS = (
    Band(620, N_("低风险"), "success"),
    Band(588, N_("较低风险"), "success"),
    Band(567, N_("中等风险"), "info"),
    Band(545, N_("较高风险"), "warning"),
    Band(0, N_("高风险"), "danger"),
)


def band_of(points: int) -> Band:
    return next(b for b in BANDS if points >= b.lowest)


def band_range(band: Band) -> str:
    """'700–749', or '≥750' for the top band, '<600' for the bottom one."""
    index = BANDS.index(band)
    if index == 0:
        return f"≥{band.lowest}"
    if band.lowest == 0:
        return f"<{BANDS[index - 1].lowest}"
    return f"{band.lowest}–{BANDS[index - 1].lowest - 1}"
