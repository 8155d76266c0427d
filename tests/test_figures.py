"""Survey figures against an independent computation in plain Python over the inserted rows,
on SQLite and PostgreSQL: drafts, other sessions, "not applicable" and skipped answers left out;
paper forms counted like chat answers."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.services import figures
from tests.support.seed import (
    ELEMENTS,
    ITEMS,
    M1_OPTIONS,
    O1_POINTS,
    Row,
    assert_stats,
    counted,
    reference_scale,
)

# `data`: the survey seed of tests/support/seed.py (figures_data), a fixture of conftest.py.


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
