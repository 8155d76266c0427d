"""Rows to start a test or a benchmark from, built in one place instead of copied between files.

The survey seed (`store`, `figures_data`, `report_data`): responses of several fields from every
channel, drafts and another session that must never be counted, and questions in every status,
with the reference figures computed from the same rows in plain Python. The figures, report,
export, backup, /stats and console tests all start from it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.consent import Purpose
from models import (
    Account,
    Answer,
    Consent,
    DialogueSession,
    Resident,
    ResidentQuestion,
    SurveyResponse,
)
from models.residents import new_resident_key


async def opted_in_residents(db: AsyncSession, count: int, first_chat: int) -> None:
    """`count` residents on Telegram (chats first_chat, first_chat + 1, …) who agreed to
    reminders and announcements, inserted in three statements."""
    keys = [new_resident_key() for _ in range(count)]
    await db.execute(insert(Resident), [{"id": k, "locale": "vi"} for k in keys])
    await db.execute(
        insert(Account),
        [
            {"resident_id": k, "channel": "telegram", "external_id": str(first_chat + n)}
            for n, k in enumerate(keys)
        ],
    )
    await db.execute(
        insert(Consent),
        [
            {
                "resident_id": k,
                "purpose": Purpose.REMINDERS,
                "given": True,
                "notice_version": "2026-01",
                "channel": "telegram",
            }
            for k in keys
        ],
    )


# --- the survey seed ---------------------------------------------------------------------------

# Written out from domain.md §2.2–2.4, not read from the survey definition.
ITEMS = ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"]
ELEMENTS = [("Q1", "Q2"), ("Q3",), ("Q4", "Q5"), ("Q6",), ("Q7",)]
S5_SCORES = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
O1_POINTS = {"vs": 2, "s": 1, "ns": 0}
M1_OPTIONS = ["info", "prem", "skill", "attit", "online", "time", "fb"]
SKIP = object()  # no answer row at all


@dataclass
class Row:
    resident: int | None  # index into the residents; None for paper
    session: str  # "main" or "other"
    field: str
    status: str
    channel: str
    answers: dict[str, str | None]


def make_rows() -> list[Row]:
    rng = random.Random(20261126)
    rows: list[Row] = []

    def answers() -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for code in ITEMS:
            value = rng.choice(["1", "2", "3", "3", "4", "4", "5", "5", "na", None, SKIP])
            if value is not SKIP:
                result[code] = value
        o1 = rng.choice(["vs", "s", "s", "ns", None, SKIP])
        if o1 is not SKIP:
            result["O1"] = o1
        m1 = rng.choice([0, 1, 2, 3, 3, -1])
        if m1 > 0:
            result["M1"] = " ".join(rng.sample(M1_OPTIONS, m1))
        elif m1 == 0:
            result["M1"] = None
        result["C2"] = "yes"
        result["F1"] = "Mong phường giải quyết nhanh hơn."
        return result

    channels = ["telegram", "zalo", "console"]
    for i in range(10):  # dc: ten chat residents, a few paper forms
        rows.append(Row(i, "main", "dc", "submitted", channels[i % 3], answers()))
    for _ in range(4):
        rows.append(Row(None, "main", "dc", "submitted", "paper", answers()))
    for i, channel in enumerate(("zalo", "web")):  # tp: a small cell
        rows.append(Row(i, "main", "tp", "submitted", channel, answers()))
    rows.append(Row(None, "main", "tp", "submitted", "paper", answers()))
    # Drafts (also a draft re-rating beside a submitted response) and another session: never counted.
    for i in range(3):
        rows.append(Row(i, "main", "dc", "draft", "telegram", answers()))
    rows.append(Row(5, "main", "ca", "draft", "zalo", answers()))
    rows.append(Row(None, "main", "ca", "draft", "paper", answers()))
    for i in range(4):
        rows.append(Row(i, "other", "dc", "submitted", "telegram", answers()))
    # A sure neutral answer and a sure underscore-free multi value, so the checks below bite.
    rows[0].answers.update(Q1="3", M1="info time")
    return rows


def score_of(code: str, value: str | None) -> float | None:
    if code == "O1":
        return O1_POINTS.get(value)
    if code in ITEMS:
        return S5_SCORES.get(value)
    return None


SESSION_TITLE = "Hội nghị đối thoại với Nhân dân cuối năm 2026"
PLACE = "Hội trường UBND phường Bình An"
STARTS = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 08:30 in the ward
ANSWERED = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@dataclass
class Question:
    code: str
    field: str
    status: str
    text: str
    answer: str | None = None
    role: str | None = None
    rating: str | None = None
    hidden: bool = False
    session: str = "main"
    flagged: bool = False


REPORT_QUESTIONS = [
    Question(
        "KN-26-0001", "dc", "received", "Khi nào phường sửa đường Nguyễn Trãi? Đường hư hỏng nặng."
    ),
    Question(
        "KN-26-0002",
        "dc",
        "answered",
        "Thủ tục cấp Giấy chứng nhận quyền sử dụng đất mất bao lâu?",
        "Tối đa 30 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
        "official",
        "satisfied",
    ),
    Question(
        "KN-26-0003", "dc", "conference", "Đề nghị công khai lịch tiếp dân.\x0c", flagged=True
    ),
    Question(
        "KN-26-0004", "tp", "assigned", "Đăng ký khai sinh trực tuyến có cần nộp bản giấy không?"
    ),
    Question("KN-26-0005", "tp", "received", "Nội dung đã bị ẩn", hidden=True),
    Question(
        "KN-26-0006",
        "ca",
        "closed",
        "Người cao tuổi có được làm căn cước tại nhà không?",
        "Công an phường hỗ trợ làm căn cước tại nhà cho người cao tuổi, người khuyết tật.",
        "leader",
        "unsatisfied",
    ),
    Question("KN-26-0007", "dc", "received", "Câu hỏi của kỳ trước", session="other"),
]


def rows_with_police() -> list[Row]:
    """The figures' rows (dc, tp; paper and chat; drafts, another session) and a third
    field answered by Zalo and on paper."""
    rows = make_rows()
    patterns = [
        ("zalo", "5", "vs", "info fb"),
        ("zalo", "4", "s", "time"),
        ("paper", "3", "ns", "info"),
        ("paper", "na", "s", None),
        ("zalo", "2", "vs", "online time info"),
    ]
    for i, (channel, value, o1, m1) in enumerate(patterns):
        answers = {code: value for code in ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7")}
        answers["Q7"] = "na"  # a whole element without a valid answer: shown as "–"
        answers.update(C2="yes", O1=o1)
        if m1:
            answers["M1"] = m1
        rows.append(
            Row(i if channel != "paper" else None, "main", "ca", "submitted", channel, answers)
        )
    return rows


FIGURES_QUESTIONS = [
    Question("KN-26-0001", "dc", "received", "Khi nào sửa đường?"),
    Question("KN-26-0002", "dc", "received", "Khi nào sửa đường?"),
    Question("KN-26-0003", "dc", "answered", "Khi nào sửa đường?"),
    Question("KN-26-0004", "tp", "conference", "Khi nào sửa đường?"),
    Question("KN-26-0005", "tp", "received", "Khi nào sửa đường?", hidden=True),  # left out
]


async def store(
    app,
    clock: Callable[[], datetime],
    rows: list[Row],
    questions: list[Question],
    *,
    channel: str,
    first_chat: int,
    main: dict[str, Any] | None = None,
) -> dict[str, int]:
    """The rows and questions stored in three sessions (main, other, empty) by ten residents
    with accounts on `channel`; the sessions' ids by name."""
    async with app.sessionmaker() as db, db.begin():
        sessions = {
            "main": DialogueSession(
                **({"title": "Hội nghị tháng 12", "status": "open"} | (main or {}))
            ),
            "other": DialogueSession(title="Hội nghị tháng 6", status="closed"),
            "empty": DialogueSession(title="Hội nghị chưa có ai", status="planned"),
        }
        db.add_all(sessions.values())
        residents = [Resident(locale="vi", created_at=clock()) for _ in range(10)]
        db.add_all(residents)
        await db.flush()
        accounts = [
            Account(resident_id=r.id, channel=channel, external_id=str(first_chat + i))
            for i, r in enumerate(residents)
        ]
        db.add_all(accounts)
        await db.flush()
        for row in rows:
            response = SurveyResponse(
                resident_id=None if row.resident is None else residents[row.resident].id,
                session_id=sessions[row.session].id,
                field=row.field,
                status=row.status,
                channel=row.channel,
                created_at=clock(),
                submitted_at=clock() if row.status == "submitted" else None,
            )
            response.answers = [
                Answer(question=code, value=value, score=score_of(code, value), answered_at=clock())
                for code, value in row.answers.items()
            ]
            db.add(response)
        for n, q in enumerate(questions):
            db.add(
                ResidentQuestion(
                    code=q.code,
                    resident_id=residents[n].id,
                    account_id=accounts[n].id,
                    session_id=sessions[q.session].id,
                    field=q.field,
                    text=q.text,
                    language="vi",
                    named=False,
                    channel=channel,
                    status=q.status,
                    hidden=q.hidden,
                    complaint_flag=q.flagged,
                    answer_text=q.answer,
                    answered_at=ANSWERED if q.answer else None,
                    answered_role=q.role,
                    answer_rating=q.rating,
                    created_at=clock(),
                )
            )
    return {name: s.id for name, s in sessions.items()}


async def figures_data(app, clock) -> tuple[list[Row], dict[str, int], list[tuple[str, str, bool]]]:
    """Two fields (dc, tp) answered on Telegram, Zalo, the console and paper; five questions."""
    rows = make_rows()
    ids = await store(app, clock, rows, FIGURES_QUESTIONS, channel="telegram", first_chat=600)
    return rows, ids, [(q.field, q.status, q.hidden) for q in FIGURES_QUESTIONS]


async def report_data(app, clock) -> tuple[list[Row], dict[str, int]]:
    """The figures' rows and a third field (ca), in a session with a date and a place; the
    questions of REPORT_QUESTIONS, answered, rated, flagged and hidden."""
    rows = rows_with_police()
    main = {"title": SESSION_TITLE, "starts_at": STARTS, "place": PLACE}
    ids = await store(app, clock, rows, REPORT_QUESTIONS, channel="zalo", first_chat=700, main=main)
    return rows, ids


# --- reference figures, computed from the seeded rows in plain Python ---------------------------


def counted(rows: list[Row], field: str | None = None, channel: str | None = None) -> list[Row]:
    return [
        r
        for r in rows
        if r.session == "main"
        and r.status == "submitted"
        and (field is None or r.field == field)
        and (channel is None or r.channel == channel)
    ]


def reference_scale(rows: list[Row], codes, satisfied_from: int) -> dict:
    scores = [S5_SCORES[r.answers[c]] for r in rows for c in codes if r.answers.get(c) in S5_SCORES]
    n = len(scores)
    return {
        "n": n,
        "mean": sum(scores) / n if n else None,
        "satisfied_pct": 100 * sum(s >= satisfied_from for s in scores) / n if n else None,
        "dissatisfied_pct": 100 * sum(s <= 2 for s in scores) / n if n else None,
        "neutral_pct": 100 * sum(s == 3 for s in scores) / n if n else None,
        "small": n < 5,
    }


def assert_stats(figure, expected: dict) -> None:
    assert figure.n == expected["n"]
    assert figure.small == expected["small"]
    for name in ("mean", "satisfied_pct", "dissatisfied_pct", "neutral_pct"):
        value, want = getattr(figure, name), expected[name]
        assert (value is None) == (want is None), name
        if want is not None:
            assert value == pytest.approx(want), (figure, name)
