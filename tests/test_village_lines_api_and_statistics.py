"""整村授信 in the bank API's list of lines and in 信易贷统计: each bank sees its own lines,
a household's name and amount only while it authorises the bank (each such read in its use
log); the statistics count the lines granted, their amount and their uptake."""

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from models import AuthorisationUse, User, db
from tests import loans_factories as lf
from tests import test_village_lines as village
from tests.bank_api_factories import bearer, token_for
from tests.browser_forms import form_fields, login_with_csrf

# The fixture's lines, worked out by hand from its line table: 杨建国 AAA 100,000 (score 640);
# 王小明 AA 50,000 capped to 10,000 (score 520, below 545); 赵二牛 A 30,000 (no score,
# not capped); 孙平 has no credit grade and gets no line.
GRANTED, AMOUNT = 3, "140000.00"
# The county, its bank and 信用村 of the 整村授信 tests, and their helpers.
county, cadre_consent = village.county, village.cadre_consent
_granted, _line = village._granted, village._line


def _lines(client, secret: str, query: str = "") -> dict:
    response = client.get(f"/api/v1/village-lines{query}", headers=bearer(secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _uses() -> int:
    return db.session.scalar(select(func.count(AuthorisationUse.id)))


def test_the_api_lists_the_banks_lines_and_opens_a_line_only_to_an_authorised_bank(
    client,
    county,
    cadre_consent,
    csrf_on,
):
    grant = _granted(client, county)
    secret = token_for(county["checker"], ("village_lines:read",))
    answer = _lines(client, secret)
    assert (answer["total"], len(answer["items"])) == (GRANTED, GRANTED)
    masked = {item["name"]: item for item in answer["items"]}
    assert "杨建国" not in masked and "杨**" in masked
    assert all(i["amount"] is None and i["household_id"] is None for i in answer["items"])
    assert all(i["grant_id"] == grant.id for i in answer["items"])
    assert _uses() == 0  # nothing of a household that has not authorised the bank was read

    lf.make_authorisation("household", county["yang"].id, county["bank"], cadre_consent)
    db.session.commit()
    items = {i["grade"]: i for i in _lines(client, secret)["items"]}
    assert (items["AAA"]["name"], items["AAA"]["amount"]) == ("杨建国", "100000.00")
    assert items["AAA"]["authorised"] is True and items["AA"]["amount"] is None
    use = db.session.scalar(select(AuthorisationUse))
    assert use.what.startswith("通过银行接口查看整村授信额度") and _uses() == 1
    assert use.detail["village_line_id"] == _line(county["yang"]).id

    assert _lines(client, secret, "?status=taken_up")["total"] == 0
    assert _lines(client, secret, f"?grant_id={grant.id + 1}")["total"] == 0
    refused = client.get("/api/v1/village-lines?status=unknown", headers=bearer(secret))
    assert refused.status_code == 422 and refused.get_json()["code"]
    # Another bank sees none of them; a token without the scope is refused.
    outsider = token_for(_user("outsider"), ("village_lines:read",))
    assert _lines(client, outsider)["total"] == 0
    narrow = token_for(county["checker"], ("needs:read",))
    assert client.get("/api/v1/village-lines", headers=bearer(narrow)).status_code == 403


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _line_figures(page: str) -> str:
    return page.split('data-line-figures="')[1].split('"')[0]


def test_statistics_count_the_lines_granted_and_taken_up(
    client,
    users,
    county,
    cadre_consent,
    csrf_on,
):
    _granted(client, county)
    office = login_with_csrf(client.application.test_client(), "office_county")
    page = office.get("/loans/statistics").get_data(as_text=True)
    assert _line_figures(page) == f"{GRANTED} {AMOUNT} 0 0.00"
    assert "整村授信：期间内复核通过" in page  # the definition is on the page

    # The cadre turns 杨建国's line into a need: one line taken up, 100,000.
    cadre = login_with_csrf(client.application.test_client(), "cadre_a")
    url = f"/loans/village-lines/lines/{_line(county['yang']).id}/take-up"
    fields = form_fields(cadre.get(url).get_data(as_text=True))
    assert cadre.post(url, data={**fields, "confirm": "y"}).status_code == 302
    page = office.get("/loans/statistics").get_data(as_text=True)
    assert _line_figures(page) == f"{GRANTED} {AMOUNT} 1 100000.00"
    book = load_workbook(BytesIO(office.get("/loans/statistics/export.xlsx").data))
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r and r[0]}
    assert (summary["整村授信户数"], summary["已用信户数"]) == (GRANTED, 1)
    assert summary["整村授信额度（元）"] == float(AMOUNT)
    sheet = [r for r in book["整村授信"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert sheet == [(county["bank"].short_name, GRANTED, float(AMOUNT), 1, 100000.0)]

    # The other bank's officer sees no lines of the granting bank.
    outsider = login_with_csrf(client.application.test_client(), "outsider")
    assert _line_figures(outsider.get("/loans/statistics").get_data(as_text=True)) == (
        "0 0.00 0 0.00"
    )
