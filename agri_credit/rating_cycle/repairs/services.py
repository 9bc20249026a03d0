"""信用修复: a negative public record (行政处罚, 失信被执行人) shows for a minimum period by
severity; after it, the subject (through a credit-office user) may apply with a 信用承诺 and
evidence, and a reviewer decides within 10 working days. An approved repair takes the record
out of rating and display from the decision on, and the record's history is kept.

A repair is keyed by the record's natural key (subject key, kind, 文书号), not by the row:
departments re-send their lists, each version a new row, and a repaired record must stay
repaired through every later version. Others filter with `not_repaired(model)` (SQL) or
`repaired_keys()` (Python), from `agri_credit.credit_records.repaired`.
"""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Select, case, exists, false, func, or_, select

from agri_credit.audit import record_event
from agri_credit.auth.scopes import file_scope
from agri_credit.config import DefaultConfig
from agri_credit.credit_records.repaired import RecordKey
from agri_credit.credit_records.retention import in_use
from agri_credit.deadlines import repair_decide_by
from agri_credit.file_versions import bump_version
from agri_credit.rating_cycle.second_person import own_work
from models import (
    N_,
    NEGATIVE_PUBLIC_KINDS,
    PUBLIC_RECORD_KIND_LABELS,
    SEVERITY_LABELS,
    AgriEntity,
    CreditRepair,
    Enterprise,
    Household,
    PublicRecord,
    RepairStatus,
    RerateCause,
    Role,
    SubjectKey,
    User,
    db,
    local_date,
    utcnow,
)

from ..runs.services import RunRefused, open_results_of, rerate_result

# The minimum display period by severity, the working days to decide and the largest
# evidence file are config values (REPAIR_* in config.py); a record the department gave no
# severity counts as general.
DEFAULT_SEVERITY = "general"
EVIDENCE_EXTENSIONS = ("pdf", "jpg", "jpeg", "png")

STATUS_LABELS = {
    RepairStatus.PENDING: N_("待审核"),
    RepairStatus.APPROVED: N_("已修复"),
    RepairStatus.REJECTED: N_("未通过"),
}
SUBJECT_LINKS = {
    "household": SubjectKey.household_id,
    "entity": SubjectKey.entity_id,
    "enterprise": SubjectKey.enterprise_id,
}
NEGATIVE_KINDS = [k.value for k in NEGATIVE_PUBLIC_KINDS]


class RepairRefused(ValueError):
    """The application or decision is not allowed; the message is Chinese."""


# ---- dates ------------------------------------------------------------------------------------


def min_months_for(record: PublicRecord, min_months: dict[str, int] | None = None) -> int:
    table = min_months or DefaultConfig.REPAIR_MIN_MONTHS
    return table.get(record.severity or DEFAULT_SEVERITY, table[DEFAULT_SEVERITY])


def earliest_repair_on(record: PublicRecord, min_months: dict[str, int] | None = None) -> date:
    """The first day an application is accepted: the decision date plus the minimum period."""
    # The same day months later, or the month's last day when it has no such day.
    return record.decided_on + relativedelta(months=min_months_for(record, min_months))


# ---- a subject's negative records ---------------------------------------------------------------


@dataclass(frozen=True)
class NegativeRecord:
    record: PublicRecord
    earliest: date
    repairs: list[CreditRepair]  # newest first

    @property
    def key(self) -> RecordKey:
        return (self.record.subject_key_id, self.record.kind, self.record.document_no)

    @property
    def kind_label(self) -> str:
        return PUBLIC_RECORD_KIND_LABELS.get(self.record.kind, self.record.kind)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.record.severity or "", "")

    @property
    def latest(self) -> CreditRepair | None:
        return self.repairs[0] if self.repairs else None

    @property
    def repaired(self) -> bool:
        return any(r.status == RepairStatus.APPROVED for r in self.repairs)

    @property
    def pending(self) -> bool:
        return any(r.status == RepairStatus.PENDING for r in self.repairs)

    def can_apply(self, today: date) -> bool:
        return not self.repaired and not self.pending and today >= self.earliest


def _repairs_by_key(keys: list[RecordKey]) -> dict[RecordKey, list[CreditRepair]]:
    if not keys:
        return {}
    repairs = db.session.scalars(
        select(CreditRepair)
        .where(CreditRepair.subject_key_id.in_({k[0] for k in keys}))
        .order_by(CreditRepair.applied_at.desc(), CreditRepair.id.desc())
    )
    grouped: dict[RecordKey, list[CreditRepair]] = {}
    for repair in repairs:
        grouped.setdefault((repair.subject_key_id, repair.record_kind, repair.document_no), [])
        grouped[(repair.subject_key_id, repair.record_kind, repair.document_no)].append(repair)
    return grouped


def negative_records(
    kind: str, subject_id: int, today: date, min_months: dict[str, int] | None = None
) -> list[NegativeRecord]:
    """A file's negative public records (current versions, within the five-year rule),
    repaired ones included so their history can be shown, newest first."""
    link = SUBJECT_LINKS[kind]
    records = list(
        db.session.scalars(
            select(PublicRecord)
            .join(SubjectKey, SubjectKey.id == PublicRecord.subject_key_id)
            .where(
                link == subject_id,
                PublicRecord.kind.in_(NEGATIVE_KINDS),
                PublicRecord.superseded_by_id.is_(None),
                in_use(PublicRecord, today),
            )
            .order_by(PublicRecord.decided_on.desc(), PublicRecord.id.desc())
        )
    )
    repairs = _repairs_by_key([(r.subject_key_id, r.kind, r.document_no) for r in records])
    return [
        NegativeRecord(
            r,
            earliest_repair_on(r, min_months),
            repairs.get((r.subject_key_id, r.kind, r.document_no), []),
        )
        for r in records
    ]


def current_record(repair: CreditRepair) -> PublicRecord | None:
    """The record's current version (None if every batch that carried it was rolled back)."""
    return db.session.scalar(
        select(PublicRecord).where(
            PublicRecord.subject_key_id == repair.subject_key_id,
            PublicRecord.kind == repair.record_kind,
            PublicRecord.document_no == repair.document_no,
            PublicRecord.superseded_by_id.is_(None),
        )
    )


# ---- applying and deciding ------------------------------------------------------------------------


def apply_for_repair(
    record: PublicRecord,
    *,
    commitment: str,
    evidence: str,
    user: User,
    today: date,
    evidence_filename: str = "",
    evidence_file: bytes | None = None,
    min_months: dict[str, int] | None = None,
    working_days: int = DefaultConfig.REPAIR_DECISION_WORKING_DAYS,
    max_bytes: int = DefaultConfig.REPAIR_EVIDENCE_MAX_BYTES,
    applied_at: datetime | None = None,
) -> CreditRepair:
    """File an application on the subject's behalf. Refused before the minimum display
    period is over (with the date it becomes possible), while another application for the
    same record is pending, and once the record is repaired. The decision is due in
    `working_days` working days from the stored application date (`applied_at`, now unless
    given: the demo files its application on its own date)."""
    if record.kind not in NEGATIVE_KINDS:
        raise RepairRefused("只有行政处罚、失信被执行人等失信记录可以申请信用修复")
    if record.superseded_by_id is not None:
        raise RepairRefused("该记录已被部门更新，请对最新版本申请")
    if not db.session.scalar(
        select(exists().where(PublicRecord.id == record.id, in_use(PublicRecord, today)))
    ):
        raise RepairRefused("该记录已超过5年保存期，不再使用和展示，无需申请信用修复")
    earliest = earliest_repair_on(record, min_months)
    if today < earliest:
        months = min_months_for(record, min_months)
        raise RepairRefused(
            f"该记录最短公示期为 {months} 个月，尚未届满，{earliest} 起可申请信用修复"
        )
    key = (record.subject_key_id, record.kind, record.document_no)
    for existing in _repairs_by_key([key]).get(key, []):
        if existing.status == RepairStatus.APPROVED:
            raise RepairRefused("该记录已完成信用修复")
        if existing.status == RepairStatus.PENDING:
            raise RepairRefused("该记录已有一份信用修复申请正在审核")
    if not commitment.strip():
        raise RepairRefused("请填写信用承诺书内容")
    if not evidence.strip() and not evidence_file:
        raise RepairRefused("请说明已纠正失信行为的情况，或上传证明材料")
    if evidence_file is not None:
        if len(evidence_file) > max_bytes:
            raise RepairRefused(f"证明材料不能超过 {max_bytes // (1024 * 1024)} MB")
        extension = PurePath(evidence_filename).suffix.lower().lstrip(".")
        if extension not in EVIDENCE_EXTENSIONS:
            raise RepairRefused("证明材料只能是 PDF 或 JPG/PNG 图片")
    applied_at = applied_at or utcnow()
    repair = CreditRepair(
        subject_key_id=record.subject_key_id,
        record_kind=record.kind,
        document_no=record.document_no,
        record_title=record.title[:200],
        commitment=commitment.strip(),
        evidence=evidence.strip(),
        evidence_filename=PurePath(evidence_filename).name[:200] if evidence_file else "",
        evidence_file=evidence_file or None,
        applied_by_id=user.id,
        applied_at=applied_at,
        decide_by=repair_decide_by(local_date(applied_at), working_days),
        status=RepairStatus.PENDING,
    )
    db.session.add(repair)
    db.session.flush()
    record_event(
        "repair.apply",
        "credit_repair",
        repair.id,
        f"申请信用修复：{repair.record_title}，{repair.decide_by} 前作出决定",
        {"document_no": repair.document_no, "kind": repair.record_kind},
        user=user,
    )
    return repair


def decide_repair(
    repair: CreditRepair,
    *,
    approve: bool,
    reasoning: str,
    user: User,
    second_person: bool = DefaultConfig.SECOND_PERSON_APPROVAL,
) -> CreditRepair:
    if repair.status != RepairStatus.PENDING:
        raise RepairRefused("该申请已有决定")
    if refusal := own_work(user, [repair.applied_by_id], "repair", second_person):
        raise RepairRefused(refusal)
    if not reasoning.strip():
        raise RepairRefused("请写明审核意见及理由")
    repair.status = RepairStatus.APPROVED if approve else RepairStatus.REJECTED
    repair.decided_by_id = user.id
    repair.decided_at = utcnow()
    repair.reasoning = reasoning.strip()
    record_event(
        "repair.approve" if approve else "repair.reject",
        "credit_repair",
        repair.id,
        f"信用修复{'通过' if approve else '未通过'}：{repair.record_title}",
        {"status": ["pending", repair.status], "document_no": repair.document_no},
        user=user,
    )
    if approve:
        _apply_repair(repair, user)
    return repair


FILE_MODELS = {"household": Household, "entity": AgriEntity, "enterprise": Enterprise}


def _apply_repair(repair: CreditRepair, user: User) -> None:
    """What an approved repair changes at once: the file moves to its next version (its
    records and maybe its grade change; an edit form opened before is refused as stale),
    and the subject is re-rated in every run still open, the score before kept with the
    re-rating. A run that cannot re-rate it (the household moved village since) is left as
    it is and noted in the journal: the office re-runs it."""
    key = db.session.get(SubjectKey, repair.subject_key_id)
    subject = subject_of(key) if key is not None else None
    if subject is None:
        return
    kind, subject_id = subject
    version = bump_version(FILE_MODELS[kind], subject_id)
    record_event(
        "repair.file",
        kind,
        subject_id,
        f"信用修复通过，记录不再使用和展示：{repair.record_title}",
        {"document_no": repair.document_no},
        user=user,
        subject_version=version,
    )
    if kind == "enterprise":  # enterprises are not rated
        return
    for result in open_results_of(kind, subject_id):
        try:
            rerate_result(
                result,
                user,
                cause=RerateCause.REPAIR,
                reason=f"信用修复通过：{repair.record_title}",
                repair_id=repair.id,
            )
        except RunRefused as refused:
            record_event(
                "rating.rerate.refused",
                "rating_result",
                result.id,
                f"信用修复后未能重新评定：{refused}",
                user=user,
            )


def is_overdue(repair: CreditRepair, today: date) -> bool:
    return repair.status == RepairStatus.PENDING and repair.decide_by < today


# ---- lists in scope -------------------------------------------------------------------------------


def subject_keys_in_scope(user: User) -> ColumnElement[bool]:
    """Subject keys linked to a file the user may see, for a query that outer-joins the
    three file tables on the key's links (as `repairs_in_scope` does): the scope is tested
    on the joined row itself, not through an IN over every file of the county, which the
    planner would build for each page and count."""
    if user.role not in (Role.CADRE, Role.OFFICE):
        enterprise = false()  # as enterprises_in_scope: no SME outside the file keepers
    else:
        enterprise = file_scope(Enterprise.region_code, Enterprise.county_code, user)
    return or_(
        file_scope(Household.village_code, Household.county_code, user),
        file_scope(AgriEntity.village_code, AgriEntity.county_code, user),
        enterprise,
    )


def repairs_in_scope(user: User) -> Select:
    """Repairs with their subject's name and file link: (CreditRepair, SubjectKey, name)."""
    name = func.coalesce(Household.head_name, AgriEntity.name, Enterprise.name, SubjectKey.name)
    return (
        select(CreditRepair, SubjectKey, name.label("subject_name"))
        .join(SubjectKey, SubjectKey.id == CreditRepair.subject_key_id)
        .outerjoin(Household, Household.id == SubjectKey.household_id)
        .outerjoin(AgriEntity, AgriEntity.id == SubjectKey.entity_id)
        .outerjoin(Enterprise, Enterprise.id == SubjectKey.enterprise_id)
        .where(subject_keys_in_scope(user))
    )


def filter_repairs(query: Select, status: str, today: date) -> Select:
    if status == "overdue":
        query = query.where(
            CreditRepair.status == RepairStatus.PENDING, CreditRepair.decide_by < today
        )
    elif status in {s.value for s in RepairStatus}:
        query = query.where(CreditRepair.status == status)
    pending_first = case((CreditRepair.status == RepairStatus.PENDING, 0), else_=1)
    return query.order_by(
        pending_first,
        CreditRepair.decide_by,
        CreditRepair.id.desc(),
    )


def subject_of(key: SubjectKey) -> tuple[str, int] | None:
    """(kind, id) of the file a subject key is linked to."""
    for kind, column in SUBJECT_LINKS.items():
        value = getattr(key, column.key)
        if value is not None:
            return kind, value
    return None
