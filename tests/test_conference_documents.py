"""The conference's documents read back: the agenda by field, the minutes (python-docx: every
opinion and every answer exactly once, possible complaints counted and never quoted) and the
proposals report (DOCX and XLSX); and the minutes printed through LibreOffice."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from bot.exports.conference import agenda_docx, minutes_docx, proposals_docx, proposals_xlsx
from bot.services import conference, questions
from models import CodeCounter, DialogueSession, ResidentQuestion
from tests.support import seed
from tests.support.conference import with_secretary
from tests.support.documents import docx_text
from tests.support.questions import file, make_asker
from tests.support.rendering import CM, needs_libreoffice, render

FLAGGED_TEXT = "Đề nghị công khai lịch tiếp dân"  # KN-26-0003 of the seed: flagged, on the agenda
BEFORE = [  # (field, text) sent by chat before the day
    ("tp", "Xin cho biết lệ phí chứng thực chữ ký hiện nay là bao nhiêu?"),
    ("dc", "Đề nghị rút ngắn thời gian đo đạc thửa đất ở tổ 4."),
    ("tp", "Đề nghị bỏ yêu cầu nộp bản sao giấy khai sinh khi đã có dữ liệu dân cư."),
]
HALL = [
    ("dc", "Hội trường hỏi: khi nào nạo vét cống đường số 9?"),
    ("tp", "Hội trường hỏi: có làm thủ tục kết hôn vào thứ Bảy không?"),
]
FLOOR = [
    ("dc", "Phát biểu trực tiếp: hẻm 12 thường xuyên ngập khi mưa.", "Ông Trần Văn Bình"),
    ("tp", "Ý kiến viết tay: niêm yết mẫu tờ khai to hơn.", None),
]
SUMMARIES = [
    "Trả lời 1: lệ phí theo Thông tư 226, 10.000 đồng mỗi chữ ký.",
    "Trả lời 2: sẽ bố trí thêm một tổ đo đạc từ tháng 1.",
    "Trả lời 3: phường đã giao Công ty thoát nước khảo sát trong tháng 12.",
    "Trả lời 4: bộ phận một cửa làm việc sáng thứ Bảy.",
    "Trả lời 5: đã yêu cầu khai thác dữ liệu dân cư thay bản sao.",
]


@dataclass
class Held:
    session_id: int
    admin: object
    secretary: object
    texts: list[str]  # every opinion quoted in the minutes
    summaries: list[str]
    later_codes: list[str]
    proposal_texts: list[str]


async def hold_a_conference(app, clock) -> Held:
    _, ids = await seed.report_data(app, clock)
    session_id = ids["main"]
    now = clock()
    async with app.sessionmaker() as db, db.begin():
        # The seed stored its codes by hand; new questions are numbered after them.
        db.add(CodeCounter(prefix="KN", year=2026, last=100))
        await db.execute(
            update(DialogueSession).where(DialogueSession.id == session_id).values(agenda=None)
        )
    people, secretary = await with_secretary(app, now)
    seeded = {}
    async with app.sessionmaker() as db:
        for code in ("KN-26-0001", "KN-26-0004", "KN-26-0003"):
            q = (
                await db.execute(
                    ResidentQuestion.__table__.select().where(ResidentQuestion.code == code)
                )
            ).one()
            seeded[code] = q
    filed = []
    async with app.sessionmaker() as db, db.begin():
        await questions.mark_conference(db, people.leader, seeded["KN-26-0001"].id, now)
        await questions.mark_conference(db, people.leader, seeded["KN-26-0004"].id, now)
    for i, (field, text) in enumerate(BEFORE):
        asker = await make_asker(app, str(900 + i), channel="telegram" if i % 2 else "zalo")
        one = await file(app, asker, session_id, now, field=field, text=text)
        async with app.sessionmaker() as db, db.begin():
            await questions.mark_conference(db, people.leader, one.id, now)
        filed.append(one)
    async with app.sessionmaker() as db, db.begin():
        await conference.set_live(db, people.admin, session_id, True, now=now)
        await conference.set_chair_and_secretary(
            db,
            secretary,
            session_id,
            chair_id=people.leader.id,
            chair_name="Nguyễn Văn Chủ Tịch",
            secretary_id=secretary.id,
            now=now,
        )
    for i, (field, text) in enumerate(HALL):
        asker = await make_asker(app, str(950 + i))
        async with app.sessionmaker() as db, db.begin():
            filed.append(
                await conference.file_from_hall(
                    db,
                    resident_id=asker.resident_id,
                    account_id=asker.account_id,
                    session_id=session_id,
                    field=field,
                    text=text,
                    language="vi",
                    named=False,
                    contact_name=None,
                    contact_phone=None,
                    complaint_flag=False,
                    channel="telegram",
                    attachments=[],
                    now=now,
                )
            )
    async with app.sessionmaker() as db, db.begin():
        for field, text, speaker in FLOOR:
            filed.append(
                await conference.add_floor_question(
                    db, secretary, session_id, field=field, text=text, speaker=speaker, now=now
                )
            )
        for name, group, attended in (
            ("Nguyễn Văn Chủ Tịch", "leaders", True),
            ("Lê Thị Phó", "leaders", False),
            ("Phạm Văn Địa Chính", "departments", True),
            ("Hoàng Thị Mặt Trận", "front", True),
            ("Đỗ Văn Tổ Trưởng", "groups", True),
        ):
            delegate = await conference.add_delegate(
                db, people.admin, session_id, name=name, group=group, now=now
            )
            await conference.set_attendance(db, secretary, delegate.id, attended, now=now)
    # Answered live: three sent before, both from the hall; later: one before, one from the
    # floor; the other floor opinion and the seeded ones stay unanswered.
    answered = [filed[0].id, filed[1].id, filed[3].id, filed[4].id, filed[2].id]
    async with app.sessionmaker() as db, db.begin():
        for question_id, summary in zip(answered, SUMMARIES, strict=True):
            await conference.pick_current(db, secretary, session_id, question_id, now=now)
            await conference.record_answer(
                db,
                secretary,
                question_id,
                answered_by=people.official_tp.id,
                summary=summary,
                now=now,
            )
        await conference.answer_later(
            db,
            secretary,
            seeded["KN-26-0001"].id,
            owner_id=people.official_dc.id,
            deadline=now + timedelta(days=15),
            now=now,
        )
        await conference.answer_later(
            db,
            secretary,
            filed[5].id,
            owner_id=people.official_dc.id,
            deadline=now + timedelta(days=20),
            now=now,
        )
        await conference.add_conclusion(
            db, secretary, session_id, "Kết luận 1: rà soát toàn bộ thủ tục chứng thực.", now=now
        )
        await conference.add_conclusion(
            db,
            secretary,
            session_id,
            "Kết luận 2: nạo vét cống trước Tết.",
            owner_id=people.official_dc.id,
            deadline=now + timedelta(days=30),
            now=now,
        )
        for question_id in (filed[2].id, filed[6].id, seeded["KN-26-0003"].id):
            await conference.mark_proposal(db, people.admin, question_id, True, now=now)
        await conference.set_live(db, people.admin, session_id, False, now=now + timedelta(hours=3))
    texts = [
        "Khi nào phường sửa đường Nguyễn Trãi?",
        "Đăng ký khai sinh trực tuyến có cần nộp bản giấy không?",
        *(t for _f, t in BEFORE),
        *(t for _f, t in HALL),
        *(t for _f, t, _s in FLOOR),
    ]
    return Held(
        session_id,
        people.admin,
        secretary,
        texts,
        SUMMARIES,
        ["KN-26-0001", filed[5].code],
        [BEFORE[2][1], FLOOR[1][1]],
    )


async def make_minutes(app, held: Held, clock, locale="vi") -> bytes:
    async with app.sessionmaker() as db, db.begin():
        found = await conference.minutes(
            db, held.secretary, held.session_id, app.survey, now=clock()
        )
    return minutes_docx(
        found,
        app.survey,
        ward_name=app.settings.ward_name or "Bình An",
        locale=locale,
        zone=app.settings.zone,
    )


async def test_the_minutes_hold_every_opinion_and_answer_exactly_once(app, clock):
    held = await hold_a_conference(app, clock)
    text = docx_text(await make_minutes(app, held, clock))
    for opinion in held.texts:
        assert text.count(opinion) == 1, opinion
    for summary in held.summaries:
        assert text.count(summary) == 1, summary
    assert FLAGGED_TEXT not in text
    assert "1 ý kiến khác có thể là khiếu nại, tố cáo" in text
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BIÊN BẢN",
        "Chủ trì: Nguyễn Văn Chủ Tịch.",
        "Thư ký: Thư ký hội nghị.",
        "Hội trường UBND phường Bình An",
        "Đại biểu có mặt: 4 trên 5 đại biểu được mời",
        "Đỗ Văn Tổ Trưởng",
        "Ông Trần Văn Bình",
        "Trả lời (Cán bộ tư pháp): ",
        "Kết luận 2: nạo vét cống trước Tết.",
        "Nhiệm vụ: Cán bộ địa chính, hạn",
        "THƯ KÝ",
        "CHỦ TRÌ HỘI NGHỊ",
    ):
        assert expected in text, expected
    assert "Lê Thị Phó" not in text  # invited, absent: counted, not named
    # The two questions left for a written answer, each with its owner and deadline.
    for code in held.later_codes:
        assert text.count(code) == 2, code  # its opinion, and its row of the written answers
    assert text.count("Trả lời bằng văn bản: Cán bộ địa chính, trước ngày") == 2
    # The survey's figures by field are there.
    assert "Kết quả khảo sát chính" in text and "Địa chính" in text
    # The same in English, for a ward that keeps its files in English.
    english = docx_text(await make_minutes(app, held, clock, locale="en"))
    assert "MINUTES" in english and "CHAIR OF THE CONFERENCE" in english
    for opinion in held.texts:
        assert english.count(opinion) == 1, opinion


async def test_the_agenda_and_the_proposals_read_back(app, clock):
    held = await hold_a_conference(app, clock)
    async with app.sessionmaker() as db, db.begin():
        found = await conference.agenda(
            db, held.admin, held.session_id, survey=app.survey, now=clock()
        )
        proposals = await conference.proposals(
            db, held.admin, held.session_id, app.survey, now=clock()
        )
        session = await db.get(DialogueSession, held.session_id)
        title, starts = session.title, session.starts_at
    zone = app.settings.zone
    agenda_text = docx_text(
        agenda_docx(
            found,
            app.survey,
            session_title=title,
            starts_at=starts,
            ward_name="Bình An",
            locale="vi",
            zone=zone,
            now=clock(),
        )
    )
    for opinion in held.texts:
        assert agenda_text.count(opinion) == 1, opinion
    assert FLAGGED_TEXT not in agenda_text
    assert "CHƯƠNG TRÌNH HỘI NGHỊ THEO LĨNH VỰC" in agenda_text
    assert "Cán bộ tư pháp" in agenda_text  # who answers, by default the field's official
    assert "phát biểu trực tiếp 1" in agenda_text and "floor" not in agenda_text

    assert [(f, n) for f, n in proposals.counts] == [("dc", 1), ("tp", 2)]
    assert proposals.withheld == 1
    proposals_text = docx_text(
        proposals_docx(proposals, app.survey, ward_name="Bình An", locale="vi", zone=zone)
    )
    for proposal in held.proposal_texts:
        assert proposals_text.count(proposal) == 1
    assert FLAGGED_TEXT not in proposals_text
    assert "KIẾN NGHỊ SỬA ĐỔI" in proposals_text.upper()
    book = load_workbook(io.BytesIO(proposals_xlsx(proposals, app.survey, locale="vi", zone=zone)))
    by_field, listed = book.worksheets
    assert [tuple(r) for r in by_field.iter_rows(min_row=2, max_row=4, values_only=True)] == [
        ("Địa chính (đất đai)", 1),
        ("Tư pháp – Hộ tịch", 2),
        ("Tất cả lĩnh vực", 3),
    ]
    rows = list(listed.iter_rows(min_row=2, values_only=True))
    assert sorted(r[2] for r in rows) == sorted(held.proposal_texts)
    assert FLAGGED_TEXT not in str(rows)


@needs_libreoffice
async def test_the_minutes_print_with_the_header_on_page_one_and_the_signatures(
    app, clock, tmp_path
):
    held = await hold_a_conference(app, clock)
    path = tmp_path / "bien-ban.docx"
    path.write_bytes(await make_minutes(app, held, clock))
    rendered = render(path, "minutes-vi")
    pages = rendered.pages
    assert 2 <= len(pages) <= 6, len(pages)
    first = pages[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first.text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG BÌNH AN" in first.text
    assert "BIÊN BẢN" in first.text
    for page in pages:
        assert abs(page.width - 21 * CM) < 2 and abs(page.height - 29.7 * CM) < 2
        assert not page.outside(3 * CM - 2, 2 * CM - 2, 1.2 * CM, 1.5 * CM)
    # The signatures on one page: both titles on a line, the names at least 2.5 cm below.
    [signed] = [p for p in pages if "THƯ KÝ" in p.text and "CHỦ TRÌ HỘI NGHỊ" in p.text]
    title_y = max(w.y0 for w in signed.words if w.text == "THƯ")
    name_y = max(w.y0 for w in signed.words if w.text == "Chủ" and w.y0 > title_y)
    assert name_y - title_y >= 2.5 * CM
    assert pytest.approx(title_y, abs=3) == max(w.y0 for w in signed.words if w.text == "CHỦ")


def test_a_question_from_the_floor_is_named_as_such_wherever_channels_are_listed():
    """Exports and pages name a question's channel; one typed in at the conference reads so."""
    from bot import i18n
    from bot.services.conference import FLOOR
    from bot.texts import channel_label

    with i18n.use_locale("vi"):
        assert channel_label(FLOOR) == "Tại hội nghị (thư ký nhập)"
    with i18n.use_locale("en"):
        assert channel_label(FLOOR) == "At the conference (typed in)"
