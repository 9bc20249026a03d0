"""The English catalog: every string the code can show has a checked English translation.

The strings are extracted afresh from the source (as `pybabel extract` does with babel.cfg),
so a string added to a template or module without a translation fails here, not in front of
an English-speaking user. Labels stored as Chinese data and translated at runtime are marked
with `N_()` where they are defined (models/ included in babel.cfg); the last catalog test
checks that every such label is extracted.
"""

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask_babel import refresh
from sqlalchemy import select

import models
from agri_credit import errors
from agri_credit.rating_cycle.objections import services as objections
from agri_credit.rating_cycle.publication import services as publication
from agri_credit.rating_cycle.repairs import services as repairs
from agri_credit.rating_cycle.rulesets import services as rulesets
from agri_credit.ratings import rules
from agri_credit.ratings.default_rules import default_rule_set
from models import clock, db
from tests import factories as f
from tests import loans_factories as lf
from tests import publication_factories as pf
from tests.conftest import login
from tests.english_chrome import chinese_chrome, menu_links

ROOT = Path(__file__).resolve().parent.parent
EN_PO = ROOT / "agri_credit" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# A %-conversion as Python (and Jinja's newstyle gettext, which always applies `%`) reads it:
# optional (name), flags, width, precision, type; `%%` is a literal percent sign.
CONVERSION = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?([diouxXeEfFgGcrsa%])")
CJK = re.compile(r"[\u4e00-\u9fff]")


# One xdist worker runs this file (`make test`: --dist loadgroup), so its module-scoped
# fixtures are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_english_catalog")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "--mapping-file",
            str(ROOT / "babel.cfg"),
            "--keyword=_l",
            "--keyword=lazy_gettext",
            "--output-file",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def english():
    with EN_PO.open("rb") as fh:
        return read_po(fh)


def _forms(value) -> list[str]:
    """A msgid or msgstr as a list: one string, or every plural form."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _placeholders(text: str) -> tuple[list[str], bool]:
    """Named/positional conversions, sorted, and whether a bare `%` is left over."""
    found = sorted(f"{name or ''}:{kind}" for name, kind in CONVERSION.findall(text) if kind != "%")
    return found, "%" in CONVERSION.sub("", text)


def test_extraction_finds_the_known_strings(template):
    # Guards the test itself: an extraction that silently found nothing would pass the rest.
    ids = {m.id for m in template if m.id}
    assert len(ids) > 900
    assert {"登录", "评定办法", "信用修复", "税务", "待公示"} <= ids


def test_every_extracted_string_has_a_checked_english_translation(template, english):
    problems = []
    for message in template:
        if not message.id:
            continue
        entry = english.get(message.id)
        if entry is None:
            problems.append(f"not in en catalog (run pybabel update): {message.id!r}")
        elif not all(_forms(entry.string)) or len(_forms(entry.string)) < len(_forms(entry.id)):
            problems.append(f"untranslated: {message.id!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r} -> {entry.string!r}")
    assert not problems, f"{len(problems)} English entries to fix:\n" + "\n".join(problems)


def test_translations_keep_the_placeholders(english):
    problems = []
    for entry in english:
        if not entry.id or not entry.string:
            continue
        ids, strings = _forms(entry.id), _forms(entry.string)
        expected, bare_in_id = _placeholders(ids[-1] if len(ids) > 1 else ids[0])
        for text in strings:
            if not text:
                continue
            found, bare = _placeholders(text)
            if len(ids) == 1 and found != expected:
                problems.append(f"{entry.id!r}: {expected} in msgid, {found} in {text!r}")
            if len(ids) > 1 and not set(found) <= set(expected) | set(_placeholders(ids[0])[0]):
                problems.append(f"{entry.id!r}: unknown placeholder in {text!r}")
            if bare and not bare_in_id:
                problems.append(f"{entry.id!r}: lone % in {text!r} (write %% in a format string)")
    assert not problems, "\n".join(problems)


def _runtime_labels() -> dict[str, list[str]]:
    """Chinese labels stored as data and passed through `_()` (or meant to be) at runtime."""
    default = default_rule_set()
    indicators = [*default.household_indicators]
    for sheet in default.entity_sheets:
        indicators += sheet.indicators
    dicts = {
        "models.departmental.SOURCE_LABELS": models.departmental.SOURCE_LABELS,
        "models.departmental.BATCH_STATUS_LABELS": models.departmental.BATCH_STATUS_LABELS,
        "models.departmental.LOAN_STATUS_LABELS": models.departmental.LOAN_STATUS_LABELS,
        "models.departmental.PUBLIC_RECORD_KIND_LABELS": models.departmental.PUBLIC_RECORD_KIND_LABELS,
        "models.departmental.SEVERITY_LABELS": models.departmental.SEVERITY_LABELS,
        "publication.STATUS_LABELS": publication.STATUS_LABELS,
        "models.ratings.RESULT_STATUS_LABELS": models.ratings.RESULT_STATUS_LABELS,
        "objections.STATUS_LABELS": objections.STATUS_LABELS,
        "repairs.STATUS_LABELS": repairs.STATUS_LABELS,
        "models.ratings.RUN_STATUS_LABELS": models.ratings.RUN_STATUS_LABELS,
        "rulesets.STATUS_LABELS": rulesets.STATUS_LABELS,
        "errors.MESSAGES": errors.MESSAGES,
        "models.regions.LEVEL_LABELS": models.regions.LEVEL_LABELS,
        "models.users.ROLE_LABELS": models.users.ROLE_LABELS,
        "models.entities.ENTITY_TYPE_LABELS": models.entities.ENTITY_TYPE_LABELS,
        "rules.METRIC_LABELS": rules.METRIC_LABELS,
        "rules.LEVEL_LABELS": rules.LEVEL_LABELS,
        "rules.METHODS": rules.METHODS,
    }
    labels = {name: [str(v) for v in d.values()] for name, d in dicts.items()}
    labels["default rule set"] = [
        default.name,
        rulesets.DEFAULT_NOTE,
        *(band.label for band in default.grade_bands),
        *(gate.reason for gate in default.gates),
        *(i.label for i in indicators),
        *(i.note for i in indicators),
        *(value for i in indicators for value, _ in i.categories),
    ]
    return labels


def test_runtime_labels_are_extracted(template):
    ids = {m.id for m in template if m.id}
    missing = [
        f"{source}: {label!r}"
        for source, labels in _runtime_labels().items()
        for label in labels
        if CJK.search(label) and label not in ids
    ]
    assert not missing, "mark with N_() where it is defined:\n" + "\n".join(missing)


# ---- pages in English ------------------------------------------------------------------------


def test_error_page_message_is_translated_at_runtime(client):
    page = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "The page does not exist or is outside your jurisdiction." in page
    assert "页面不存在" not in page


def test_departmental_pages_render_in_english(client, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    login(client, "office_county")
    refresh()  # the tests share one app context: forget the locale the login request cached
    page = client.get("/data/imports?lang=en").get_data(as_text=True)
    assert "Departmental data imports" in page and "Import departmental data" in page
    page = client.get(f"/households/{household.id}?lang=en").get_data(as_text=True)
    # SOURCE_LABELS reach the file page through `_(s.label)` at runtime
    assert "Housing provident fund: no data yet" in page and "公积金" not in page


# ---- every role's pages in English: no Chinese left in the page chrome ----------------------


def _data_strings() -> set[str]:
    """What is Chinese by nature: names people gave to regions, files, users, rule sets, banks
    and products, and the values typed into a file (members' names, descriptions). Taken out
    of a page's chrome before looking for Han characters (tests/english_chrome.py)."""
    columns = [
        models.Region.name,
        models.Household.head_name,
        models.Household.address,
        models.HouseholdMember.name,
        models.AgriEntity.name,
        models.AgriEntity.operator_name,
        models.User.display_name,
        models.User.organisation,
        models.RuleSet.name,
        models.RuleSet.title,
        models.Bank.name,
        models.Bank.short_name,
        models.LoanProduct.name,
    ]
    found: set[str] = set()
    for column in columns:
        found |= {v for v in db.session.scalars(select(column)) if v}
    # A file's free text and the village groups (第1组 … named by each village).
    found |= {v for v in db.session.scalars(select(models.ProductionItem.name)) if v}
    found |= {f"第{n}组" for n in range(1, 13)}
    return found | KEPT_TERMS


# Proper names the English pages keep beside their translation, e.g. "Credit-easy loans (信易贷)".
KEPT_TERMS = {"信易贷"}


@pytest.fixture
def english_county(users, cipher):
    """Two villages' files, an entity, and a county rating run under 公示 in village A."""
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    f.make_household(cipher, users["cadre"], head_name="王小明")
    f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    entity = f.make_entity(cipher, users["cadre"])
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run)
    pf.make_result(run, yang, 86.5, "AAA")
    pf.publish(tree[f.VILLAGE_A], users["cadre"], clock.today())
    bank = lf.make_bank()
    officer = lf.make_officer("bank_officer", bank)
    lf.make_product(bank, officer, status="listed")
    db.session.commit()
    return {"household": yang, "entity": entity, "run": run}


@pytest.mark.parametrize(
    "username, extra",
    [
        ("office_county", ["/households/new", "/entities/new", "{entity}", "{village}"]),
        ("office_town", ["{village}"]),
        ("cadre_a", ["{household}", "/households/new", "/entities/new", "{entity}"]),
        ("bank_officer", []),
        ("applicant", []),
    ],
)
def test_every_roles_pages_have_no_chinese_chrome_in_english(
    client, english_county, username, extra
):
    login(client, username)
    client.post("/language/en", data={"next": "/"})  # the footer's language switch
    refresh()  # the tests share one app context: forget the locale the login request cached
    data = _data_strings()
    links = {
        "{household}": f"/households/{english_county['household'].id}",
        "{entity}": f"/entities/{english_county['entity'].id}",
        "{village}": f"/ratings/runs/{english_county['run'].id}/villages/{f.VILLAGE_A}",
    }
    dashboard = client.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    urls = ["/dashboard", *menu_links(dashboard), *(links.get(u, u) for u in extra)]
    if username in ("office_county", "office_town", "cadre_a", "bank_officer"):
        assert len(urls) > 4, urls  # the crawl found the menu
    problems = []
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        problems += [f"{url}: {p}" for p in chinese_chrome(response.get_data(as_text=True), data)]
    assert not problems, "\n".join(problems)


def test_the_chrome_check_finds_chinese_labels_and_skips_data():
    page = """<nav><a class="nav-link" href="/x">工作台</a></nav>
    <h1>Files <small>杨家村</small></h1><th>户主</th><td>杨建国</td>
    <select name="kind"><option>种植</option></select><select name="village"><option>西坡村</option></select>
    <div data-chart='{"legend": {}, "series": [{"name": "一票否决", "data": [1]}]}'></div>
    <button lang="zh-CN">简体中文</button>"""
    found = chinese_chrome(page, {"杨家村"})
    assert found == [
        "<a> 工作台",
        "<th> 户主",
        "<option> 种植",
        "<div[data-chart]> 一票否决",
    ]
