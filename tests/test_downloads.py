"""Every download names itself twice: in Chinese for browsers that read RFC 6266's
`filename*`, and in ASCII words that say what the file is for those that do not (werkzeug's
own fallback drops the Han characters). Also: the favicon is served by the app, and one
platform name stands in the title and the footer."""

import re
from urllib.parse import unquote

import pytest
from flask_babel import refresh

from agri_credit.downloads import ascii_filename, content_disposition
from tests import factories as f
from tests.conftest import login


def names(response) -> tuple[str, str]:
    """(ASCII fallback, UTF-8 name) of a response's Content-Disposition."""
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;"), header
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    utf8 = re.search(r"filename\*=UTF-8''(\S+)", header)
    return fallback, unquote(utf8.group(1)) if utf8 else fallback


def test_ascii_filename_keeps_words_and_drops_everything_else():
    assert ascii_filename("rating-results", 2026, "610528000000", "run3", suffix=".xlsx") == (
        "rating-results-2026-610528000000-run3.xlsx"
    )
    assert ascii_filename("credit-repair-evidence", 7, suffix=".证明") == "credit-repair-evidence-7"
    assert ascii_filename("a b/c", None, "", suffix=".pdf") == "a-b-c.pdf"


def test_content_disposition_carries_both_names_and_refuses_a_non_ascii_fallback():
    header = content_disposition("信用评定-富平县-2026.xlsx", "rating-results-2026.xlsx")
    assert header == (
        'attachment; filename="rating-results-2026.xlsx"; '
        "filename*=UTF-8''%E4%BF%A1%E7%94%A8%E8%AF%84%E5%AE%9A-%E5%AF%8C%E5%B9%B3%E5%8E%BF-2026.xlsx"
    )
    with pytest.raises(UnicodeEncodeError):
        content_disposition("a.xlsx", "富平.xlsx")


def test_household_template_download_is_named_in_both_languages(client, users):
    login(client, "cadre_a")
    response = client.get(f"/imports/households/template?village={f.VILLAGE_A}")
    assert response.status_code == 200
    fallback, name = names(response)
    assert fallback == f"household-import-template-{f.VILLAGE_A}.xlsx"
    assert name == "农户批量导入模板-杨家村.xlsx"


def test_data_coverage_export_is_named_in_both_languages(client, users):
    login(client, "office_county")
    response = client.get("/dashboard/data.xlsx")
    fallback, name = names(response)
    assert re.fullmatch(rf"data-coverage-{f.COUNTY}-\d{{4}}-\d\d-\d\d\.xlsx", fallback)
    assert name.startswith("数据覆盖情况-富平县-") and name.endswith(".xlsx")


def test_favicon_is_served_locally_and_linked_from_every_page(client, users):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/x-icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page and 'href="/favicon.ico"' in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data


@pytest.mark.parametrize(
    "lang, name",
    [
        ("zh_CN", "农村信用档案与信易贷融资对接平台"),
        ("en", "Rural Credit Files and Xinyidai Loan Matching Platform"),
    ],
)
def test_one_platform_name_in_title_navbar_and_footer(client, users, lang, name):
    login(client, "office_county")
    refresh()  # the tests share one app context: forget the locale the login request cached
    page = client.get(f"/dashboard?lang={lang}").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title.endswith(f"· {name}")
    brand = re.search(r'class="navbar-brand[^"]*"[^>]*>(.*?)<', page, re.S).group(1)
    footer = re.search(r"<footer.*?<span>(.*?)</span>", page, re.S).group(1)
    assert brand.strip() == footer.strip() == name
    assert "农村信用信息平台" not in page and "Rural Credit Information Platform" not in page
