"""The data layer. Import models from here; this package imports nothing else of ours."""

from .audit import AuditEvent
from .base import NAMING_CONVENTION, Base, db, refresh_planner_statistics, utcnow
from .credit_records import NEGATIVE, POSITIVE, CreditRecord
from .entities import ENTITY_TYPE_LABELS, AgriEntity, EntityType
from .households import (
    Household,
    HouseholdAsset,
    HouseholdLiability,
    HouseholdMember,
    InsurancePolicy,
    ProductionItem,
    VillageEvaluation,
)
from .regions import LEVEL_LABELS, PREFIX_LENGTH, Region, RegionLevel, code_range
from .sensitive import IdCipher, generate_master_key, mask_id
from .uploads import UploadBatch
from .users import ROLE_LABELS, ROLE_PERMISSIONS, Permission, Role, User

__all__ = [
    "ENTITY_TYPE_LABELS",
    "LEVEL_LABELS",
    "NAMING_CONVENTION",
    "NEGATIVE",
    "POSITIVE",
    "PREFIX_LENGTH",
    "ROLE_LABELS",
    "ROLE_PERMISSIONS",
    "AgriEntity",
    "AuditEvent",
    "Base",
    "CreditRecord",
    "EntityType",
    "Household",
    "HouseholdAsset",
    "HouseholdLiability",
    "HouseholdMember",
    "IdCipher",
    "InsurancePolicy",
    "Permission",
    "ProductionItem",
    "Region",
    "RegionLevel",
    "Role",
    "UploadBatch",
    "User",
    "VillageEvaluation",
    "code_range",
    "db",
    "generate_master_key",
    "refresh_planner_statistics",
    "mask_id",
    "utcnow",
]
