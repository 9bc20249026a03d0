"""Every file the platform hands out goes through `attachment()`: one Content-Disposition
with a Chinese name for browsers that read RFC 6266's `filename*` and an ASCII name that still
says what the file is for those that do not (werkzeug's own fallback strips the Han characters
and leaves names like "-2026-3.xlsx")."""

import re
from io import BytesIO
from urllib.parse import quote

from flask import Response, send_file

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NOT_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_filename(*parts: object, suffix: str) -> str:
    """Words joined by hyphens, reduced to [A-Za-z0-9._-]: ascii_filename("rating-results",
    2026, "610528", suffix=".xlsx") -> "rating-results-2026-610528.xlsx"."""
    words = [_NOT_SAFE.sub("-", str(p)).strip("-.") for p in parts if p not in (None, "")]
    stem = "-".join(w for w in words if w) or "download"
    suffix = _NOT_SAFE.sub("", suffix)[:16]
    return stem[:120] + (suffix if suffix.strip(".") else "")


def content_disposition(filename: str, fallback: str) -> str:
    """`attachment` with both names; `fallback` must be ASCII (a ValueError otherwise, so a
    caller cannot hand a browser a name it will mangle)."""
    fallback.encode("ascii")
    fallback = fallback.replace("\\", "_").replace('"', "_")
    if filename == fallback:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(content: bytes, *, filename: str, fallback: str, mimetype: str) -> Response:
    """A download of `content` named `filename` (any language) with an ASCII `fallback`."""
    response = send_file(BytesIO(content), mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, fallback)
    return response
