"""Recording a household's signed consent: the scan or photo is checked (type by its first
bytes, not only its name; size) and stored with who uploaded it and the period it covers."""

import hashlib
from datetime import date, timedelta

from sqlalchemy import select

from models import HouseholdConsent, User, db

MAX_YEARS = 3
# The file's first bytes, so a renamed executable is not stored as a "PDF".
SIGNATURES = {
    "pdf": (b"%PDF-", "application/pdf"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
}
EXTENSIONS = tuple(SIGNATURES)


class ConsentRefused(ValueError):
    """A file or period the rules refuse; Chinese message."""


def content_type_of(filename: str, content: bytes, max_bytes: int) -> str:
    """The checked MIME type of an uploaded consent, or ConsentRefused."""
    if not content:
        raise ConsentRefused("请上传签字授权书的扫描件或照片")
    if len(content) > max_bytes:
        raise ConsentRefused(f"文件不能超过 {max_bytes // (1024 * 1024)} MB")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in SIGNATURES:
        raise ConsentRefused("只能上传 PDF 或 JPG/PNG 图片")
    magic, mime = SIGNATURES[extension]
    if not content.startswith(magic):
        raise ConsentRefused("文件内容与扩展名不符，请上传 PDF 或 JPG/PNG 图片")
    return mime


def record_consent(
    household_id: int,
    *,
    filename: str,
    content: bytes,
    signed_on: date,
    valid_to: date,
    today: date,
    user: User,
    max_bytes: int,
) -> HouseholdConsent:
    mime = content_type_of(filename, content, max_bytes)
    if signed_on > today:
        raise ConsentRefused("签署日期不能晚于今天")
    if valid_to < today:
        raise ConsentRefused("有效期止不能早于今天")
    if valid_to > signed_on + timedelta(days=366 * MAX_YEARS):
        raise ConsentRefused("授权书有效期最长三年")
    consent = HouseholdConsent(
        household_id=household_id,
        filename=filename[-200:],
        content_type=mime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        valid_from=signed_on,
        valid_to=valid_to,
        uploaded_by_id=user.id,
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def consents_of(household_id: int) -> list[HouseholdConsent]:
    return list(
        db.session.scalars(
            select(HouseholdConsent)
            .where(HouseholdConsent.household_id == household_id)
            .order_by(HouseholdConsent.uploaded_at.desc(), HouseholdConsent.id.desc())
        )
    )
