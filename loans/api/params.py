"""Reading the bank API's input: query parameters and JSON bodies, strictly (a value that
does not parse is a 422 with a Chinese message per field, never silently ignored)."""

from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from agri_credit.url_arguments import MAX_URL_INT

from .errors import ApiError

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50


def int_arg(name: str, low: int, high: int, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not low <= int(raw) <= high:
        raise ApiError(422, fields={name: [f"应为{low}至{high}之间的整数"]})
    return int(raw)


def choice_arg(name: str, choices: Any) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise ApiError(422, fields={name: ["取值无效，可选：" + "、".join(choices)]})
    return raw


def paging() -> tuple[int, int]:
    return (
        int_arg("page", 1, MAX_URL_INT, 1) or 1,
        int_arg("per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE) or DEFAULT_PER_PAGE,
    )


def json_body() -> dict[str, Any]:
    """The request's JSON object (an empty body is an empty object)."""
    if not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise ApiError(415)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "请求体须为 JSON 对象")
    return body


def as_formdata(values: dict[str, Any]) -> MultiDict:
    """JSON values as the form data WTForms reads, so the API and the pages validate with
    the same form classes (lists become repeated keys; booleans and nulls as a browser
    sends them)."""
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is None or item is False:
                if not isinstance(value, list):
                    pairs.append((key, ""))
                continue
            pairs.append((key, "y" if item is True else str(item)))
    return MultiDict(pairs)


def form_errors(form: Any) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}
