"""The Figures page: what /stats shows, per session, as tables, with the chart; for leaders,
admins and the Front; an official is refused and the refusal audited."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from sqlalchemy import select

from bot.exports.summary import CHANNELS
from bot.services import staff as staff_service
from models import AuditEntry
from tests.support.reports import team
from tests.support.seed import counted, reference_scale
from tests.support.staff_chat import admin, person  # noqa: F401
from tests.support.web import serve_console, signed_in

LEADER, FRONT, OFFICIAL = 10, 11, 20
NOT_YOUR_ROLE = "Xin lỗi, vai trò của đồng chí không được phép thực hiện thao tác này."


class Tables(HTMLParser):
    """Each table of a page by id: its rows, each a list of the cells' text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


async def staff_ref(app, telegram_id: int):
    async with app.sessionmaker() as db:
        return await staff_service.find(db, telegram_id)


async def test_the_page_shows_what_stats_shows(app, clock, admin, person, data):
    rows, ids, questions = data
    await team(admin)
    leader = person(LEADER)
    await leader.send("/stats")
    stats = re.sub(r"</?b>", "", leader.last().text)

    leader_ref = await staff_ref(app, LEADER)
    async with serve_console(app, clock) as served, await signed_in(served, leader_ref) as client:
        page = await client.get("/staff/figures")
    assert page.status_code == 200
    html = page.text
    tables = Tables(html).tables
    assert "Hội nghị tháng 12" in html  # the open session by default

    # Responses per channel: the same totals as /stats' first line, and the seed's.
    main = counted(rows)
    channels = Counter(r.channel for r in main)
    head, *by_field, foot = tables["responses"]
    labels = {"telegram": "Telegram", "zalo": "Zalo", "paper": "Phiếu giấy"}
    labels["console"] = "Dùng thử trên máy tính"
    assert head[0] == "Lĩnh vực" and head[-1] == "Tổng" and len(head) == len(CHANNELS) + 2
    for channel, label in zip(CHANNELS, head[1:-1], strict=True):
        assert label == labels.get(channel, label)
    expected = [channels[c] for c in CHANNELS]
    assert foot == ["Tất cả lĩnh vực", *map(str, expected), str(len(main))]
    per_channel = " · ".join(
        f"{label} {n}" for label, n in zip(head[1:-1], foot[1:-1], strict=True)
    )
    assert f"Phiếu khảo sát: {len(main)} ({per_channel})" in stats
    assert [r[0] for r in by_field] == ["Địa chính (đất đai)", "Tư pháp – Hộ tịch"]

    # Each field's satisfaction and its elements: the very line /stats writes.
    head, *fields = tables["by-field"]
    element_names = [re.sub(r" \(.*\)$", "", h) for h in head[4:]]
    for name, satisfied, mean, responses, *elements in fields:
        line = f"• {name}: {satisfied} · {mean} · {responses}\n"
        elements_line = " · ".join(f"{e} {p}" for e, p in zip(element_names, elements, strict=True))
        assert line + "   " + elements_line + "\n" in stats
    dc = reference_scale(counted(rows, "dc"), ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"], 4)
    assert fields[0][1:4] == [
        f"{round(dc['satisfied_pct'])}%",
        f"{dc['mean']:.1f}".replace(".", ","),
        str(len(counted(rows, "dc"))),
    ]

    # The overall rating and every criterion, as /stats has them.
    overall = tables["overall"][-1]
    assert overall[0] == "Tất cả lĩnh vực"
    assert f"Đánh giá chung: {overall[1]} hài lòng · {overall[2]}/2 điểm (N={overall[3]})" in stats
    _head, *criteria = tables["criteria"]
    assert len(criteria) == 7
    for label, mean, satisfied, dissatisfied, _n in criteria:
        assert f"{label}: {mean} · {satisfied} · {dissatisfied}" in stats

    # Questions per field and status, and those awaiting an answer.
    assert f"Câu hỏi của người dân: {sum(not h for *_, h in questions)}" in stats
    assert re.search(r'id="total-questions">4<', html)
    dc_questions = next(r for r in tables["questions"] if r[0] == "Địa chính (đất đai)")
    assert "• Địa chính (đất đai): đã tiếp nhận 2, đã trả lời 1" in stats
    status_head = tables["questions"][0]
    assert dc_questions[status_head.index("đã tiếp nhận")] == "2"
    assert dc_questions[status_head.index("đã trả lời")] == "1"
    assert ["chưa phân công", "3"] in tables["pending"]
    assert "• chưa phân công: 3" in stats

    # The chart of the same figures.
    assert f'src="/staff/figures/chart.png?session={ids["main"]}"' in html


async def test_another_session_is_chosen_and_its_chart_served(app, clock, admin, person, data):
    _, ids, _ = data
    await team(admin)
    front = await staff_ref(app, FRONT)
    async with serve_console(app, clock) as served, await signed_in(served, front) as client:
        page = await client.get("/staff/figures", params={"session": ids["other"]})
        assert page.status_code == 200
        tables = Tables(page.text).tables
        assert "Hội nghị tháng 6" in page.text
        assert tables["responses"][-1][1] == "4"  # four Telegram responses
        options = re.findall(r'<option value="(\d+)"', page.text)
        assert {str(i) for i in ids.values()} <= set(options)
        chart = await client.get("/staff/figures/chart.png", params={"session": ids["other"]})
        assert chart.status_code == 200
        assert chart.headers["Content-Type"] == "image/png"
        assert chart.content.startswith(b"\x89PNG")
        empty = await client.get("/staff/figures", params={"session": ids["empty"]})
        assert "Chưa có phiếu khảo sát nào." in empty.text
        missing = await client.get("/staff/figures", params={"session": 999})
        assert missing.status_code == 404
        await client.get("/lang/en")
        english = await client.get("/staff/figures", params={"session": ids["main"]})
        assert "Overall rating" in english.text and "Land administration" in english.text


async def test_leaders_admins_and_the_front_read_it_an_official_is_refused(
    app,
    clock,
    admin,
    data,
):
    await team(admin)
    async with serve_console(app, clock) as served:
        for telegram_id in (1, LEADER, FRONT):
            async with await signed_in(served, await staff_ref(app, telegram_id)) as client:
                assert (await client.get("/staff/figures")).status_code == 200
        async with await signed_in(served, await staff_ref(app, OFFICIAL)) as client:
            page = await client.get("/staff/figures")
            assert page.status_code == 403
            assert NOT_YOUR_ROLE in page.text
            assert "Hội nghị tháng 12" not in page.text
            chart = await client.get("/staff/figures/chart.png")
            assert chart.status_code == 403
    async with app.sessionmaker() as db:
        stmt = select(AuditEntry).where(AuditEntry.action == "view_stats")
        refusals = [e for e in (await db.execute(stmt)).scalars() if not e.allowed]
    assert [e.actor_telegram_id for e in refusals] == [OFFICIAL, OFFICIAL]


async def test_one_scan_gives_the_figures_of_five(app, data):
    """The page's counts (collect) tally the answers once per (field, question) and add up;
    the result is what the five separate GROUP BYs give."""
    from bot.services import figures

    _, ids, _ = data
    for neutral in (False, True):
        async with app.sessionmaker() as db:
            scales = await figures.scale_figures(
                db, app.survey, ids["main"], neutral_counts_as_satisfied=neutral
            )
            options = {"neutral_counts_as_satisfied": neutral}
            survey, sid = app.survey, ids["main"]
            assert scales.items == await figures.item_figures(db, survey, sid, **options)
            assert scales.items_all == await figures.item_figures(
                db, survey, sid, by_field=False, **options
            )
            assert scales.per_field == await figures.field_figures(db, survey, sid, **options)
            assert scales.elements == await figures.element_figures(db, survey, sid, **options)
            assert scales.elements_all == await figures.element_figures(
                db, survey, sid, by_field=False, **options
            )
