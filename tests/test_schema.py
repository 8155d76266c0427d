"""The schema: migrations match the models on SQLite and PostgreSQL, and the constraints the
survey relies on hold in the database itself, not only in code."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

import models
from bot import db as database
from bot.services import sessions
from models import Answer, DialogueSession, Resident, SurveyResponse


@pytest.fixture
async def migrated(empty_database_url):
    """A database migrated here by Alembic from nothing, not copied from the per-run template."""
    engine = database.create_engine(empty_database_url)
    await database.upgrade_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def engine(database_url):
    engine = database.create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_migrations_match_the_models(migrated):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, models.Base.metadata)

    async with migrated.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_migrations_downgrade_to_nothing_and_up_again(migrated, empty_database_url):
    def run(connection, target):
        config = database.alembic_config(empty_database_url)
        config.attributes["connection"] = connection
        (command.downgrade if target == "base" else command.upgrade)(config, target)

    async with migrated.begin() as connection:
        await connection.run_sync(run, "base")
    async with migrated.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert set(tables) <= {"alembic_version"}
    async with migrated.begin() as connection:
        await connection.run_sync(run, "head")


async def make_response(db, resident_id, session_id, status="submitted"):
    response = SurveyResponse(
        resident_id=resident_id,
        session_id=session_id,
        field="tp",
        status=status,
        channel="telegram",
    )
    db.add(response)
    await db.flush()
    return response


async def test_one_submitted_response_per_resident_session_and_field(engine):
    sm = database.create_sessionmaker(engine)
    async with sm() as db, db.begin():
        resident = Resident(locale="vi")
        session = DialogueSession(title="Hội nghị", status="planned")
        db.add_all([resident, session])
        await db.flush()
        await make_response(db, resident.id, session.id)
        await make_response(db, resident.id, session.id, status="draft")  # re-rating draft: fine
        with pytest.raises(IntegrityError):
            async with db.begin_nested():
                await make_response(db, resident.id, session.id)


async def test_one_answer_per_question_per_response(engine):
    sm = database.create_sessionmaker(engine)
    async with sm() as db, db.begin():
        resident = Resident(locale="vi")
        session = DialogueSession(title="Hội nghị", status="planned")
        db.add_all([resident, session])
        await db.flush()
        response = await make_response(db, resident.id, session.id)
        db.add(Answer(response_id=response.id, question="Q1", value="5", score=5))
        await db.flush()
        with pytest.raises(IntegrityError):
            async with db.begin_nested():
                db.add(Answer(response_id=response.id, question="Q1", value="4", score=4))


async def test_answers_attach_to_the_open_then_the_next_planned_session(engine, settings):
    sm = database.create_sessionmaker(engine)
    now = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)
    async with sm() as db, db.begin():
        later = DialogueSession(
            title="Tháng 6", starts_at=datetime(2026, 6, 20, 1, 0, tzinfo=UTC), status="planned"
        )
        sooner = DialogueSession(
            title="Tháng 5", starts_at=datetime(2026, 5, 20, 1, 0, tzinfo=UTC), status="planned"
        )
        past = DialogueSession(
            title="Cũ", starts_at=datetime(2026, 1, 5, 1, 0, tzinfo=UTC), status="planned"
        )
        db.add_all([later, sooner, past])
        await db.flush()
        chosen = await sessions.session_for_answers(db, now, settings.zone, "vi")
        assert chosen.title == "Tháng 5"
        later.status = "open"
        await db.flush()
        assert (await sessions.session_for_answers(db, now, settings.zone, "vi")).title == "Tháng 6"


async def test_without_sessions_one_default_session_per_half_year(engine, settings):
    sm = database.create_sessionmaker(engine)
    # 2026-06-30 18:00 UTC is already 1 July in Hà Nội: the second half-year.
    now = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)

    async def pick() -> int:
        async with sm() as db, db.begin():
            return (await sessions.session_for_answers(db, now, settings.zone, "vi")).id

    ids = await asyncio.gather(pick(), pick(), pick())
    assert len(set(ids)) == 1
    async with sm() as db:
        [session] = (await db.execute(select(DialogueSession))).scalars().all()
        assert await db.scalar(select(func.count()).select_from(DialogueSession)) == 1
    assert session.title == "Hội nghị đối thoại tháng 11 năm 2026"
    assert session.period == "2026-H2" and session.starts_at is None and session.status == "planned"
