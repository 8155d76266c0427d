"""A paper file is stored in short transactions (bot/services/paper_answers.py), yet seen whole
or not at all: an import whose process dies half-way is never counted, its form numbers are not
taken for good, and start-up removes what it left so the same file can be sent again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.exports.paper_template import paper_template
from bot.exports.rows import responses_select
from bot.services import figures, paper_answers
from bot.services.figures import Scope
from models import Answer, PaperFileImport
from tests.support.paper import TYPED, fill, paper_rows


async def count(app, stmt) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(stmt.subquery()))


async def paper_figures(app, session_id: int) -> int:
    async with app.sessionmaker() as db:
        per_channel = await figures.responses_by_field_channel(db, session_id)
    return sum(channels.get("paper", 0) for channels in per_channel.values())


async def test_an_import_that_dies_half_way_is_never_counted_and_is_removed_at_start_up(
    app,
    data,
    tmp_path,
    clock,
    monkeypatch,
):
    _rows, ids, _ = data
    session_id = ids["main"]
    path = tmp_path / "phieu.xlsx"
    path.write_bytes(fill(paper_template(app.survey), TYPED))  # 5 forms
    chat_and_paper = await paper_figures(app, session_id)  # the fixture's paper answers
    exported = await count(app, responses_select(Scope(session_id=session_id), ["Q1"]))
    answers = await count(app, select(Answer))
    monkeypatch.setattr(paper_answers, "BATCH", 2)  # three transactions
    store = paper_answers._store
    batches = 0
    died = asyncio.Event()

    async def store_until_killed(*args) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:  # two batches committed; the process is killed here
            died.set()
            await asyncio.Future()  # nothing after this point ever runs
        await store(*args)

    monkeypatch.setattr(paper_answers, "_store", store_until_killed)
    dead = asyncio.create_task(
        paper_answers.import_paper_file(app.sessionmaker, app.survey, path, session_id, clock())
    )
    await died.wait()
    monkeypatch.setattr(paper_answers, "_store", store)

    # Four forms are in the database, but no figure or export counts them.
    assert len(await paper_rows(app)) == 4
    assert await count(app, select(Answer)) > answers
    assert await paper_figures(app, session_id) == chat_and_paper
    assert await count(app, responses_select(Scope(session_id=session_id), ["Q1"])) == exported
    # Sent again meanwhile: refused whole, nothing more stored.
    again = await paper_answers.import_paper_file(
        app.sessionmaker, app.survey, path, session_id, clock(), locale="en"
    )
    assert [str(p) for p in again.problems] == [
        "Some of these forms were imported a moment ago. Please check and retry."
    ]
    assert len(await paper_rows(app)) == 4

    # Start-up: a recent import may belong to a live process (another worker, the command
    # line) and is left alone; once untouched for STALE_AFTER it is removed, answers included.
    assert await paper_answers.clean_unfinished_imports(app.sessionmaker) == 0
    monkeypatch.setattr(paper_answers, "STALE_AFTER", timedelta(0))
    assert await paper_answers.clean_unfinished_imports(app.sessionmaker) == 1
    assert await paper_rows(app) == []
    assert await count(app, select(PaperFileImport)) == 0
    assert await count(app, select(Answer)) == answers  # theirs went with them

    # The same file now stores whole, and every figure counts it.
    result = await paper_answers.import_paper_file(
        app.sessionmaker, app.survey, path, session_id, clock()
    )
    assert (result.ok, result.stored) == (True, 5)
    rows = await paper_rows(app)
    assert [(r.status, r.submitted_at) for r in rows] == [("submitted", clock())] * 5
    assert await paper_figures(app, session_id) == chat_and_paper + 5
    assert await count(app, responses_select(Scope(session_id=session_id), ["Q1"])) == exported + 5
    async with app.sessionmaker() as db:
        [stored] = (await db.execute(select(PaperFileImport))).scalars()
    assert (stored.status, stored.forms) == ("stored", 5)
    # Nothing the dead import's cleanup might still do touches a stored file.
    assert await paper_answers.clean_unfinished_imports(app.sessionmaker) == 0
    dead.cancel()
    await asyncio.gather(dead, return_exceptions=True)
    assert len(await paper_rows(app)) == 5
