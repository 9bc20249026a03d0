"""The administrative region tree: 省 > 市 > 县 > 乡镇 > 村, keyed by 12-digit division codes."""

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db
from .i18n import N_


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


# Significant leading digits of a code at each level (2+2+2+3+3).
PREFIX_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}

LEVEL_LABELS = {
    RegionLevel.PROVINCE: N_("省"),
    RegionLevel.CITY: N_("市"),
    RegionLevel.COUNTY: N_("县(区)"),
    RegionLevel.TOWNSHIP: N_("乡镇(街道)"),
    RegionLevel.VILLAGE: N_("村(社区)"),
}


def code_range(code: str, level: str) -> tuple[str, str]:
    """Inclusive bounds of every 12-digit code under `code`, for index-friendly range filters."""
    prefix = code[: PREFIX_LENGTH[RegionLevel(level)]]
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def node_prefix(code: str) -> str:
    """The significant digits of a 12-digit code, read from its trailing zero groups
    (a township's code ends in 000, a county's in 000000, …)."""
    prefix = code
    for length in (9, 6, 4, 2):
        if code[length:].strip("0"):
            break
        prefix = code[:length]
    return prefix


def node_contains(outer: str, inner: str) -> bool:
    """Whether the node `outer` is `inner` or one of its ancestors (both 12-digit codes)."""
    return inner.startswith(node_prefix(outer))


def common_node(codes: list[str]) -> str:
    """The narrowest node whose subtree holds every given node (12-digit codes)."""
    prefixes = [node_prefix(c) for c in codes]
    shortest = min(len(p) for p in prefixes)
    for length in (12, 9, 6, 4, 2):
        if length <= shortest and len({p[:length] for p in prefixes}) == 1:
            return prefixes[0][:length].ljust(12, "0")
    return "0" * 12


def ancestor_codes(code: str) -> list[str]:
    """The region codes above a 12-digit code, the nearest first (township, county, city,
    province)."""
    codes: list[str] = []
    for level in (RegionLevel.TOWNSHIP, RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE):
        ancestor = code[: PREFIX_LENGTH[level]].ljust(12, "0")
        if ancestor != code and ancestor not in codes:
            codes.append(ancestor)
    return codes


class Region(db.Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("regions.code"), index=True, default=None
    )
    # 户籍户数 as the village reports it: the denominator of file coverage (建档率).
    registered_households: Mapped[int | None] = mapped_column(default=None)

    @property
    def county_code(self) -> str:
        return self.code[:6]

    def contains(self, code: str) -> bool:
        low, high = code_range(self.code, self.level)
        return low <= code <= high

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"
