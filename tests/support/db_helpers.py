"""Reading what the bot stored, for assertions on rows."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from models import Account, Answer, Consent, Resident, SurveyResponse


async def count(app: App, model) -> int:
    async with app.sessionmaker() as db:
        return await db.scalar(select(func.count()).select_from(model))


async def counts(app: App) -> dict[str, int]:
    return {
        "residents": await count(app, Resident),
        "accounts": await count(app, Account),
        "consents": await count(app, Consent),
        "responses": await count(app, SurveyResponse),
        "answers": await count(app, Answer),
    }


async def responses(app: App) -> list[SurveyResponse]:
    async with app.sessionmaker() as db:
        return list(
            (await db.execute(select(SurveyResponse).order_by(SurveyResponse.id))).scalars()
        )


async def answers(app: App, response_id: int) -> dict[str, tuple[str | None, float | None]]:
    async with app.sessionmaker() as db:
        rows = await db.execute(
            select(Answer.question, Answer.value, Answer.score).where(
                Answer.response_id == response_id
            )
        )
        return {q: (v, s) for q, v, s in rows.all()}


async def consents(app: App) -> list[tuple[str, bool, str, str]]:
    async with app.sessionmaker() as db:
        rows = await db.execute(
            select(
                Consent.purpose, Consent.given, Consent.notice_version, Consent.channel
            ).order_by(Consent.id)
        )
        return [tuple(row) for row in rows.all()]


async def rows_of(db, model) -> list:
    """Every stored row of a model, in id order."""
    return list((await db.execute(select(model).order_by(model.id))).scalars())
