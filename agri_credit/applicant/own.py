"""The one way an applicant's view finds an object: it must belong to his own subject, or 404.

An applicant's `scope_code` is his village, but the village is not his: another household's
file, result, objection or repair is as invisible to him as another county's. So nothing here
uses the region scope; each lookup is keyed by the subject his account names."""

from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import select

from agri_credit.rating_cycle.repairs.services import NEGATIVE_KINDS, SUBJECT_LINKS
from models import (
    N_,
    AgriEntity,
    CreditRepair,
    Enterprise,
    Household,
    Objection,
    PublicRecord,
    RatingResult,
    Role,
    SubjectKey,
    User,
    db,
)

SUBJECT_KIND_LABELS = {
    "household": N_("农户"),
    "entity": N_("新型农业经营主体"),
    "enterprise": N_("中小微企业"),
}
_MODELS = {"household": Household, "entity": AgriEntity, "enterprise": Enterprise}
# Only households and entities are rated; an enterprise has a file and records only.
_RESULT_LINKS = {"household": RatingResult.household_id, "entity": RatingResult.entity_id}


@dataclass(frozen=True)
class OwnSubject:
    kind: str  # household / entity / enterprise
    id: int
    file: Any  # the Household, AgriEntity or Enterprise

    @property
    def name(self) -> str:
        return self.file.head_name if self.kind == "household" else self.file.name

    @property
    def village_code(self) -> str | None:
        if self.kind == "enterprise":
            return self.file.region_code
        return self.file.village_code

    @property
    def rated(self) -> bool:
        return self.kind in _RESULT_LINKS


def own_subject(user: User) -> OwnSubject | None:
    """The file the applicant acts for, or None (not an applicant, or no subject named)."""
    if user.role != Role.APPLICANT or user.subject_type not in _MODELS or not user.subject_id:
        return None
    file = db.session.get(_MODELS[user.subject_type], user.subject_id)
    return OwnSubject(user.subject_type, user.subject_id, file) if file is not None else None


def own_subject_or_404(user: User) -> OwnSubject:
    subject = own_subject(user)
    if subject is None:
        abort(404)
    return subject


def own_result_or_404(subject: OwnSubject, result_id: int) -> RatingResult:
    link = _RESULT_LINKS.get(subject.kind)
    result = (
        db.session.scalar(
            select(RatingResult).where(RatingResult.id == result_id, link == subject.id)
        )
        if link is not None
        else None
    )
    if result is None:
        abort(404)
    return result


def own_result_in_run(subject: OwnSubject, run_id: int) -> RatingResult | None:
    link = _RESULT_LINKS.get(subject.kind)
    if link is None:
        return None
    return db.session.scalar(
        select(RatingResult).where(RatingResult.run_id == run_id, link == subject.id)
    )


def own_objection_or_404(subject: OwnSubject, objection_id: int) -> Objection:
    link = _RESULT_LINKS.get(subject.kind)
    objection = (
        db.session.scalar(
            select(Objection)
            .join(RatingResult, RatingResult.id == Objection.result_id)
            .where(Objection.id == objection_id, link == subject.id)
        )
        if link is not None
        else None
    )
    if objection is None:
        abort(404)
    return objection


def own_objections(subject: OwnSubject) -> list[Objection]:
    """Every objection against one of his results, newest first."""
    link = _RESULT_LINKS.get(subject.kind)
    if link is None:
        return []
    return list(
        db.session.scalars(
            select(Objection)
            .join(RatingResult, RatingResult.id == Objection.result_id)
            .where(link == subject.id)
            .order_by(Objection.raised_at.desc(), Objection.id.desc())
        )
    )


def own_record_or_404(subject: OwnSubject, record_id: int) -> PublicRecord:
    """One of his negative public records (行政处罚, 失信被执行人)."""
    record = db.session.scalar(
        select(PublicRecord)
        .join(SubjectKey, SubjectKey.id == PublicRecord.subject_key_id)
        .where(
            PublicRecord.id == record_id,
            SUBJECT_LINKS[subject.kind] == subject.id,
            PublicRecord.kind.in_(NEGATIVE_KINDS),
        )
    )
    if record is None:
        abort(404)
    return record


def own_repair_or_404(subject: OwnSubject, repair_id: int) -> CreditRepair:
    repair = db.session.scalar(
        select(CreditRepair)
        .join(SubjectKey, SubjectKey.id == CreditRepair.subject_key_id)
        .where(CreditRepair.id == repair_id, SUBJECT_LINKS[subject.kind] == subject.id)
    )
    if repair is None:
        abort(404)
    return repair
