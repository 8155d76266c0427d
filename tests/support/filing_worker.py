"""A process that files questions at once, for tests/test_tracking_codes.py: `python -m
tests.support.filing_worker DATABASE_URL SESSION_ID FIRST COUNT` files COUNT anonymous questions, from
the accounts with external ids FIRST, FIRST+1, …, each in its own transaction on the pool's
connections, all at once; prints "ready", files once a line comes on stdin (so that two such
processes file at the same moment), then prints each tracking code on a line."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from bot import db as database
from bot.services import questions
from models import Account

FILED_AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


async def file_one(sessionmaker, session_id: int, external_id: str) -> str:
    async with sessionmaker() as db, db.begin():
        account = (
            await db.execute(select(Account).where(Account.external_id == external_id))
        ).scalar_one()
        filed = await questions.file_question(
            db,
            resident_id=account.resident_id,
            account_id=account.id,
            session_id=session_id,
            field="tp",
            text=f"Câu hỏi của tài khoản {external_id}",
            language="vi",
            named=False,
            contact_name=None,
            contact_phone=None,
            complaint_flag=False,
            channel=account.channel,
            attachments=[],
            now=FILED_AT,
        )
        return filed.code


async def main(url: str, session_id: int, first: int, count: int) -> None:
    engine = database.create_engine(url)
    try:
        sessionmaker = database.create_sessionmaker(engine)
        async with sessionmaker() as db:  # connected before the start, like a running worker
            await db.execute(select(1))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        codes = await asyncio.gather(
            *(file_one(sessionmaker, session_id, str(first + n)) for n in range(count))
        )
    finally:
        await engine.dispose()
    print("\n".join(codes))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
