"""The OpenAPI 3.1 document of the bank API, written next to the routes it describes.
`tests/test_bank_api_openapi.py` checks that every /api/v1 rule of the app is in it (with
its method and scope) and nothing else, and fuzzes the app against it with schemathesis."""

from typing import Any

from models import REJECTION_REASONS, LineStatus, ProductStatus, ProductType, RepaymentKind

from .tokens import SCOPES

MONEY = {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,2})?$", "description": "元，十进制字符串"}
RATE = {"type": "string", "pattern": r"^\d{1,2}(\.\d{1,2})?$", "description": "年利率（%）"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "description": "UTC，ISO 8601"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "description": "稳定的错误代码，如 not_found、invalid、conflict",
            },
            "message": {"type": "string", "description": "中文说明"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "逐字段的中文错误说明（422）",
            },
        },
        "required": ["code", "message"],
    },
    "Product": _object(
        {
            "id": ID,
            "code": {"type": "string"},
            "name": {"type": "string"},
            "product_type": {"enum": [t.value for t in ProductType]},
            "description": {"type": "string"},
            "amount_min": MONEY,
            "amount_max": MONEY,
            "term_min_months": {"type": "integer"},
            "term_max_months": {"type": "integer"},
            "rate_min": RATE,
            "rate_max": RATE,
            "subject_types": {"type": "array", "items": {"type": "string"}},
            "region_codes": {"type": "array", "items": {"type": "string"}},
            "min_grade": _nullable({"type": "string"}),
            "min_score": _nullable({"type": "integer"}),
            "tax_grades": {"type": "array", "items": {"type": "string"}},
            "min_years_operating": _nullable({"type": "integer"}),
            "collateral_required": {"type": "boolean"},
            "guarantee_required": {"type": "boolean"},
            "valid_from": DATE,
            "valid_to": _nullable(DATE),
            "status": {"enum": [s.value for s in ProductStatus]},
            "version": {"type": "integer"},
            "updated_at": DATETIME,
        }
    ),
    "ProductUpdate": {
        "type": "object",
        "description": "修改草稿或已下架的产品（保存后回到草稿，须本行另一名信贷员审核上架）",
        "properties": {
            "version": {"type": "integer", "minimum": 1},
            "code": {"type": "string", "maxLength": 40},
            "name": {"type": "string", "maxLength": 100},
            "product_type": {"enum": [t.value for t in ProductType]},
            "description": {"type": "string", "maxLength": 2000},
            "amount_min": MONEY,
            "amount_max": MONEY,
            "term_min_months": {"type": "integer", "minimum": 1, "maximum": 360},
            "term_max_months": {"type": "integer", "minimum": 1, "maximum": 360},
            "rate_min": RATE,
            "rate_max": RATE,
            "subject_types": {
                "type": "array",
                "items": {"enum": ["household", "entity", "enterprise"]},
            },
            "region_codes": {"type": "array", "items": {"type": "string"}},
            "min_grade": _nullable({"enum": ["AAA", "AA", "A"]}),
            "min_score": _nullable({"type": "integer", "minimum": 300, "maximum": 900}),
            "tax_grades": {"type": "array", "items": {"enum": ["A", "B", "M", "C", "D"]}},
            "min_years_operating": _nullable({"type": "integer", "minimum": 0, "maximum": 100}),
            "collateral_required": {"type": "boolean"},
            "guarantee_required": {"type": "boolean"},
            "valid_from": DATE,
            "valid_to": _nullable(DATE),
        },
        "required": ["version"],
        "additionalProperties": False,
    },
    "Claim": _nullable(
        _object(
            {
                "mine": {"type": "boolean"},
                "claimed_until": _nullable(DATETIME),
                "product_id": _nullable(ID),
            }
        )
    ),
    "Need": _object(
        {
            "id": ID,
            "subject_type": {"enum": ["household", "entity", "enterprise"]},
            "region_code": {"type": "string"},
            "amount": MONEY,
            "term_months": {"type": "integer"},
            "purpose": {"type": "string"},
            "collateral": {"type": "string"},
            "guarantee": {"type": "string"},
            "urgency": {"type": "string"},
            "status": {"type": "string"},
            "created_at": DATETIME,
            "product_id": ID,
            "score_points": _nullable({"type": "integer"}),
            "credit_grade": _nullable({"type": "string"}),
            "approval_chance": _nullable({"type": "number"}),
            "claim": _ref("Claim"),
        }
    ),
    "NeedDetail": {
        "allOf": [
            _object(
                {
                    "id": ID,
                    "subject_type": {"type": "string"},
                    "amount": MONEY,
                    "term_months": {"type": "integer"},
                    "status": {"type": "string"},
                    "claim": _ref("Claim"),
                    "decisions": {"type": "array", "items": _ref("Decision")},
                }
            )
        ]
    },
    "Decision": _object(
        {
            "id": ID,
            "need_id": ID,
            "product_id": _nullable(ID),
            "outcome": {"enum": ["approved", "rejected", "more_material"]},
            "amount": _nullable(MONEY),
            "rate": _nullable(RATE),
            "term_months": _nullable({"type": "integer"}),
            "reason_code": _nullable({"type": "string"}),
            "reason_text": {"type": "string"},
            "score_points": _nullable({"type": "integer"}),
            "score_model_version": _nullable({"type": "integer"}),
            "decided_at": DATETIME,
        }
    ),
    "DecisionInput": {
        "type": "object",
        "description": "批准须填金额、利率、期限；拒绝须选原因；需补充材料须写明所需材料",
        "properties": {
            "outcome": {"enum": ["approved", "rejected", "more_material"]},
            "amount": MONEY,
            "rate": RATE,
            "term_months": {"type": "integer", "minimum": 1, "maximum": 360},
            "reason_code": {"enum": list(REJECTION_REASONS)},
            "reason_text": {"type": "string", "maxLength": 1000},
        },
        "required": ["outcome"],
    },
    "ClaimInput": {
        "type": "object",
        "properties": {"product_id": ID},
    },
    "Portrait": _object(
        {
            "need_id": ID,
            "subject_type": {"type": "string"},
            "authorisation": _object(
                {
                    "id": ID,
                    "purpose": {"type": "string"},
                    "data_categories": {"type": "array", "items": {"type": "string"}},
                    "expires_at": DATETIME,
                }
            ),
            "file": _nullable(
                _object(
                    {
                        "name": {"type": "string"},
                        "id_masked": {"type": "string", "description": "脱敏的证件号码"},
                        "facts": {
                            "type": "array",
                            "items": _object({"label": {"type": "string"}, "value": {}}),
                        },
                    }
                )
            ),
            "ratings": {"type": "array", "items": {"type": "object"}},
            "score": _nullable(
                _object(
                    {
                        "points": {"type": "integer"},
                        "probability": {"type": "number"},
                        "model_version": {"type": "integer"},
                        "as_of": DATE,
                        "reasons": {"type": "array"},
                    }
                )
            ),
            "records": {"type": "array", "items": {"type": "object"}},
            "approved_loans": {"type": "array", "items": _ref("Decision")},
        }
    ),
    "VillageLine": _object(
        {
            "id": ID,
            "grant_id": ID,
            "product_id": ID,
            "village_code": {"type": "string", "description": "行政村代码（12位）"},
            "grade": {"type": "string", "description": "评定的信用等级"},
            "status": {"enum": [s.value for s in LineStatus]},
            "authorised": {
                "type": "boolean",
                "description": "该户当前授权本行：才给出户主姓名、额度与利率，并记入其使用记录",
            },
            "household_id": _nullable(ID),
            "name": {"type": "string", "description": "户主姓名（未授权时脱敏）"},
            "amount": _nullable(MONEY),
            "capped": _nullable({"type": "boolean", "description": "额度已按评分封顶"}),
            "rate": _nullable(RATE),
            "need_id": _nullable(ID),
            "taken_up_at": _nullable(DATETIME),
        }
    ),
    "RepaymentInput": {
        "type": "object",
        "properties": {
            "kind": {"enum": [k.value for k in RepaymentKind]},
            "occurred_on": DATE,
            "days_overdue": {"type": "integer", "minimum": 1, "maximum": 3650},
            "amount": MONEY,
            "note": {"type": "string", "maxLength": 200},
        },
        "required": ["kind", "occurred_on"],
        "description": "先报送放款，之后才能报送还款事件；结清后不再接受；日期不晚于今天",
    },
    "Repayment": _object(
        {
            "id": ID,
            "decision_id": ID,
            "kind": {"enum": [k.value for k in RepaymentKind]},
            "occurred_on": DATE,
            "days_overdue": _nullable({"type": "integer"}),
            "amount": _nullable(MONEY),
            "note": {"type": "string"},
            "recorded_at": DATETIME,
        }
    ),
}


def _page_of(name: str) -> dict[str, Any]:
    return _object(
        {
            "items": {"type": "array", "items": _ref(name)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "more": {"type": "boolean", "description": "总数达到计数上限，实际更多"},
        }
    )


ERROR_TEXT = {
    400: "请求有误",
    401: "缺少有效的接口令牌",
    403: "令牌没有此权限范围",
    404: "对象不存在或不在本行访问范围内",
    409: "对象状态不允许该操作",
    415: "请求体须为 JSON",
    422: "数据有误（逐字段说明）",
    429: "调用过于频繁，请稍后再试",
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": ERROR_TEXT[code],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for code in codes
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID}


PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "页码，从1开始"),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "每页条数，默认50"),
]


def _operation(
    operation_id: str,
    summary: str,
    scope: str,
    responses: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "security": [{"bearerAuth": []}],
        "x-scope": scope,
        "parameters": parameters or [],
        "responses": {**responses, **_errors(401, 403, 429, *errors)},
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return operation


PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "本接口文档（OpenAPI 3.1）",
            "security": [],
            "responses": {"200": _json("接口文档", {"type": "object"})},
        }
    },
    "/api/v1/products": {
        "get": _operation(
            "listProducts",
            "本行的贷款产品",
            "products:read",
            {"200": _json("产品列表（分页）", _page_of("Product"))},
            parameters=[
                _query("status", {"enum": [s.value for s in ProductStatus]}, "按状态筛选"),
                *PAGING,
            ],
            errors=(422,),
        )
    },
    "/api/v1/products/{product_id}": {
        "parameters": [_path("product_id")],
        "get": _operation(
            "getProduct",
            "本行的一个产品",
            "products:read",
            {"200": _json("产品", _ref("Product"))},
            errors=(404,),
        ),
        "patch": _operation(
            "updateProduct",
            "修改本行草稿或已下架的产品（须带读取时的 version）",
            "products:write",
            {"200": _json("修改后的产品（草稿）", _ref("Product"))},
            body="ProductUpdate",
            errors=(400, 404, 409, 415, 422),
        ),
    },
    "/api/v1/needs": {
        "get": _operation(
            "listNeeds",
            "匹配本行上架产品、且申请人已授权本行的待对接融资需求，评分高者在前",
            "needs:read",
            {"200": _json("融资需求（分页）", _page_of("Need"))},
            parameters=[
                _query("product_id", ID, "只看匹配该产品的需求"),
                _query(
                    "amount_min",
                    {"type": "integer", "minimum": 0, "maximum": 10**12},
                    "最低金额（元）",
                ),
                _query(
                    "amount_max",
                    {"type": "integer", "minimum": 0, "maximum": 10**12},
                    "最高金额（元）",
                ),
                _query("grade", {"enum": ["AAA", "AA", "A", "none"]}, "信用等级"),
                _query(
                    "score_band",
                    {"enum": ["lt550", "550-600", "600-650", "650-700", "ge700", "none"]},
                    "评分区间",
                ),
                _query("claimed", {"enum": ["free", "mine"]}, "free：未被抢单；mine：本行已抢单"),
                *PAGING,
            ],
            errors=(422,),
        )
    },
    "/api/v1/needs/{need_id}": {
        "parameters": [_path("need_id")],
        "get": _operation(
            "getNeed",
            "一条本行可见的融资需求，及本行的抢单和决定",
            "needs:read",
            {"200": _json("融资需求", _ref("NeedDetail"))},
            errors=(404,),
        ),
    },
    "/api/v1/needs/{need_id}/portrait": {
        "parameters": [_path("need_id")],
        "get": _operation(
            "getPortrait",
            "申请人画像：仅在授权有效期内、仅授权的数据类别；每次读取记入申请人可见的使用记录",
            "portrait:read",
            {"200": _json("画像", _ref("Portrait"))},
            errors=(404,),
        ),
    },
    "/api/v1/needs/{need_id}/claim": {
        "parameters": [_path("need_id")],
        "post": _operation(
            "claimNeed",
            "抢单：在有效期内（默认3个工作日）由本行独占处理",
            "claims:write",
            {"201": _json("抢单成功", _ref("NeedDetail"))},
            body="ClaimInput",
            errors=(400, 404, 409, 415, 422),
        ),
    },
    "/api/v1/needs/{need_id}/decisions": {
        "parameters": [_path("need_id")],
        "post": _operation(
            "decideNeed",
            "审批决定（批准、拒绝或需补充材料）；须本行抢单有效期内",
            "decisions:write",
            {"201": _json("已记录的决定", _ref("Decision"))},
            body="DecisionInput",
            errors=(400, 404, 409, 415, 422),
        ),
    },
    "/api/v1/decisions/{decision_id}/repayments": {
        "parameters": [_path("decision_id")],
        "post": _operation(
            "postRepayment",
            "报送本行已批准贷款的放款或还款事件",
            "outcomes:write",
            {"201": _json("已记录的事件", _ref("Repayment"))},
            body="RepaymentInput",
            errors=(400, 404, 409, 415, 422),
        ),
    },
    "/api/v1/village-lines": {
        "get": _operation(
            "listVillageLines",
            "本行的整村授信预授信额度（新批次在前）；已授权本行的农户给出姓名与额度，每次读取记入其使用记录",
            "village_lines:read",
            {"200": _json("整村授信额度（分页）", _page_of("VillageLine"))},
            parameters=[
                _query("grant_id", ID, "只看该授信批次"),
                _query("status", {"enum": [s.value for s in LineStatus]}, "按额度状态筛选"),
                *PAGING,
            ],
            errors=(422,),
        )
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "农村信用档案与信易贷融资对接平台 · 银行接口",
            "version": "1.0.0",
            "description": (
                "供银行自有系统调用。以 `Authorization: Bearer <令牌>` 认证；令牌由本行信贷员"
                "在平台创建（只显示一次）、按权限范围授权、可随时撤销，每次调用均记录。"
                "不在本行访问范围内的对象一律返回 404。错误为 JSON：稳定的 `code` 与中文 `message`。"
            ),
        },
        "servers": [{"url": "/"}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "权限范围：" + "、".join(SCOPES),
                }
            },
        },
    }
