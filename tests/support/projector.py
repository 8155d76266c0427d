"""The hall's projector link as the office makes it."""

from __future__ import annotations

from bot.services import projector


async def link_for(app, actor, session_id, now) -> str:
    async with app.sessionmaker() as db, db.begin():
        return await projector.projector_link(db, actor, session_id, now=now)
