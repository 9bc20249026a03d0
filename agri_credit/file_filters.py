"""List filters every kind of credit file shares (households, entities)."""

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

# value of the "completeness" list filter -> condition on the 0-100 completeness column
COMPLETENESS_FILTERS = {
    "complete": lambda column: column == 100,
    "incomplete": lambda column: column < 100,
    "low": lambda column: column < 60,
}


def filter_by_completeness(
    query: Select,
    completeness_column: InstrumentedAttribute[int],
    missing_column: InstrumentedAttribute[str],
    completeness: str,
    missing: str,
) -> Select:
    """Apply the completeness band and the "missing item" filter (a label from the file's
    completeness checks, as linked from the dashboard)."""
    if completeness in COMPLETENESS_FILTERS:
        query = query.where(COMPLETENESS_FILTERS[completeness](completeness_column))
    if missing:
        query = query.where(missing_column.contains(missing, autoescape=True))
    return query
