"""Importing departments' files: mapping their own headers, matching subjects by number,
batches that record everything, re-imports that change nothing, atomic failure, rollback."""

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

import tests.factories as f
from agri_credit.departmental.importer import (
    BatchRefused,
    create_batch,
    import_file,
    rollback_batch,
    run_batch,
)
from agri_credit.departmental.matching import match_subject_keys
from agri_credit.departmental.parsing import UnreadableFile
from models import (
    BatchStatus,
    ImportBatch,
    ImportRejection,
    LoanRecord,
    PublicRecord,
    SubjectKey,
    TaxRecord,
    UtilityRecord,
    db,
)

# The importer loads each file in a transaction on a connection of its own.
pytestmark = pytest.mark.real_commits

POWER_HEADERS = [
    "户号",
    "户名",
    "证件号码",
    "抄表年月",
    "抄见电量(千瓦时)",
    "应收电费(元)",
    "实缴日期",
]
POWER_MAPPING = {
    "account_no": "户号",
    "subject_name": "户名",
    "subject_code": "证件号码",
    "period": "抄表年月",
    "consumption": "抄见电量(千瓦时)",
    "billed": "应收电费(元)",
    "paid_on": "实缴日期",
}


def write_csv(path: Path, headers: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def power_rows(id_number: str, name: str = "杨建国", months: int = 3) -> list[list]:
    return [
        [
            "0101001",
            name,
            id_number,
            f"2025{m:02d}",
            100 + m,
            f"{50 + m}.50",
            f"2025-{m + 1:02d}-10",
        ]
        for m in range(1, months + 1)
    ]


def import_power(path: Path, user, **options):
    return import_file(
        path,
        source="electricity",
        columns=POWER_MAPPING,
        user=user,
        scope_code=f.COUNTY,
        **options,
    )


def current(model):
    return list(db.session.scalars(select(model).where(model.superseded_by_id.is_(None))))


def test_gb18030_electricity_file_lands_on_the_household_and_keeps_strangers(
    tmp_path, cipher, users
):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    head_id = cipher.decrypt(household.head_id_cipher)
    stranger = f.make_id_number(area="610104")
    rows = power_rows(head_id) + power_rows(stranger, name="外来户", months=1)
    path = write_csv(tmp_path / "国网电费.csv", POWER_HEADERS, rows, encoding="gb18030")

    batch = import_power(path, users["office"])

    assert batch.status == BatchStatus.IMPORTED
    assert batch.encoding == "gb18030"
    assert (batch.rows_read, batch.rows_inserted, batch.rows_rejected) == (4, 4, 0)
    assert batch.rows_unmatched == 1
    keys = {k.masked: k for k in db.session.scalars(select(SubjectKey))}
    assert keys[household.head_id_masked].household_id == household.id
    stranger_key = next(k for k in keys.values() if k.household_id is None)
    assert stranger_key.name == "外来户"
    assert stranger not in repr(stranger_key.id_cipher)  # kept encrypted
    march = next(
        r for r in current(UtilityRecord) if r.month == 3 and r.subject_key_id != stranger_key.id
    )
    assert march.utility == "electricity"
    assert march.consumption == Decimal("103.00")
    assert march.billed == Decimal("53.50")
    assert march.paid_on == date(2025, 4, 10)
    assert march.days_late == 0  # paid before the end of the following month


def test_a_household_filed_after_the_import_picks_up_its_waiting_records(tmp_path, cipher, users):
    """Filed by the office whose import brought the rows; a cadre's filing waits for the
    office to confirm the link (tests/test_scope_holes.py)."""
    newcomer = f.make_id_number()
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, power_rows(newcomer))
    batch = import_power(path, users["office"])
    assert batch.rows_unmatched == 3

    household = f.make_household(cipher, users["office"], head_id_number=newcomer)
    db.session.commit()

    key = db.session.scalar(select(SubjectKey))
    assert key.household_id == household.id


def test_the_same_file_twice_changes_nothing(tmp_path, cipher, users):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    path = write_csv(
        tmp_path / "电费.csv", POWER_HEADERS, power_rows(cipher.decrypt(household.head_id_cipher))
    )
    first = import_power(path, users["office"])
    second = import_power(path, users["office"])

    assert first.sha256 == second.sha256
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, 0, 3)
    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 3
    assert db.session.scalar(select(func.count()).select_from(SubjectKey)) == 1


def test_a_corrected_file_supersedes_and_rolling_it_back_restores_the_old_values(
    tmp_path, cipher, users
):
    id_number = f.make_id_number()
    original = write_csv(tmp_path / "v1.csv", POWER_HEADERS, power_rows(id_number))
    rows = power_rows(id_number)
    rows[1][4] = 999  # February's reading corrected
    corrected = write_csv(tmp_path / "v2.csv", POWER_HEADERS, rows)

    first = import_power(original, users["office"])
    second = import_power(corrected, users["office"])
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, 1, 2)
    february = [r for r in current(UtilityRecord) if r.month == 2]
    assert [r.consumption for r in february] == [Decimal("999.00")]

    with pytest.raises(BatchRefused, match=f"#{second.id}"):
        rollback_batch(first, users["office"])

    rollback_batch(second, users["office"])
    assert second.status == BatchStatus.ROLLED_BACK
    assert [r.consumption for r in current(UtilityRecord) if r.month == 2] == [Decimal("102.00")]
    assert len(current(UtilityRecord)) == 3

    rollback_batch(first, users["office"])
    assert current(UtilityRecord) == []
    assert db.session.scalar(select(func.count()).select_from(SubjectKey)) == 0


def test_bad_rows_reject_the_whole_file_with_a_report_in_chinese(tmp_path, cipher, users):
    good = f.make_id_number()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = power_rows(good, months=2) + [
        ["0101002", "张三", bad_check, "202503", 100, 50, ""],
        ["0101003", "李四", f.make_id_number(), "2025年13月", 100, 50, ""],
        ["0101004", "王五", f.make_id_number(), "202503", -5, "abc", ""],
        ["0101005", "赵六", "", "202503", 100, 50, ""],
    ]
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, rows)

    batch = import_power(path, users["office"])

    assert batch.status == BatchStatus.REJECTED
    assert "整个文件未导入" in batch.message
    assert (batch.rows_read, batch.rows_rejected, batch.rows_inserted) == (6, 4, 0)
    assert current(UtilityRecord) == []
    assert db.session.scalar(select(func.count()).select_from(SubjectKey)) == 0
    problems = {
        (r.row_number, r.field): r
        for r in db.session.scalars(
            select(ImportRejection).where(ImportRejection.batch_id == batch.id)
        )
    }
    assert "校验位" in problems[(4, "身份证号/统一社会信用代码")].message
    assert (
        problems[(4, "身份证号/统一社会信用代码")].value
        == bad_check[:4] + "*" * 10 + bad_check[-4:]
    )
    assert problems[(5, "账期(年月)")].column == "抄表年月"
    assert "不能小于" in problems[(6, "用量(千瓦时)")].message
    assert "数字" in problems[(6, "应缴金额(元)")].message
    assert "必填" in problems[(7, "身份证号/统一社会信用代码")].message


def test_keeping_the_valid_rows_lands_them_and_reports_the_rest(tmp_path, users):
    rows = power_rows(f.make_id_number(), months=2) + [
        ["0101002", "张三", "123", "202503", 100, 50, ""]
    ]
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, rows)

    batch = import_power(path, users["office"], keep_valid_rows=True)

    assert batch.status == BatchStatus.IMPORTED
    assert (batch.rows_inserted, batch.rows_rejected) == (2, 1)
    rejection = db.session.scalar(select(ImportRejection))
    assert rejection.row_number == 4


def test_the_same_record_twice_in_one_file_is_reported_not_duplicated(tmp_path, users):
    id_number = f.make_id_number()
    rows = power_rows(id_number, months=2) + [power_rows(id_number, months=1)[0]]
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, rows)

    batch = import_power(path, users["office"], keep_valid_rows=True)

    assert (batch.rows_inserted, batch.rows_rejected) == (2, 1)
    rejection = db.session.scalar(select(ImportRejection))
    assert rejection.row_number == 4
    assert "第2行" in rejection.message


def test_a_file_that_turns_undecodable_midway_leaves_the_database_as_it_was(tmp_path, users):
    path = tmp_path / "电费.csv"
    rows = [power_rows(f.make_id_number(), months=1)[0] for _ in range(6000)]
    write_csv(path, POWER_HEADERS, rows)
    with open(path, "ab") as handle:  # past the sniffed start: a GB18030 row in a UTF-8 file
        handle.write("0101009,张三,110101199003071234,202503,1,1,\n".encode("gb18030"))
    batch, _ = create_batch(
        path,
        source="electricity",
        user=users["office"],
        scope_code=f.COUNTY,
        filename=path.name,
        columns=POWER_MAPPING,
    )

    run_batch(batch.id, path, chunk_rows=1000)

    db.session.expire_all()
    batch = db.session.get(type(batch), batch.id)
    assert batch.status == BatchStatus.FAILED
    assert "编码" in batch.message
    assert current(UtilityRecord) == []
    assert db.session.scalar(select(func.count()).select_from(SubjectKey)) == 0


def test_a_job_killed_midway_leaves_the_database_as_it_was(tmp_path, users):
    path = write_csv(
        tmp_path / "电费.csv",
        POWER_HEADERS,
        [power_rows(f.make_id_number(), months=1)[0] for _ in range(3000)],
    )
    batch, _ = create_batch(
        path,
        source="electricity",
        user=users["office"],
        scope_code=f.COUNTY,
        filename=path.name,
        columns=POWER_MAPPING,
    )

    def killed(rows_done: int, _fraction: float) -> None:
        if rows_done >= 2000:
            raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        run_batch(batch.id, path, progress=killed, chunk_rows=1000)

    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 0
    assert db.session.scalar(select(func.count()).select_from(SubjectKey)) == 0


def test_xlsx_loans_with_excel_dates_and_status_words(tmp_path, cipher, users):
    entity = f.make_entity(cipher, users["cadre"])
    db.session.commit()
    headers = [
        "借款人名称",
        "借款人证件号码",
        "贷款机构",
        "借款合同号",
        "合同金额",
        "发放日期",
        "到期日",
        "五级分类",
        "逾期天数",
        "贷款余额",
        "结清日期",
    ]
    rows = [
        [
            entity.name,
            entity.uscc,
            "富平农商银行",
            "HT-001",
            500000,
            datetime(2024, 3, 1),
            datetime(2026, 3, 1),
            "关注类",
            35,
            200000,
            None,
        ],
        [
            entity.name,
            entity.uscc,
            "邮储银行",
            "HT-002",
            100000,
            datetime(2022, 1, 5),
            "2023/1/5",
            "正常",
            0,
            0,
            "2023-01-04",
        ],
    ]
    path = write_xlsx(tmp_path / "贷款.xlsx", headers, rows)
    mapping = {
        "subject_name": "借款人名称",
        "subject_code": "借款人证件号码",
        "bank": "贷款机构",
        "contract_no": "借款合同号",
        "amount": "合同金额",
        "start_on": "发放日期",
        "due_on": "到期日",
        "status": "五级分类",
        "days_overdue": "逾期天数",
        "balance": "贷款余额",
        "repaid_on": "结清日期",
    }

    batch = import_file(
        path, source="bank_loan", columns=mapping, user=users["office"], scope_code=f.COUNTY
    )

    assert batch.status == BatchStatus.IMPORTED, batch.message
    loans = {r.contract_no: r for r in current(LoanRecord)}
    assert loans["HT-001"].status == "special_mention"
    assert loans["HT-001"].start_on == date(2024, 3, 1)
    assert loans["HT-001"].days_overdue == 35
    assert loans["HT-002"].due_on == date(2023, 1, 5)
    assert loans["HT-002"].repaid_on == date(2023, 1, 4)
    key = db.session.scalar(select(SubjectKey))
    assert key.entity_id == entity.id


def test_public_records_without_a_document_number_are_known_by_date_and_title(tmp_path, users):
    headers = ["名称", "统一社会信用代码", "信息类别", "事项名称", "决定日期", "严重程度"]
    uscc = f.make_uscc()
    rows = [
        ["某合作社", uscc, "行政处罚", "未按规定使用农药", "2024年5月6日", "一般"],
        ["某合作社", uscc, "荣誉", "省级示范社", "2023-12-01", ""],
    ]
    path = write_csv(tmp_path / "信用中国.csv", headers, rows, encoding="utf-8-sig")
    mapping = {
        "subject_name": "名称",
        "subject_code": "统一社会信用代码",
        "kind": "信息类别",
        "title": "事项名称",
        "decided_on": "决定日期",
        "severity": "严重程度",
    }

    first = import_file(
        path, source="public_record", columns=mapping, user=users["office"], scope_code=f.COUNTY
    )
    again = import_file(
        path, source="public_record", columns=mapping, user=users["office"], scope_code=f.COUNTY
    )

    assert first.status == BatchStatus.IMPORTED, first.message
    assert (again.rows_inserted, again.rows_unchanged) == (0, 2)
    records = {r.kind: r for r in current(PublicRecord)}
    assert records["penalty"].document_no == "2024-05-06|未按规定使用农药"
    assert records["penalty"].severity == "general"
    assert records["honour"].decided_on == date(2023, 12, 1)


def test_tax_by_uscc_and_a_large_grower_known_only_by_the_operators_id(tmp_path, cipher, users):
    coop = f.make_entity(cipher, users["cadre"])
    operator_id = f.make_id_number()
    grower = f.make_entity(
        cipher,
        users["cadre"],
        entity_type="large_grower",
        name="王大户",
        uscc=None,
        operator_id_number=operator_id,
    )
    db.session.commit()
    headers = ["纳税人识别号", "纳税人名称", "税款所属期", "实缴税额", "纳税信用等级"]
    rows = [
        [coop.uscc, coop.name, "2024", "12,500.00", "A级"],
        [coop.uscc, coop.name, "2025年", "13000", "B"],
        [operator_id, "王大户", "2025", "800", "M"],
    ]
    path = write_xlsx(tmp_path / "税务.xlsx", headers, rows)
    mapping = {
        "subject_code": "纳税人识别号",
        "subject_name": "纳税人名称",
        "period": "税款所属期",
        "tax_paid": "实缴税额",
        "tax_grade": "纳税信用等级",
    }

    batch = import_file(
        path, source="tax", columns=mapping, user=users["office"], scope_code=f.COUNTY
    )

    assert batch.rows_unmatched == 0, batch.message
    by_entity = {k.entity_id: k.id for k in db.session.scalars(select(SubjectKey))}
    coop_tax = {
        (r.year, r.month): r for r in current(TaxRecord) if r.subject_key_id == by_entity[coop.id]
    }
    assert coop_tax[(2024, 0)].tax_paid == Decimal("12500.00")
    assert coop_tax[(2024, 0)].tax_grade == "A"
    assert [
        r.tax_grade for r in current(TaxRecord) if r.subject_key_id == by_entity[grower.id]
    ] == ["M"]


def test_rematching_links_keys_after_files_arrive_by_bulk_load(tmp_path, cipher, users):
    uscc = f.make_uscc()
    headers = ["纳税人识别号", "纳税人名称", "税款所属期", "实缴税额"]
    path = write_csv(tmp_path / "税务.csv", headers, [[uscc, "新合作社", "2025", "100"]])
    import_file(
        path,
        source="tax",
        columns={"subject_code": "纳税人识别号", "period": "税款所属期", "tax_paid": "实缴税额"},
        user=users["office"],
        scope_code=f.COUNTY,
    )
    entity = f.make_entity(cipher, users["office"], uscc=uscc)
    db.session.commit()
    # Simulate a bulk load that bypassed the ORM hook: unlink, then rematch.
    db.session.execute(SubjectKey.__table__.update().values(entity_id=None))
    db.session.commit()
    assert db.session.scalar(select(SubjectKey.entity_id)) is None

    match_subject_keys()

    db.session.expire_all()
    assert db.session.scalar(select(SubjectKey.entity_id)) == entity.id


def test_unreadable_files_are_refused_before_any_batch_is_recorded(tmp_path, users):
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path, reason in ((legacy, "xls"), (empty, "空")):
        with pytest.raises(UnreadableFile, match=reason):
            import_power(path, users["office"])
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 0


def test_a_mapping_without_a_required_field_fails_clearly(tmp_path, users):
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, power_rows(f.make_id_number()))
    mapping = {k: v for k, v in POWER_MAPPING.items() if k != "billed"}

    batch = import_file(
        path, source="electricity", columns=mapping, user=users["office"], scope_code=f.COUNTY
    )

    assert batch.status == BatchStatus.FAILED
    assert "应缴金额" in batch.message
