"""Survey figures against an independent computation in plain Python over the inserted rows,
on SQLite and PostgreSQL: drafts, other sessions, "not applicable" and skipped answers left out;
paper forms counted like chat answers."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import pytest

from bot.services import figures
from models import Account, Answer, DialogueSession, Resident, ResidentQuestion, SurveyResponse

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
    for i in range(2):  # tp: a small cell
        rows.append(Row(i, "main", "tp", "submitted", "zalo", answers()))
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


@pytest.fixture
async def data(app, clock):
    rows = make_rows()
    async with app.sessionmaker() as db, db.begin():
        sessions = {
            "main": DialogueSession(title="Hội nghị tháng 12", status="open"),
            "other": DialogueSession(title="Hội nghị tháng 6", status="closed"),
            "empty": DialogueSession(title="Hội nghị chưa có ai", status="planned"),
        }
        db.add_all(sessions.values())
        residents = [Resident(locale="vi", created_at=clock()) for _ in range(10)]
        db.add_all(residents)
        await db.flush()
        accounts = [
            Account(resident_id=r.id, channel="telegram", external_id=str(600 + i))
            for i, r in enumerate(residents)
        ]
        db.add_all(accounts)
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
        await db.flush()
        questions = [
            ("dc", "received", False),
            ("dc", "received", False),
            ("dc", "answered", False),
            ("tp", "conference", False),
            ("tp", "received", True),  # hidden: left out
        ]
        for n, (field, status, hidden) in enumerate(questions):
            db.add(
                ResidentQuestion(
                    code=f"KN-26-{n + 1:04d}",
                    resident_id=residents[n].id,
                    account_id=accounts[n].id,
                    session_id=sessions["main"].id,
                    field=field,
                    text="Khi nào sửa đường?",
                    language="vi",
                    named=False,
                    channel="telegram",
                    status=status,
                    hidden=hidden,
                )
            )
    ids = {name: s.id for name, s in sessions.items()}
    return rows, ids, questions


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


async def test_responses_by_field_channel(app, data):
    rows, ids, _ = data
    expected: dict[str, dict[str, int]] = {}
    for r in counted(rows):
        expected.setdefault(r.field, Counter())[r.channel] += 1
    async with app.sessionmaker() as db:
        got = await figures.responses_by_field_channel(db, ids["main"])
    assert got == {field: dict(c) for field, c in expected.items()}
    assert got["dc"]["paper"] == 4 and "ca" not in got


@pytest.mark.parametrize("neutral", [False, True])
async def test_item_figures(app, data, neutral):
    rows, ids, _ = data
    threshold = 3 if neutral else 4
    async with app.sessionmaker() as db:
        per_field = await figures.item_figures(
            db, app.survey, ids["main"], neutral_counts_as_satisfied=neutral
        )
        overall = await figures.item_figures(
            db, app.survey, ids["main"], by_field=False, neutral_counts_as_satisfied=neutral
        )
        zalo = await figures.item_figures(db, app.survey, ids["main"], channel="zalo")
    assert [(f.field, f.code) for f in per_field] == [(f, c) for f in ("dc", "tp") for c in ITEMS]
    for figure in per_field:
        assert_stats(figure, reference_scale(counted(rows, figure.field), [figure.code], threshold))
    assert [(f.field, f.code) for f in overall] == [(None, c) for c in ITEMS]
    for figure in overall:
        assert_stats(figure, reference_scale(counted(rows), [figure.code], threshold))
    for figure in zalo:
        assert_stats(figure, reference_scale(counted(rows, figure.field, "zalo"), [figure.code], 4))
    # Small cells flagged, large ones not; the data set has both.
    assert {f.small for f in per_field} == {True, False}
    assert all(f.small for f in per_field if f.field == "tp")


async def test_neutral_setting_flips_satisfied_share(app, data):
    _, ids, _ = data
    async with app.sessionmaker() as db:
        strict = await figures.item_figures(db, app.survey, ids["main"], by_field=False)
        lenient = await figures.item_figures(
            db, app.survey, ids["main"], by_field=False, neutral_counts_as_satisfied=True
        )
    q1_strict, q1_lenient = strict[0], lenient[0]
    assert q1_strict.code == q1_lenient.code == "Q1"
    assert q1_strict.neutral_pct > 0
    assert q1_lenient.satisfied_pct == pytest.approx(
        q1_strict.satisfied_pct + q1_strict.neutral_pct
    )
    assert q1_lenient.dissatisfied_pct == q1_strict.dissatisfied_pct


async def test_element_figures_pool_items(app, data):
    rows, ids, _ = data
    async with app.sessionmaker() as db:
        per_field = await figures.element_figures(db, app.survey, ids["main"])
        overall = await figures.element_figures(db, app.survey, ids["main"], by_field=False)
    assert [(f.field, f.codes) for f in per_field] == [
        (f, e) for f in ("dc", "tp") for e in ELEMENTS
    ]
    assert per_field[0].element.en == "Access to the service"
    for figure in per_field:
        assert_stats(figure, reference_scale(counted(rows, figure.field), figure.codes, 4))
    for figure in overall:
        assert_stats(figure, reference_scale(counted(rows), figure.codes, 4))


async def test_overall_rating(app, data):
    rows, ids, _ = data

    def reference(selected: list[Row]) -> dict:
        counts = Counter(r.answers.get("O1") for r in selected)
        per_option = {code: counts[code] for code in O1_POINTS}
        n = sum(per_option.values())
        return {
            "n": n,
            "counts": per_option,
            "satisfied_pct": 100 * (per_option["vs"] + per_option["s"]) / n if n else None,
            "mean_points": sum(O1_POINTS[c] * k for c, k in per_option.items()) / n if n else None,
        }

    async with app.sessionmaker() as db:
        per_field = await figures.overall_rating(db, app.survey, ids["main"])
        overall = await figures.overall_rating(db, app.survey, ids["main"], by_field=False)
    assert [f.field for f in per_field] == ["dc", "tp"]
    assert [f.field for f in overall] == [None]
    for figure in [*per_field, *overall]:
        want = reference(counted(rows, figure.field))
        assert figure.code == "O1"
        assert figure.n == want["n"] and figure.counts == want["counts"]
        assert figure.small == (want["n"] < 5)
        assert figure.satisfied_pct == pytest.approx(want["satisfied_pct"])
        assert figure.mean_points == pytest.approx(want["mean_points"])


async def test_multi_choice_shares(app, data):
    rows, ids, _ = data

    def reference(selected: list[Row]) -> list[tuple[str, int, float | None]]:
        values = [r.answers.get("M1") for r in selected]
        answered = [v.split() for v in values if v]
        counts = {o: sum(o in chosen for chosen in answered) for o in M1_OPTIONS}
        ranked = sorted(M1_OPTIONS, key=lambda o: (-counts[o], M1_OPTIONS.index(o)))
        total = len(answered)
        return [(o, counts[o], 100 * counts[o] / total if total else None) for o in ranked]

    async with app.sessionmaker() as db:
        shares = await figures.multi_choice_shares(db, app.survey, ids["main"], "M1")
        dc = await figures.multi_choice_shares(db, app.survey, ids["main"], "M1", field="dc")
        paper = await figures.multi_choice_shares(
            db, app.survey, ids["main"], "M1", channel="paper"
        )
        with pytest.raises(ValueError):
            await figures.multi_choice_shares(db, app.survey, ids["main"], "nope")
    for got, want in [
        (shares, reference(counted(rows))),
        (dc, reference(counted(rows, "dc"))),
        (paper, reference(counted(rows, channel="paper"))),
    ]:
        assert [(s.option, s.respondents) for s in got] == [(o, k) for o, k, _ in want]
        assert [s.share_pct for s in got] == pytest.approx([p for _, _, p in want])
    assert shares[0].respondents >= shares[-1].respondents


async def test_question_counts(app, data):
    _, ids, questions = data
    expected: dict[str, Counter] = {}
    for field, status, hidden in questions:
        if not hidden:
            expected.setdefault(field, Counter())[status] += 1
    async with app.sessionmaker() as db:
        got = await figures.question_counts(db, ids["main"])
    assert got == {field: dict(c) for field, c in expected.items()}


async def test_empty_session(app, data):
    _, ids, _ = data
    session_id = ids["empty"]
    async with app.sessionmaker() as db:
        assert await figures.responses_by_field_channel(db, session_id) == {}
        assert await figures.item_figures(db, app.survey, session_id) == []
        assert await figures.element_figures(db, app.survey, session_id) == []
        assert await figures.overall_rating(db, app.survey, session_id) == []
        assert await figures.question_counts(db, session_id) == {}
        items = await figures.item_figures(db, app.survey, session_id, by_field=False)
        (overall,) = await figures.overall_rating(db, app.survey, session_id, by_field=False)
        shares = await figures.multi_choice_shares(db, app.survey, session_id, "M1")
    assert [f.code for f in items] == ITEMS
    for figure in items:
        assert (figure.n, figure.mean, figure.satisfied_pct, figure.small) == (0, None, None, True)
    assert overall.n == 0 and overall.counts == {"vs": 0, "s": 0, "ns": 0}
    assert overall.satisfied_pct is None and overall.mean_points is None and overall.small
    assert [(s.option, s.respondents, s.share_pct) for s in shares] == [
        (o, 0, None) for o in M1_OPTIONS
    ]
