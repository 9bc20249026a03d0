"""Choices and bounds of a 新型农业经营主体 file: one list each, shared by the web form, the
list filters and the completeness rule."""

from models import ENTITY_TYPE_LABELS, N_, EntityType

from .household_fields import MAX_AREA_MU, MAX_ENTITY_MONEY, MAX_MEMBERS, MAX_QUANTITY

ENTITY_TYPES: tuple[tuple[str, str], ...] = tuple(
    (kind.value, label) for kind, label in ENTITY_TYPE_LABELS.items()
)
# Only a 种养大户 may have no registration: it can be a farmer known by her ID number alone.
USCC_OPTIONAL_TYPES = frozenset({EntityType.LARGE_GROWER.value})

CERTIFICATIONS = (N_("绿色食品"), N_("有机产品"), N_("地理标志"))
CERTIFICATION_SEPARATOR = ","
DEMONSTRATION_LEVELS = (N_("国家级"), N_("省级"), N_("市级"), N_("县级"), N_("无"))

# GB 32100: a co-op registered with market regulation has 登记管理部门代码 9, 机构类别 3.
COOPERATIVE_USCC_PREFIX = "93"
# 农民专业合作社法 第十二条: a co-op needs five or more members to be established.
COOPERATIVE_MIN_MEMBERS = 5

# Upper bounds that catch slips of the keyboard (an extra zero), not real outliers. A leading
# enterprise can farm far more land than a household, hence ten times the household bound.
MAX_ENTITY_LAND_MU = MAX_AREA_MU * 10
MAX_HERD_SIZE = MAX_QUANTITY
MAX_EMPLOYEES = 100_000
MAX_ENTITY_MEMBERS = MAX_MEMBERS
MAX_SHARE_PERCENT = 100
EARLIEST_FOUNDING_YEAR = 1949

__all__ = [
    "CERTIFICATIONS",
    "CERTIFICATION_SEPARATOR",
    "COOPERATIVE_MIN_MEMBERS",
    "COOPERATIVE_USCC_PREFIX",
    "DEMONSTRATION_LEVELS",
    "EARLIEST_FOUNDING_YEAR",
    "ENTITY_TYPES",
    "MAX_EMPLOYEES",
    "MAX_ENTITY_LAND_MU",
    "MAX_ENTITY_MEMBERS",
    "MAX_ENTITY_MONEY",
    "MAX_HERD_SIZE",
    "MAX_SHARE_PERCENT",
    "USCC_OPTIONAL_TYPES",
    "join_certifications",
    "split_certifications",
]


def split_certifications(stored: str | None) -> list[str]:
    return [c for c in (stored or "").split(CERTIFICATION_SEPARATOR) if c]


def join_certifications(chosen: list[str] | None) -> str:
    """Stored in the fixed order of CERTIFICATIONS, so re-saving the same set is no change."""
    chosen_set = set(chosen or ())
    return CERTIFICATION_SEPARATOR.join(c for c in CERTIFICATIONS if c in chosen_set)
