"""What anyone can post to the webhooks: bodies that are not the JSON object expected and a
secret header that is not UTF-8 are answered 400 (or 401/403, or 413 when too large), never 500,
never with a traceback, and the bot keeps serving; a Telegram update delivered again is not
handled twice, also by a second worker on the same database; the deliveries remembered for
that are forgotten after DEDUPE_WINDOW."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.app import build_scheduler
from bot.channels.zalo.webhook import SECRET_HEADER as ZALO_SECRET_HEADER
from bot.channels.zalo.webhook import add_webhook_route
from bot.web import SECRET_HEADER, TELEGRAM_PATH, TelegramWebhook, build_web_app
from models import InboundMessage, utcnow
from models.conversations import DEDUPE_WINDOW
from tests.support.webhook import (
    BAD_BODIES,
    NOT_UPDATES,
    SECRET,
    TEN_MEGABYTES,
    WELCOME,
    start_update,
)
from tests.support.zalo_webhook import Recorder, delivery

ZALO_PATH = "/zalo/hook-3f9a"
ZALO_SECRET = "webhook-secret-1234"

NOT_UTF8_SECRET = b"\xff\xfe" + SECRET.encode()


@pytest.fixture
async def served(app):
    """The worker's web application with both webhooks, over real HTTP on 127.0.0.1."""
    telegram_hook = TelegramWebhook(app.dispatcher, app.bot, SECRET, app.sessionmaker)
    web_app = build_web_app(app.sessionmaker, app.metrics, telegram=telegram_hook)
    zalo_handler = Recorder()
    zalo_hook = add_webhook_route(web_app, ZALO_PATH, ZALO_SECRET, zalo_handler)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    async with httpx.AsyncClient(base_url=str(server.make_url("/")), timeout=30) as client:
        yield client, telegram_hook, zalo_hook, zalo_handler
    await server.close()


def telegram_post(client: httpx.AsyncClient, body: bytes, secret: bytes | str = SECRET):
    headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
    return client.post(TELEGRAM_PATH, content=body, headers=headers)


def zalo_post(client: httpx.AsyncClient, body: bytes, secret: bytes | str = ZALO_SECRET):
    headers = {ZALO_SECRET_HEADER: secret, "Content-Type": "application/json"}
    return client.post(ZALO_PATH, content=body, headers=headers)


def tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    served, telegram, body, caplog
) -> None:
    client, telegram_hook, zalo_hook, zalo_handler = served

    to_telegram = await telegram_post(client, body)
    to_zalo = await zalo_post(client, body)
    await telegram_hook.wait_idle(10)
    await zalo_hook.wait_idle()

    assert (to_telegram.status_code, to_zalo.status_code) == (400, 400)
    assert to_zalo.json() == {"message": "Expected a JSON object"}
    assert telegram.calls == [] and zalo_handler.received == []
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("body", NOT_UPDATES.values(), ids=NOT_UPDATES.keys())
async def test_an_object_that_is_not_an_update_is_refused(
    app, served, telegram, body, caplog
) -> None:
    client, telegram_hook, zalo_hook, zalo_handler = served

    to_telegram = await telegram_post(client, body)
    to_zalo = await zalo_post(client, body)
    await telegram_hook.wait_idle(10)
    await zalo_hook.wait_idle()

    assert (to_telegram.status_code, to_zalo.status_code) == (400, 400)
    assert to_zalo.json() == {"message": "Expected a Zalo event"}
    assert telegram.calls == [] and zalo_handler.received == []
    async with app.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(InboundMessage)) == 0
    assert tracebacks(caplog) == []


async def test_ten_megabytes_are_refused_before_they_are_read(served, telegram, caplog) -> None:
    client, _telegram_hook, _zalo_hook, zalo_handler = served

    to_telegram = await telegram_post(client, TEN_MEGABYTES)
    to_zalo = await zalo_post(client, TEN_MEGABYTES)

    assert (to_telegram.status_code, to_zalo.status_code) == (413, 413)  # Payload Too Large
    assert telegram.calls == [] and zalo_handler.received == []
    assert tracebacks(caplog) == []


async def test_a_secret_header_that_is_not_utf8_is_refused(served, telegram, caplog) -> None:
    client, telegram_hook, zalo_hook, zalo_handler = served
    good = start_update(1)

    to_telegram = await client.post(
        TELEGRAM_PATH, json=good, headers={SECRET_HEADER: NOT_UTF8_SECRET}
    )
    to_zalo = await client.post(
        ZALO_PATH, json=delivery(), headers={ZALO_SECRET_HEADER: b"\xc3\x28" + b"secret"}
    )
    await telegram_hook.wait_idle(10)
    await zalo_hook.wait_idle()

    assert (to_telegram.status_code, to_zalo.status_code) == (401, 403)
    assert telegram.calls == [] and zalo_handler.received == []
    assert tracebacks(caplog) == []


async def test_after_all_of_that_the_bot_still_answers(served, telegram, caplog) -> None:
    client, telegram_hook, zalo_hook, zalo_handler = served
    for body in [*BAD_BODIES.values(), *NOT_UPDATES.values(), TEN_MEGABYTES]:
        assert (await telegram_post(client, body)).status_code in (400, 413)
        assert (await zalo_post(client, body)).status_code in (400, 413)

    telegram_answer = await client.post(
        TELEGRAM_PATH, json=start_update(9), headers={SECRET_HEADER: SECRET}
    )
    zalo_answer = await client.post(
        ZALO_PATH, json=delivery("Xin chào"), headers={ZALO_SECRET_HEADER: ZALO_SECRET}
    )
    await telegram_hook.wait_idle(10)
    await zalo_hook.wait_idle()

    assert (telegram_answer.status_code, zalo_answer.status_code) == (200, 200)
    [welcome] = telegram.sent_texts(777)
    assert welcome.startswith(WELCOME)
    assert [m.text for m in zalo_handler.received] == ["Xin chào"]
    assert tracebacks(caplog) == []


async def test_a_replayed_update_is_answered_once(app, served, telegram) -> None:
    client, telegram_hook, *_ = served
    headers = {SECRET_HEADER: SECRET}

    first = await client.post(TELEGRAM_PATH, json=start_update(41), headers=headers)
    await telegram_hook.wait_idle(10)
    again = await client.post(TELEGRAM_PATH, json=start_update(41), headers=headers)
    together = await asyncio.gather(
        *(client.post(TELEGRAM_PATH, json=start_update(41), headers=headers) for _ in range(5))
    )
    await telegram_hook.wait_idle(10)

    # Acknowledged each time (Telegram must stop resending), handled once.
    assert [r.status_code for r in (first, again, *together)] == [200] * 7
    assert len(telegram.sent_texts(777)) == 1
    next_update = await client.post(
        TELEGRAM_PATH, json=start_update(42, text="/help"), headers=headers
    )
    await telegram_hook.wait_idle(10)
    assert next_update.status_code == 200
    assert len(telegram.sent_texts(777)) == 2  # a new update id is handled as usual


async def test_a_replay_to_another_worker_on_the_same_database_is_not_handled(
    make_app, telegram
) -> None:
    first_worker, second_worker = await make_app(), await make_app()
    hooks = [
        TelegramWebhook(worker.dispatcher, worker.bot, SECRET, worker.sessionmaker)
        for worker in (first_worker, second_worker)
    ]
    servers = [
        TestServer(build_web_app(w.sessionmaker, w.metrics, telegram=h))
        for w, h in zip((first_worker, second_worker), hooks, strict=True)
    ]
    for server in servers:
        await server.start_server()
    try:
        for server in servers:
            async with httpx.AsyncClient(base_url=str(server.make_url("/"))) as client:
                response = await client.post(
                    TELEGRAM_PATH, json=start_update(77), headers={SECRET_HEADER: SECRET}
                )
                assert response.status_code == 200
        for hook in hooks:
            await hook.wait_idle(10)
    finally:
        for server in servers:
            await server.close()

    [welcome] = telegram.sent_texts(777)
    assert welcome.startswith(WELCOME)


async def test_deliveries_are_forgotten_after_the_window(app, tmp_path) -> None:
    now = utcnow()
    async with app.sessionmaker() as db, db.begin():
        db.add_all(
            [
                InboundMessage(
                    channel="telegram",
                    message_id="42:1",
                    received_at=now - DEDUPE_WINDOW - timedelta(minutes=1),
                ),
                InboundMessage(
                    channel="zalo", message_id="old", received_at=now - timedelta(days=30)
                ),
                InboundMessage(
                    channel="zalo", message_id="recent", received_at=now - timedelta(hours=1)
                ),
            ]
        )

    instance = build_scheduler(app, export_dir=tmp_path / "exports")
    try:
        await instance.start()  # the prune job runs at start, then every hour
        await instance.run_due()
        pruning = instance.aps.get_job("prune", "memory")
    finally:
        await instance.stop()

    async with app.sessionmaker() as db:
        kept = (await db.scalars(select(InboundMessage.message_id))).all()
    assert kept == ["recent"]
    assert pruning is not None and pruning.trigger.interval == timedelta(hours=1)


async def test_zalo_ids_longer_than_the_database_holds_are_not_taken(served, caplog) -> None:
    client, _telegram_hook, zalo_hook, zalo_handler = served
    overlong_sender = delivery(message_id="m-1")
    overlong_sender["result"]["message"]["from"]["id"] = "u" * 65
    overlong_sender["result"]["message"]["chat"]["id"] = "u" * 65
    overlong_message_id = delivery("Xin chào", message_id="m" * 65)

    answers = [
        await zalo_post(client, json.dumps(body).encode())
        for body in (overlong_sender, overlong_message_id)
    ]
    await zalo_hook.wait_idle()

    assert [r.status_code for r in answers] == [200, 200]  # acknowledged: Zalo must not resend
    [handled] = zalo_handler.received  # nobody to answer in the first; the second, undeduped
    assert handled.text == "Xin chào" and handled.message_id is None
    assert tracebacks(caplog) == []
