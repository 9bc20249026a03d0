"""What of an English page is the platform's own wording ("chrome"), to find Chinese left in it.

Chrome is the text of the elements that carry labels, not data: headings, table headers, form
labels, buttons, legends, navigation, definition terms, badges, the options of a drop-down
whose choices the platform defines, placeholders, titles and aria-labels, and the names in a
chart's options (legend, series, axes). User data (names of people, villages, entities, banks,
products, rule sets: Chinese by nature) is taken out before the check by the caller's list of
data strings; drop-downs listing data (villages, runs, banks, …) are skipped by field name.
Each finding is reported with its element, so a failure says where to look."""

import html
import json
import re
from html.parser import HTMLParser

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
CHROME_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "th",
    "label",
    "button",
    "legend",
    "dt",
    "caption",
    "title",
    "summary",
    "option",
}
CHROME_CLASSES = {
    "nav-link",
    "dropdown-item",
    "navbar-brand",
    "badge",
    "form-text",
    "btn",
    "navbar-text",
    "stat-label",
    "card-title",
    "breadcrumb-item",
}
CHROME_ATTRIBUTES = ("placeholder", "title", "aria-label", "data-label")
# Drop-downs whose options are data, not wording.
DATA_SELECTS = {
    "village",
    "village_code",
    "township",
    "region",
    "region_code",
    "run",
    "run_id",
    "group",
    "bank",
    "bank_id",
    "product",
    "product_id",
    "household",
    "household_id",
    "entity",
    "entity_id",
    "year",
    "subject",
    "rule_set",
    "rule_set_id",
    "branch",
    "branch_id",
    "officer",
    "scope",
    "code",
    "need",
    "model",
}
VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr", "source"}


class _Chrome(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, collecting)
        self.select_is_data = False
        self.texts: list[tuple[str, str]] = []  # (where, text)
        self.buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in CHROME_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append((f"{tag}[{name}]", attrs[name]))
        if attrs.get("data-chart"):
            self.texts += [(f"{tag}[data-chart]", t) for t in chart_texts(attrs["data-chart"])]
        if tag == "select":
            self.select_is_data = attrs.get("name", "") in DATA_SELECTS
        if tag == "optgroup" and attrs.get("label") and not self.select_is_data:
            self.texts.append(("optgroup", attrs["label"]))
        if tag in VOID:
            return
        classes = set((attrs.get("class") or "").split())
        collecting = (tag in CHROME_TAGS or bool(classes & CHROME_CLASSES)) and not (
            tag == "option" and self.select_is_data
        )
        if "data-user" in attrs or "lang" in attrs:  # data, or a language's own name (简体中文)
            collecting = False
        self.stack.append((tag, collecting))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, collecting = self.stack.pop()
            if collecting:
                self._flush(open_tag)
            if open_tag == tag:
                break
        if tag == "select":
            self.select_is_data = False

    def _flush(self, tag: str) -> None:
        text = " ".join("".join(self.buffer).split())
        self.buffer = []
        if text:
            self.texts.append((tag, text))

    def handle_data(self, data):
        if any(collecting for _tag, collecting in self.stack):
            self.buffer.append(data)


def chart_texts(option_json: str) -> list[str]:
    """Legend entries, series names and axis names of an ECharts option."""
    try:
        option = json.loads(html.unescape(option_json))
    except ValueError:
        return []
    found: list[str] = []

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif (
            isinstance(node, str)
            and key in ("name", "text", "formatter")
            or (isinstance(node, str) and key == "data")
        ):
            found.append(node)

    walk({k: option.get(k) for k in ("legend", "series", "xAxis", "yAxis", "title")})
    return found


def chinese_chrome(page: str, data: set[str]) -> list[str]:
    """Chrome texts of `page` still holding Han characters once the `data` strings are
    removed (longest first, so 杨家村 goes before 杨)."""
    parser = _Chrome()
    parser.feed(page)
    ordered = sorted((d for d in data if d), key=len, reverse=True)
    problems = []
    for where, text in parser.texts:
        rest = text
        for item in ordered:
            if item in rest:
                rest = rest.replace(item, "")
        if HAN.search(rest):
            problems.append(f"<{where}> {text}")
    return list(dict.fromkeys(problems))


def menu_links(page: str) -> list[str]:
    """The hrefs of the navbar's links and dropdown items (the role's menu)."""
    nav = page.split("</nav>", 1)[0]
    links = re.findall(r'class="(?:nav-link|dropdown-item)"[^>]*href="(/[^"#]*)"', nav)
    links += re.findall(r'href="(/[^"#]*)"[^>]*class="(?:nav-link|dropdown-item)"', nav)
    return list(dict.fromkeys(html.unescape(link) for link in links))
