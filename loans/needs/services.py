"""Financing needs (融资需求): posting, editing, withdrawing, and the queries matching reads."""

from sqlalchemy import Select, select

from models import FinancingNeed, NeedStatus


def open_needs_query() -> Select[tuple[FinancingNeed]]:
    """Needs still looking for a lender."""
    return select(FinancingNeed).where(FinancingNeed.status == NeedStatus.OPEN.value)
