"""Training plans in and out: the CSV import (command line and upload page) and export.

Files are built the way a spreadsheet writes them; every check reads the real
database afterwards.
"""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select

from catalog.extensions import db
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    OfferingQuota,
    OfferingStatus,
    Programme,
    Role,
    SessionStatus,
    TrainingSession,
)
from catalog.transfer.importer import ImportRejected, import_plan
from catalog.transfer.plan import COLUMNS
from tests.factories import PASSWORD, make_course, make_offering, make_user

GOOD_ROW = {
    "course_code": "TPP-ENG-HEE-B",
    "course_title": "Heavy Engineering Equipment Basic",
    "discipline": "engineering",
    "level": "basic",
    "programme": "tpp",
    "summary": "Operating heavy engineering equipment to UN standards.",
    "delivery_mode": "in_person",
    "venue": "Humanitarian Peace Support School, Nairobi",
    "country": "KE",
    "timezone": "Africa/Nairobi",
    "language": "en",
    "starts_on": "2027-03-01",
    "ends_on": "2027-04-09",
    "enrolment_opens": "2027-01-04",
    "enrolment_closes": "2027-02-12",
    "capacity": "20",
    "quotas": "KE:4;UG:4;RW:2",
    "status": "published",
}


SEPTEMBER = {
    "starts_on": "2027-09-06",
    "ends_on": "2027-10-15",
    "enrolment_opens": "2027-06-01",
    "enrolment_closes": "2027-07-30",
}


def row(**changes: str) -> dict[str, str]:
    return {**GOOD_ROW, **changes}


def plan(*rows: dict[str, str], columns=COLUMNS) -> str:
    """A training plan as a spreadsheet saves it (CRLF line ends, quoting as needed)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, "") for column in columns])
    return out.getvalue()


# A plan of three offerings of two new courses: one remote, one draft.
THREE_OFFERINGS = plan(
    row(),
    row(**SEPTEMBER, quotas="", status=""),
    row(
        course_code="TPP-MED-FMT",
        course_title="Field Medical Assistants",
        discipline="medical",
        level="intermediate",
        programme="other",
        summary="",
        delivery_mode="remote",
        venue="",
        country="",
        timezone="America/New_York",
        language="fr",
        starts_on="2027-05-03",
        ends_on="2027-05-14",
        enrolment_opens="2027-03-01",
        enrolment_closes="2027-04-16",
        capacity="30",
        quotas="SN:5",
        status="published",
    ),
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> tuple[int, int, int]:
    return count(Course), count(Offering), count(OfferingQuota)


def offering_of(code: str, starts_on: date) -> Offering:
    return db.session.scalars(
        select(Offering)
        .join(Offering.course)
        .where(Course.code == code, Offering.starts_on == starts_on)
    ).one()


def quotas_of(offering: Offering) -> dict[str, int]:
    return {quota.country_code: quota.seats for quota in offering.quotas}


def timestamps() -> dict[str, datetime]:
    """updated_at of every course and offering."""
    stamps = {f"course {c.code}": c.updated_at for c in db.session.scalars(select(Course))}
    for offering in db.session.scalars(select(Offering)):
        stamps[f"offering {offering.id}"] = offering.updated_at
    return stamps


def rejected_problems(text_or_bytes) -> list[tuple[int | None, str | None]]:
    with pytest.raises(ImportRejected) as caught:
        import_plan(text_or_bytes)
    db.session.rollback()
    return [(problem.row, problem.column) for problem in caught.value.problems]


def import_and_commit(text_or_bytes):
    result = import_plan(text_or_bytes)
    db.session.commit()
    return result


# --- Importing ----------------------------------------------------------------------


def test_a_good_plan_creates_courses_offerings_and_quotas():
    result = import_and_commit(THREE_OFFERINGS)

    assert (result.created, result.updated, result.unchanged, result.courses_created) == (
        3,
        0,
        0,
        2,
    )
    engineering = db.session.scalars(select(Course).where(Course.code == "TPP-ENG-HEE-B")).one()
    assert engineering.title == "Heavy Engineering Equipment Basic"
    assert (engineering.discipline, engineering.level, engineering.programme) == (
        Discipline.ENGINEERING,
        Level.BASIC,
        Programme.TPP,
    )
    assert engineering.status == CourseStatus.PUBLISHED, "a new course is published"
    assert engineering.summary == "Operating heavy engineering equipment to UN standards."

    march = offering_of("TPP-ENG-HEE-B", date(2027, 3, 1))
    assert march.status == OfferingStatus.PUBLISHED
    assert march.delivery_mode == DeliveryMode.IN_PERSON
    assert (march.venue, march.country_code) == ("Humanitarian Peace Support School, Nairobi", "KE")
    assert (march.timezone, march.language, march.capacity) == ("Africa/Nairobi", "en", 20)
    assert (march.ends_on, march.enrolment_opens_on, march.enrolment_closes_on) == (
        date(2027, 4, 9),
        date(2027, 1, 4),
        date(2027, 2, 12),
    )
    assert quotas_of(march) == {"KE": 4, "UG": 4, "RW": 2}
    # Enrolment opens at midnight in Nairobi (UTC+3) and closes at the end of its last day.
    assert march.enrolment_opens_at == datetime(2027, 1, 3, 21, 0, tzinfo=UTC)
    assert march.enrolment_closes_at == datetime(2027, 2, 12, 21, 0, tzinfo=UTC)

    september = offering_of("TPP-ENG-HEE-B", date(2027, 9, 6))
    assert september.status == OfferingStatus.DRAFT, "an empty status means draft"
    assert quotas_of(september) == {}

    medical = offering_of("TPP-MED-FMT", date(2027, 5, 3))
    assert medical.delivery_mode == DeliveryMode.REMOTE
    assert (medical.country_code, medical.venue) == (None, "")
    assert (medical.timezone, medical.language, medical.capacity) == ("America/New_York", "fr", 30)
    assert quotas_of(medical) == {"SN": 5}
    assert medical.course.programme == Programme.OTHER
    assert medical.course.level == Level.INTERMEDIATE


def test_a_byte_order_mark_and_capitalised_values_are_accepted():
    text = "\ufeff" + plan(row(discipline="Engineering", level="BASIC", country="ke"))

    result = import_and_commit(text.encode("utf-8"))

    assert result.created == 1
    offering = offering_of("TPP-ENG-HEE-B", date(2027, 3, 1))
    assert offering.country_code == "KE"
    assert offering.course.discipline == Discipline.ENGINEERING


def test_an_existing_course_code_is_reused_and_keeps_its_description():
    existing = make_course(
        "TPP-ENG-HEE-B",
        title="Heavy Engineering Equipment (Basic)",
        summary="The catalogue's own summary.",
        status=CourseStatus.DRAFT,
    )
    db.session.commit()
    before = timestamps()

    result = import_and_commit(plan(row(course_title="Another title", summary="Other")))

    assert (result.created, result.courses_created) == (1, 0)
    assert count(Course) == 1
    db.session.refresh(existing)
    assert existing.title == "Heavy Engineering Equipment (Basic)"
    assert existing.summary == "The catalogue's own summary."
    assert existing.status == CourseStatus.DRAFT
    assert existing.updated_at == before["course TPP-ENG-HEE-B"]
    assert offering_of("TPP-ENG-HEE-B", date(2027, 3, 1)).course_id == existing.id


def test_course_codes_are_matched_without_case():
    make_course("TPP-ENG-HEE-B")
    db.session.commit()

    result = import_and_commit(plan(row(course_code="tpp-eng-hee-b")))

    assert (result.created, result.courses_created) == (1, 0)
    assert count(Course) == 1


def test_a_new_course_code_is_stored_in_capitals():
    import_and_commit(plan(row(course_code="tpp-eng-hee-b")))

    assert db.session.scalars(select(Course.code)).all() == ["TPP-ENG-HEE-B"]


def test_a_cancelled_course_takes_no_new_offerings():
    course = make_course("TPP-ENG-HEE-B", status=CourseStatus.CANCELLED)
    make_offering(course, starts_on=date(2027, 3, 1), status=OfferingStatus.CANCELLED)
    db.session.commit()

    assert rejected_problems(plan(row(**SEPTEMBER), row(status="published"))) == [
        (2, "course_code"),
        (3, "status"),
    ]


def test_cancelling_through_the_plan_cancels_the_sessions_too():
    offering = make_offering(make_course("TPP-ENG-HEE-B"), starts_on=date(2027, 3, 1))
    session = TrainingSession(
        offering=offering,
        title="Opening",
        starts_at=datetime(2027, 3, 1, 6, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC),
        timezone="Africa/Nairobi",
    )
    db.session.add(session)
    db.session.commit()
    rows = exported_rows(export_text())
    rows[0]["status"] = "cancelled"

    result = import_and_commit(plan(*rows))

    assert result.updated == 1
    db.session.expire_all()
    assert offering.status == OfferingStatus.CANCELLED
    assert (session.status, session.revision) == (SessionStatus.CANCELLED, 1)


def test_an_existing_course_needs_no_title_discipline_or_level():
    make_course("TPP-ENG-HEE-B")
    db.session.commit()

    result = import_and_commit(plan(row(course_title="", discipline="", level="")))

    assert result.created == 1


@contextmanager
def statements_written():
    """The INSERT, UPDATE and DELETE statements sent to the database meanwhile."""
    written: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            written.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield written
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_importing_the_same_file_again_changes_nothing():
    import_and_commit(THREE_OFFERINGS)
    before_counts, before = counts(), timestamps()

    with statements_written() as written:
        result = import_and_commit(THREE_OFFERINGS)

    assert (result.created, result.updated, result.unchanged, result.courses_created) == (
        0,
        0,
        3,
        0,
    )
    assert written == []
    db.session.expire_all()
    assert counts() == before_counts
    assert timestamps() == before


def test_a_matched_offering_takes_the_rows_values_and_quotas():
    import_and_commit(THREE_OFFERINGS)
    march = offering_of("TPP-ENG-HEE-B", date(2027, 3, 1))
    untouched = offering_of("TPP-MED-FMT", date(2027, 5, 3))
    before = timestamps()

    changed = plan(
        row(capacity="24", venue="Embakasi Garrison", status="cancelled", quotas="UG:6;TZ:3")
    )
    result = import_and_commit(changed)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    db.session.expire_all()
    assert (march.capacity, march.venue, march.status) == (
        24,
        "Embakasi Garrison",
        OfferingStatus.CANCELLED,
    )
    assert quotas_of(march) == {"UG": 6, "TZ": 3}, "quotas are replaced, not merged"
    assert march.updated_at > before[f"offering {march.id}"]
    assert untouched.updated_at == before[f"offering {untouched.id}"]
    assert count(Offering) == 3


def test_a_change_of_quotas_alone_counts_as_an_update():
    import_and_commit(plan(row()))
    march = offering_of("TPP-ENG-HEE-B", date(2027, 3, 1))
    before = march.updated_at

    result = import_and_commit(plan(row(quotas="KE:4;UG:5;RW:2")))

    assert result.updated == 1
    db.session.expire_all()
    assert quotas_of(march) == {"KE": 4, "UG": 5, "RW": 2}
    assert march.updated_at > before


def test_a_bad_file_lists_every_problem_by_row_and_column_and_writes_nothing():
    make_offering(make_course("TPP-OLD"))
    db.session.commit()
    before = counts()
    text = plan(
        row(),  # row 2 is fine, but is not imported either
        row(course_code="BAD-3", starts_on="2027-02-30"),
        row(course_code="BAD-4", discipline="logistics"),
        row(course_code="BAD-5", capacity="0", quotas=""),
        row(course_code="BAD-6", enrolment_closes="2027-03-05"),
        row(course_code="BAD-7", quotas="KE:15;UG:10"),
        row(course_code="BAD-8", timezone="Mars/Base"),
        row(course_code="BAD-9", country="ZZ"),
        row(course_code="BAD-10", quotas="KE-4"),
    )

    with pytest.raises(ImportRejected) as caught:
        import_plan(text)
    db.session.rollback()

    problems = caught.value.problems
    assert [(p.row, p.column) for p in problems] == [
        (3, "starts_on"),
        (4, "discipline"),
        (5, "capacity"),
        (6, "enrolment_closes"),
        (7, "quotas"),
        (8, "timezone"),
        (9, "country"),
        (10, "quotas"),
    ]
    messages = {(p.row, p.column): p.message for p in problems}
    assert "YYYY-MM-DD" in messages[(3, "starts_on")]
    assert "engineering, medical, c4isr, other" in messages[(4, "discipline")]
    assert "at least 1" in messages[(5, "capacity")]
    assert "close before the offering starts" in messages[(6, "enrolment_closes")]
    assert "25 seats, more than the capacity of 20" in messages[(7, "quotas")]
    assert "Mars/Base is not an IANA time zone" in messages[(8, "timezone")]
    assert "ZZ is not a known country code" in messages[(9, "country")]
    assert "KE:4;UG:4" in messages[(10, "quotas")]
    assert str(problems[2]) == "row 5, column capacity: The capacity must be at least 1."
    assert counts() == before


def test_every_problem_of_one_row_is_listed():
    problems = rejected_problems(
        plan(row(capacity="twenty", language="sw", delivery_mode="", status="open"))
    )

    assert problems == [
        (2, "delivery_mode"),
        (2, "language"),
        (2, "capacity"),
        (2, "status"),
    ]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        pytest.param(
            [c for c in COLUMNS if c != "capacity"], [(1, "capacity")], id="missing column"
        ),
        pytest.param([*COLUMNS, "notes"], [(1, "notes")], id="unknown column"),
        pytest.param([*COLUMNS, "venue"], [(1, "venue")], id="duplicated column"),
        pytest.param(
            ["course", *COLUMNS[1:]], [(1, "course"), (1, "course_code")], id="misspelt column"
        ),
    ],
)
def test_a_wrong_header_row_is_refused(columns, expected):
    before = counts()

    assert rejected_problems(plan(row(), columns=columns)) == expected
    assert counts() == before


def test_header_columns_may_come_in_any_order():
    columns = list(reversed(COLUMNS))

    assert import_and_commit(plan(row(), columns=columns)).created == 1


def test_two_rows_for_the_same_course_and_start_date_are_refused():
    text = plan(row(), row(capacity="25"), row(**SEPTEMBER))

    with pytest.raises(ImportRejected) as caught:
        import_plan(text)
    db.session.rollback()

    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (3, "starts_on")
    assert "Row 2" in problem.message
    assert count(Offering) == 0


def test_rows_of_one_new_course_must_describe_it_the_same_way():
    text = plan(
        row(),
        row(**SEPTEMBER, course_title="HEE Basic", level="intermediate"),
    )

    assert rejected_problems(text) == [(3, "course_title"), (3, "level")]
    assert count(Course) == 0


def test_a_new_course_needs_a_title_discipline_and_level():
    assert rejected_problems(plan(row(course_title="", discipline="", level=""))) == [
        (2, "course_title"),
        (2, "discipline"),
        (2, "level"),
    ]


def test_a_file_that_is_not_utf8_is_refused():
    latin1 = plan(row(course_title="Génie militaire")).encode("latin-1")

    with pytest.raises(ImportRejected) as caught:
        import_plan(latin1)

    [problem] = caught.value.problems
    assert "not UTF-8" in problem.message
    assert "line 2" in problem.message
    assert count(Course) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n", "The file is empty."),
        (plan().encode(), "no offerings"),
        (b"course_code;course_title;discipline\r\nA;B;C\r\n", "semicolons"),
    ],
)
def test_files_without_a_plan_are_refused(content, message):
    with pytest.raises(ImportRejected) as caught:
        import_plan(content)

    assert message in caught.value.problems[0].message


def test_rows_count_as_a_spreadsheet_shows_them():
    # A blank line and a cell spanning two lines still make one spreadsheet row each.
    text = plan(row(summary="Two\r\nlines"), row(**SEPTEMBER, summary="Two\r\nlines", capacity="x"))
    text = text.replace("\r\nTPP-ENG-HEE-B,Heavy", "\r\n\r\nTPP-ENG-HEE-B,Heavy", 1)

    assert rejected_problems(text) == [(4, "capacity")]


def test_a_row_with_more_values_than_columns_is_refused():
    text = (
        plan(row())
        + "TPP-X,Title,engineering,basic,tpp,,remote,,,UTC,en,"
        + ",".join(["2027-03-01"] * 4 + ["1", "", "draft", "surplus"])
    )

    assert rejected_problems(text) == [(3, None)]


# --- Exporting ----------------------------------------------------------------------


def exported_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def export_text() -> str:
    from catalog.transfer.exporter import export_plan

    out = io.StringIO(newline="")
    export_plan(out)
    return out.getvalue()


def test_the_export_lists_every_offering_by_start_date_then_course_code():
    early = make_course("B-EARLY")
    later = make_course("A-LATER")
    make_offering(later, starts_on=date(2027, 6, 1), status=OfferingStatus.CANCELLED)
    make_offering(early, starts_on=date(2027, 6, 1), status=OfferingStatus.DRAFT)
    make_offering(later, starts_on=date(2027, 2, 1), capacity=12)
    db.session.commit()

    text = export_text()

    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = exported_rows(text)
    assert [(r["course_code"], r["starts_on"], r["status"]) for r in rows] == [
        ("A-LATER", "2027-02-01", "published"),
        ("A-LATER", "2027-06-01", "cancelled"),
        ("B-EARLY", "2027-06-01", "draft"),
    ]
    assert rows[0]["capacity"] == "12"
    assert rows[0]["enrolment_closes"] == "2027-01-18"


def test_the_export_neutralises_cells_a_spreadsheet_would_run():
    course = make_course(
        "TPP-EVIL",
        title='=HYPERLINK("https://evil.example/","Click")',
        summary="-2+3",
    )
    make_offering(course, venue="@SUM(A1)", quotas=[OfferingQuota(country_code="KE", seats=2)])
    db.session.commit()

    [exported] = exported_rows(export_text())

    assert exported["course_title"] == '\'=HYPERLINK("https://evil.example/","Click")'
    assert exported["summary"] == "'-2+3"
    assert exported["venue"] == "'@SUM(A1)"
    assert exported["quotas"] == "KE:2"
    assert exported["course_code"] == "TPP-EVIL"


def test_an_exported_catalogue_imports_back_with_no_changes():
    evil = make_course("TPP-EVIL", title="=1+2", summary="+ first\n- second", level=Level.TOT)
    make_offering(
        evil,
        starts_on=date(2027, 4, 5),
        venue="-Camp",
        quotas=[
            OfferingQuota(country_code="UG", seats=3),
            OfferingQuota(country_code="KE", seats=1),
        ],
    )
    make_offering(evil, starts_on=date(2027, 8, 2), status=OfferingStatus.CANCELLED)
    make_offering(
        make_course("TPP-C4-RMT", discipline=Discipline.C4ISR),
        starts_on=date(2027, 4, 5),
        delivery_mode=DeliveryMode.REMOTE,
        timezone="Europe/Paris",
        language="fr",
        status=OfferingStatus.DRAFT,
    )
    db.session.commit()
    before_counts, before = counts(), timestamps()

    result = import_and_commit(export_text())

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    db.session.expire_all()
    assert counts() == before_counts
    assert timestamps() == before
    assert db.session.scalars(select(Course.title).where(Course.code == "TPP-EVIL")).one() == "=1+2"


def test_an_exported_plan_creates_the_same_catalogue_elsewhere():
    import_and_commit(THREE_OFFERINGS)
    first = export_text()
    db.session.execute(OfferingQuota.__table__.delete())
    db.session.execute(Offering.__table__.delete())
    db.session.execute(Course.__table__.delete())
    db.session.commit()

    result = import_and_commit(first)

    assert (result.created, result.courses_created) == (3, 2)
    assert export_text() == first


# --- Command line -------------------------------------------------------------------


def test_cli_import_reports_counts_and_exits_zero(runner, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(THREE_OFFERINGS, encoding="utf-8")

    result = runner.invoke(args=["catalogue", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Offerings created: 3, updated: 0, unchanged: 0. New courses: 2." in result.output
    assert count(Offering) == 3

    again = runner.invoke(args=["catalogue", "import", str(path)])
    assert again.exit_code == 0
    assert "Offerings created: 0, updated: 0, unchanged: 3." in again.output


def test_cli_import_prints_every_problem_and_exits_non_zero(runner, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        plan(row(), row(course_code="X-1", capacity="0", quotas=""), row(timezone="Mars/Base")),
        encoding="utf-8",
    )

    result = runner.invoke(args=["catalogue", "import", str(path)])

    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert "nothing was changed" in lines[0]
    assert "row 3, column capacity: The capacity must be at least 1." in lines
    assert any(line.startswith("row 4, column timezone: Mars/Base") for line in lines)
    assert counts() == (0, 0, 0)


def test_cli_export_writes_a_file(runner, tmp_path):
    make_offering(make_course("TPP-ONE"))
    make_offering(make_course("TPP-TWO"))
    db.session.commit()
    path = tmp_path / "out.csv"

    result = runner.invoke(args=["catalogue", "export", str(path)])

    assert result.exit_code == 0, result.output
    assert "Exported 2 offerings" in result.output
    content = path.read_bytes()
    assert content.startswith(",".join(COLUMNS).encode() + b"\r\n")
    assert [r["course_code"] for r in exported_rows(content.decode())] == ["TPP-ONE", "TPP-TWO"]


def test_cli_export_without_a_file_writes_to_standard_output(runner):
    make_offering(make_course("TPP-ONE"))
    db.session.commit()

    result = runner.invoke(args=["catalogue", "export"])

    assert result.exit_code == 0
    assert [r["course_code"] for r in exported_rows(result.output)] == ["TPP-ONE"]


# --- Upload page and download -------------------------------------------------------


def log_in(client, role: Role) -> None:
    email = f"{role.value}@example.org"
    make_user(email, role)
    db.session.commit()
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def upload(client, content: bytes | str, filename: str = "plan.csv"):
    """Post the file as a browser does. The body is built here, in memory: the test
    client would spool a large one to a temporary file it never closes."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    boundary = "----training-plan-boundary"
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="plan"; filename="{filename}"\r\n'.encode(),
            b"Content-Type: text/csv\r\n\r\n",
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return client.post(
        "/manage/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_anonymous_visitors_are_sent_to_log_in(client):
    for response in (client.get("/manage/import"), client.get("/manage/export.csv")):
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/account/login"


def test_trainees_may_neither_import_nor_export(client):
    log_in(client, Role.TRAINEE)

    assert client.get("/manage/import").status_code == 403
    assert upload(client, THREE_OFFERINGS).status_code == 403
    assert client.get("/manage/export.csv").status_code == 403
    assert count(Offering) == 0


def test_the_import_page_explains_the_format(client):
    log_in(client, Role.COORDINATOR)

    response = client.get("/manage/import")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert 'enctype="multipart/form-data"' in html
    assert ",".join(COLUMNS) in html, "the header row to copy"
    assert "KE:4;UG:4;RW:2" in html, "an example row"
    assert html.count('<th scope="col">') == 3


def test_a_coordinator_uploads_a_good_plan(client):
    log_in(client, Role.COORDINATOR)

    response = upload(client, THREE_OFFERINGS)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/manage/import"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Offerings created: 3, updated: 0, unchanged: 0. New courses: 2." in page
    assert counts() == (2, 3, 4)
    assert offering_of("TPP-MED-FMT", date(2027, 5, 3)).language == "fr"


def test_an_administrator_may_import_too(client):
    log_in(client, Role.ADMIN)

    assert upload(client, plan(row())).status_code == 302
    assert count(Offering) == 1


def test_a_bad_upload_shows_every_problem_and_writes_nothing(client):
    log_in(client, Role.COORDINATOR)
    text = plan(
        row(), row(course_code="X-1", capacity="0", quotas=""), row(**SEPTEMBER, country="ZZ")
    )

    response = upload(client, text)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The file was not imported" in html
    assert "Correct these 2 problems" in html
    assert '<th scope="col">Row</th>' in html
    assert "<td>3</td>" in html and "<code>capacity</code>" in html
    assert "The capacity must be at least 1." in html
    assert "<td>4</td>" in html and "ZZ is not a known country code." in html
    assert counts() == (0, 0, 0)


def test_an_upload_that_is_not_utf8_is_refused_with_a_reason(client):
    log_in(client, Role.COORDINATOR)

    response = upload(client, plan(row(venue="Génie")).encode("cp1252"))

    assert response.status_code == 422
    assert "save it as “CSV UTF-8”" in response.get_data(as_text=True)
    assert count(Offering) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose the CSV file to import."),
        ({"plan": (io.BytesIO(b"course_code"), "plan.xlsx")}, "whose name ends in .csv"),
    ],
)
def test_the_upload_form_checks_the_file(client, data, message):
    log_in(client, Role.COORDINATOR)

    response = client.post("/manage/import", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_an_upload_over_two_megabytes_is_refused_before_it_is_read(app, client):
    log_in(client, Role.COORDINATOR)
    # With CSRF protection on, as in production: its hook must not read the body first.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = upload(client, plan(row()) + " " * (2 * 1024 * 1024))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than 2 MB" in html
    assert 'type="file"' in html, "the form is offered again"
    assert count(Offering) == 0


def test_a_coordinator_downloads_the_catalogue(client):
    make_offering(make_course("TPP-ONE", title="=cmd|' /C calc'!A0"))
    db.session.commit()
    log_in(client, Role.COORDINATOR)

    response = client.get("/manage/export.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=catalogue-{today}.csv"
    )
    [exported] = exported_rows(response.get_data(as_text=True))
    assert exported["course_title"] == "'=cmd|' /C calc'!A0"
