"""Second person (双人复核): a credit-repair decision, a rule set's publication and the
approval of a rating run are made by someone of the office other than the person who filed,
drafted or started it. On by default; `SECOND_PERSON_APPROVAL = False` in the instance
settings lets a one-person office work alone."""

from collections.abc import Iterable

from sqlalchemy import select

from models import N_, AuditEvent, RuleSet, User, db

# What each refusal says, per kind of work.
MESSAGES = {
    "repair": N_("申请由您提交，须由信用办另一位工作人员作出决定"),
    "rule_set": N_("这一版由您起草或修改，须由信用办另一位工作人员发布"),
    "run": N_("本次评定由您发起，须由信用办另一位工作人员审定"),
}


def own_work(user: User, author_ids: Iterable[int | None], kind: str, required: bool) -> str | None:
    """The Chinese reason `user` may not approve work whose authors are `author_ids`, or
    None when she may."""
    if required and user.id in set(author_ids):
        return MESSAGES[kind]
    return None


def rule_set_authors(rule_set: RuleSet) -> set[int | None]:
    """Who drafted a version: its creator and everyone who saved an edit of it (from the
    audit journal, which records every save)."""
    editors = db.session.scalars(
        select(AuditEvent.user_id).where(
            AuditEvent.subject_type == "rule_set",
            AuditEvent.subject_id == rule_set.id,
            AuditEvent.action.in_(("ruleset.copy", "ruleset.edit")),
        )
    )
    return {rule_set.created_by_id, *editors}
