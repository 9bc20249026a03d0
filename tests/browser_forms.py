"""Reading a rendered form back the way a browser submits it, for tests that go through the
pages with CSRF on: open a form, change a few fields, post everything the page holds."""

from html.parser import HTMLParser

from flask import g

from tests import factories as f


class _FormFields(HTMLParser):
    """Successful controls of each form on the page: inputs (checkboxes only when ticked), each
    select's selected option (else its first) and textareas; rows of the add-row <template>
    (named with __prefix__) are left out, as the browser leaves them out."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "form":
            self.fields = []
            self.forms.append(self.fields)
        elif tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button"):
                self.fields.append((name, a.get("value", "y" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            chosen = [v for v, sel in self._options if sel] or [v for v, _ in self._options[:1]]
            self.fields += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\r").removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def form_fields(html: str) -> dict[str, str]:
    """The fields of the page's main form (the one with most fields: not the language or
    log-out buttons)."""
    parser = _FormFields()
    parser.feed(html)
    main = max(parser.forms, key=len)
    return {k: v for k, v in main if "__prefix__" not in k}


class Browser:
    """One user's test client. Requests in a test share the test's app context, so Flask-Login's
    user cached in `g` would leak from one client to the next: drop it before each request."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, *args, **kwargs):
        _forget_cached(g)
        return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        _forget_cached(g)
        return self.client.post(*args, **kwargs)


def _forget_cached(ctx_globals) -> None:
    ctx_globals.pop("_login_user", None)  # Flask-Login's user
    ctx_globals.pop("csrf_token", None)  # Flask-WTF's token of the session


def login_with_csrf(client, username: str) -> Browser:
    client = Browser(client)
    token = form_fields(client.get("/login").get_data(as_text=True))["csrf_token"]
    response = client.post(
        "/login", data={"username": username, "password": f.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
