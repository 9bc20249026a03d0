"""A departmental tax import reruns matching for the subjects it touched when a listed
product reads 纳税信用等级 (issue 15 point 3: the result is never older than the data it
used), through the office's upload page; other needs are left as they were."""

import pytest

from models import MatchResult, db
from tests import departmental_factories as d
from tests import loans_factories as lf
from tests.conftest import login
from tests.test_departmental_pages import confirm_mapping, csv_bytes, upload

pytestmark = pytest.mark.real_commits  # the importer writes on its own connection

TAX_HEADERS = ["纳税人识别号", "纳税人名称", "税款所属期", "实缴税额", "纳税信用等级"]


@pytest.fixture(autouse=True)
def _production_csrf(csrf_on):
    """Uploads go through with CSRF on, as in production."""


def _result(need_id: int, product_id: int) -> MatchResult:
    db.session.expire_all()
    return db.session.get(MatchResult, (need_id, product_id))


def test_a_tax_import_rematches_the_needs_of_the_firms_it_names(client, users):
    office = users["office"]
    bank = lf.make_bank()
    officer = lf.make_officer("officer_tax", bank)
    product = lf.make_product(
        bank,
        officer,
        status="listed",
        product_type="tax",
        subject_types=["enterprise"],
        tax_grades=["A", "B"],
        amount_max=1_000_000,
    )
    firm = d.make_enterprise(office, name="富平县顺达物流有限公司")
    other = d.make_enterprise(office, name="富平县恒通商贸有限公司")
    need = lf.make_need("enterprise", firm.id, firm.region_code, office, amount=200_000)
    untouched = lf.make_need("enterprise", other.id, other.region_code, office, amount=200_000)
    db.session.commit()
    # Only eligible pairs are stored: without a 纳税信用等级 on file neither firm matches.
    assert _result(need.id, product.id) is None
    assert _result(untouched.id, product.id) is None

    login(client, "office_county")
    rows = [[firm.uscc, firm.name, "2025", "36000", "A"]]
    imported = confirm_mapping(
        client, upload(client, csv_bytes(rows, TAX_HEADERS), "税务.csv", "tax")
    )
    assert imported.status_code == 302

    after = _result(need.id, product.id)
    assert after.failures == 0 and after.rank == 1  # eligible now, from the imported grade
    assert _result(untouched.id, product.id) is None

    # A later year's grade C supersedes it: the need falls out again.
    rows = [[firm.uscc, firm.name, "2026", "1000", "C"]]
    again = confirm_mapping(
        client, upload(client, csv_bytes(rows, TAX_HEADERS), "税务2026.csv", "tax")
    )
    assert again.status_code == 302
    assert _result(need.id, product.id) is None
