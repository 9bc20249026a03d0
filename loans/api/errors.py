"""JSON errors of the bank API: a stable `code`, a Chinese `message`, and for a body that
does not validate a Chinese message per field. Errors raised inside the API's views land
here; routing errors under /api/ (unknown path, wrong method) get the same shape from the
app's handlers (agri_credit/errors.py)."""

from typing import Any

from flask import current_app, jsonify
from werkzeug.exceptions import HTTPException

from agri_credit.errors import JSON_ERROR_CODES, MESSAGES
from models import db

from . import bp

API_MESSAGES = {
    **MESSAGES,
    401: "缺少有效的接口令牌，或令牌已被撤销、已过期",
    403: "该令牌没有此操作的权限范围",
    404: "对象不存在，或不在本行的访问范围内",
    409: "对象状态已变化，无法执行该操作",
    415: "请求体须为 JSON（Content-Type: application/json）",
    422: "提交的数据有误",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str | None = None, fields: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or str(API_MESSAGES.get(status, "请求有误"))
        self.fields = fields


def error_response(status: int, message: str | None = None, fields: Any = None):
    body: dict[str, Any] = {
        "code": JSON_ERROR_CODES.get(status, "error"),
        "message": message or str(API_MESSAGES.get(status, "请求有误")),
    }
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="agri-credit"'
    return response


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    db.session.rollback()
    return error_response(error.status, error.message, error.fields)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    db.session.rollback()
    return error_response(error.code or 500)


@bp.errorhandler(Exception)
def server_error(error: Exception):
    db.session.rollback()
    current_app.logger.exception("Unhandled API error")
    return error_response(500)
