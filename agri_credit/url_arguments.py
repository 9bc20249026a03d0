"""Numbers read from URLs: path IDs and the ?page= argument. Hostile values (2**63, "abc",
a thousand digits) get a 404 or page 1, never an integer overflow in the database."""

from flask import abort, request
from werkzeug.routing import IntegerConverter

# Every primary key is a 32-bit INTEGER (PostgreSQL `integer`): no row has a larger ID.
MAX_URL_INT = 2**31 - 1
# OFFSET = (page - 1) * per_page must stay inside a 64-bit integer for any page size.
MAX_PAGE = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` with an upper bound: a larger number does not match the route, so the
    answer is the usual 404 instead of an overflow when the ID reaches the database.
    `app.create_app` registers it under the name "int", so every route uses it. Its pattern
    takes no more digits than the bound has: a longer number matches no rule for any method,
    so two rules on one path (GET and PATCH of the bank API) answer 404, not 405."""

    regex = rf"\d{{1,{len(str(MAX_URL_INT))}}}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_URL_INT, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def page_number() -> int:
    """The page a list shows: `?page=` when it is a positive number, else page 1; a page
    number no list can reach is a 404."""
    raw = request.args.get("page", "")
    if not (raw.isascii() and raw.isdigit()):
        return 1
    if len(raw) > len(str(MAX_PAGE)) or int(raw) > MAX_PAGE:
        abort(404)
    return max(int(raw), 1)


def id_arg(name: str) -> int | None:
    """An ID passed in the query string (`?run=12`): None when absent or not a number; an ID
    no row can have is a 404, as it is in a path."""
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit()):
        return None
    if len(raw) > len(str(MAX_URL_INT)) or int(raw) > MAX_URL_INT:
        abort(404)
    return int(raw)
