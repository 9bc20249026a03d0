"""Loan products: the maker-checker life cycle and the queries the rest of 信易贷 reads."""

from datetime import date

from sqlalchemy import Select, or_, select

from models import LoanProduct, ProductStatus, node_contains


def listed_products_query(today: date) -> Select[tuple[LoanProduct]]:
    """Products applicants can be matched to on `today`: listed and within their dates."""
    return select(LoanProduct).where(
        LoanProduct.status == ProductStatus.LISTED.value,
        LoanProduct.valid_from <= today,
        or_(LoanProduct.valid_to.is_(None), LoanProduct.valid_to >= today),
    )


def region_covers(product_regions: list[str], region_code: str) -> bool:
    """Whether a product's regions (12-digit codes) cover a need's region: empty = the whole
    county; a township code covers its villages."""
    if not product_regions:
        return True
    return any(node_contains(code, region_code) for code in product_regions)
