"""Link requests: a file saved with a number whose departmental rows its author may not be
handed (see matching.py) waits for a credit office whose scope covers the file, the imports
that brought the rows and any other file holding them. The office confirms or refuses; both
are journalled, and a request moves from pending exactly once (a conditional update)."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update

from agri_credit.audit import record_event
from models import (
    AgriEntity,
    Enterprise,
    Household,
    LinkStatus,
    Region,
    SubjectKey,
    SubjectLinkRequest,
    User,
    code_range,
    db,
    utcnow,
)

from .matching import LINK_COLUMNS, file_numbers

FILE_MODELS = {"household": Household, "entity": AgriEntity, "enterprise": Enterprise}
KIND_LABELS = {"household": "农户", "entity": "新型农业经营主体", "enterprise": "中小微企业"}


class LinkRefused(ValueError):
    """The request cannot be decided any more; the message says why."""


@dataclass(frozen=True)
class LinkTask:
    id: int
    kind: str
    subject_id: int
    file_name: str
    region_name: str
    masked: str
    department_name: str  # the name the departments' files give the number
    requested_by: str
    created_at: datetime


def requests_for(user: User) -> Select:
    """Pending requests an office of the user's scope may decide: those whose deciding node
    lies in her subtree."""
    low, high = _range(user)
    return select(SubjectLinkRequest).where(
        SubjectLinkRequest.status == LinkStatus.PENDING,
        SubjectLinkRequest.scope_code.between(low, high),
    )


def pending_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(requests_for(user).subquery()))


def pending_tasks(user: User, limit: int = 200) -> list[LinkTask]:
    requests = list(
        db.session.scalars(requests_for(user).order_by(SubjectLinkRequest.id).limit(limit))
    )
    if not requests:
        return []
    keys = {
        k.id: k
        for k in db.session.scalars(
            select(SubjectKey).where(SubjectKey.id.in_({r.subject_key_id for r in requests}))
        )
    }
    regions = dict(
        db.session.execute(
            select(Region.code, Region.name).where(
                Region.code.in_({r.region_code for r in requests})
            )
        ).all()
    )
    users = dict(
        db.session.execute(
            select(User.id, User.display_name).where(
                User.id.in_({r.requested_by_id for r in requests if r.requested_by_id})
            )
        ).all()
    )
    tasks = []
    for r in requests:
        file = db.session.get(FILE_MODELS[r.subject_type], r.subject_id)
        key = keys.get(r.subject_key_id)
        if file is None or key is None:
            continue
        tasks.append(
            LinkTask(
                id=r.id,
                kind=r.subject_type,
                subject_id=r.subject_id,
                file_name=_file_name(file),
                region_name=regions.get(r.region_code, r.region_code),
                masked=key.masked,
                department_name=key.name,
                requested_by=users.get(r.requested_by_id, ""),
                created_at=r.created_at,
            )
        )
    return tasks


def decide(request_id: int, user: User, confirm: bool) -> SubjectLinkRequest | None:
    """Confirm (link the key to the file) or refuse a pending request in the user's scope;
    None when there is no such request for her. Caller commits."""
    request = db.session.scalar(requests_for(user).where(SubjectLinkRequest.id == request_id))
    if request is None:
        return None
    file = db.session.get(FILE_MODELS[request.subject_type], request.subject_id)
    key = db.session.get(SubjectKey, request.subject_key_id)
    if confirm and (file is None or not _carries(file, key)):
        raise LinkRefused(str(_l("该档案的证件号码已变更，不再需要关联")))
    status = LinkStatus.CONFIRMED if confirm else LinkStatus.REFUSED
    moved = db.session.execute(
        update(SubjectLinkRequest)
        .where(
            SubjectLinkRequest.id == request.id,
            SubjectLinkRequest.status == LinkStatus.PENDING,
        )
        .values(status=status, decided_by_id=user.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise LinkRefused(str(_l("该关联已由他人处理")))
    if confirm:
        column = LINK_COLUMNS[request.subject_type]
        db.session.execute(
            update(SubjectKey)
            .where(SubjectKey.id == key.id)
            .values({column.key: file.id})
            .execution_options(synchronize_session=False)
        )
    record_event(
        "subject_link.confirm" if confirm else "subject_link.refuse",
        request.subject_type,
        request.subject_id,
        ("确认关联部门数据：" if confirm else "拒绝关联部门数据：")
        + f"{_file_name(file) if file else ''} {key.masked}",
        {"subject_key_id": key.id, "request_id": request.id},
        user,
    )
    db.session.expire_all()
    return request


def _carries(file, key: SubjectKey) -> bool:
    found = file_numbers(file)
    if found is None:
        return False
    _, numbers, _ = found
    return any(number and getattr(key, attr) == number for attr, number in numbers.items())


def _file_name(file) -> str:
    return file.head_name if isinstance(file, Household) else file.name


def _range(user: User) -> tuple[str, str]:
    return code_range(user.scope_code, user.scope.level)
