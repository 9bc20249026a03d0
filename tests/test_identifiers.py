"""Check-digit rules for 身份证号 (GB 11643), 统一社会信用代码 (GB 32100) and phone numbers."""

from datetime import date

import pytest

from models import IdCipher, generate_master_key, mask_id
from tests.factories import make_id_number, make_uscc
from village_forms.identifiers import id_number_error, phone_error, uscc_error

# Published examples whose check characters are known independently of our code.
KNOWN_GOOD_IDS = ["11010519491231002X"]
KNOWN_GOOD_USCC = ["91350100M000100Y43", "91110108551385082Q"]


@pytest.mark.parametrize("value", KNOWN_GOOD_IDS)
def test_published_id_numbers_are_accepted(value):
    assert id_number_error(value) is None


def test_lowercase_x_is_accepted():
    assert id_number_error("11010519491231002x") is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("110105194912310021", "校验位"),
        ("11010519491231002", "18位"),
        ("1101051949123100AX", "前17位"),
        ("000105194912310021", "省级"),
        ("110105194913310021", "出生日期"),
        ("110105189912310021", "出生日期"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong(value, fragment):
    assert fragment in id_number_error(value)


def test_birth_date_in_the_future_is_refused():
    value = make_id_number(born=date(2030, 1, 1))
    assert "出生日期" in id_number_error(value, today=date(2026, 11, 23))


@pytest.mark.parametrize("value", KNOWN_GOOD_USCC)
def test_published_uscc_are_accepted(value):
    assert uscc_error(value) is None


def test_generated_uscc_round_trips():
    assert uscc_error(make_uscc()) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18位"),
        ("91350100M0001O0Y43", "无效字符"),
        ("913501A0M000100Y43", "无效字符"),
    ],
)
def test_bad_uscc_say_what_is_wrong(value, fragment):
    assert fragment in uscc_error(value)


@pytest.mark.parametrize("value", ["13912345678", "0913-1234567", "091312345678"])
def test_phone_numbers_accepted(value):
    assert phone_error(value) is None


@pytest.mark.parametrize("value", ["1391234567", "23912345678", "phone"])
def test_bad_phone_numbers_refused(value):
    assert "电话号码格式不正确" in phone_error(value)


def test_masking_keeps_only_first_and_last_four():
    assert mask_id("11010519491231002X") == "1101**********002X"


def test_cipher_round_trip_and_blind_index_is_stable_but_ciphertext_is_not():
    cipher = IdCipher(generate_master_key())
    a, b = cipher.encrypt("11010519491231002X"), cipher.encrypt("11010519491231002x")
    assert a != b and b"11010519491231002X" not in a
    assert cipher.decrypt(a) == cipher.decrypt(b) == "11010519491231002X"
    assert cipher.blind_index("11010519491231002x") == cipher.blind_index("11010519491231002X")


def test_a_different_key_cannot_read_or_find_the_number():
    one, other = IdCipher(generate_master_key()), IdCipher(generate_master_key())
    assert one.blind_index("11010519491231002X") != other.blind_index("11010519491231002X")
    with pytest.raises(Exception):  # noqa: B017 - AES-GCM raises InvalidTag
        other.decrypt(one.encrypt("11010519491231002X"))
