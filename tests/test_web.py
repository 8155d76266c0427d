"""The worker's web application over real HTTP on 127.0.0.1: the Telegram webhook refuses a
wrong secret (401, nothing processed) and answers a good update at once while it is handled;
the webhook is registered with the secret and the update types in use; /healthz and /metrics."""

from __future__ import annotations

import json

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.web import SECRET_HEADER, TELEGRAM_PATH, TelegramWebhook, build_web_app
from bot.web import register_telegram_webhook as register
from models import Account
from tests.support.webhook import SECRET, start_update


@pytest.fixture
async def served(app):
    metrics = app.metrics  # counted by the dispatcher's own middleware
    webhook = TelegramWebhook(app.dispatcher, app.bot, SECRET, app.sessionmaker)
    web_app = build_web_app(
        app.sessionmaker, metrics, telegram=webhook, scheduler_state=lambda: "running"
    )
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    async with httpx.AsyncClient(base_url=str(server.make_url("/"))) as client:
        yield client, webhook
    await server.close()


async def test_a_wrong_secret_is_refused_and_nothing_is_processed(app, served, telegram):
    client, webhook = served
    for headers in ({}, {SECRET_HEADER: "not-the-secret"}):
        response = await client.post(TELEGRAM_PATH, json=start_update(1), headers=headers)
        assert response.status_code == 401
    await webhook.wait_idle(5)
    assert telegram.sent_texts(777) == []
    async with app.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Account)) == 0


async def test_a_good_update_is_answered_then_handled(app, served, telegram):
    client, webhook = served
    response = await client.post(
        TELEGRAM_PATH, json=start_update(1), headers={SECRET_HEADER: SECRET}
    )
    assert response.status_code == 200
    await webhook.wait_idle(10)
    [welcome] = telegram.sent_texts(777)
    assert welcome.startswith("Đây là trợ lý tự động của UBND phường Bình An.")
    bad = await client.post(TELEGRAM_PATH, content=b"{not json", headers={SECRET_HEADER: SECRET})
    assert bad.status_code == 400


async def test_health_and_metrics(app, served):
    client, webhook = served
    health = await client.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["database"] == "ok" and body["scheduler"] == "running"
    assert body["last_update"] is None
    await client.post(TELEGRAM_PATH, json=start_update(5), headers={SECRET_HEADER: SECRET})
    await webhook.wait_idle(10)
    body = (await client.get("/healthz")).json()
    assert body["last_update"] is not None and body["updates_in_flight"] == 0
    page = (await client.get("/metrics")).text
    assert 'doithoai_updates_total{channel="telegram",type="message"} 1.0' in page
    assert 'doithoai_handler_seconds_count{channel="telegram"} 1.0' in page
    assert 'doithoai_deliveries{status="pending"} 0.0' in page
    assert "doithoai_open_dialogs 0.0" in page


async def test_the_webhook_is_registered_with_the_secret_and_the_update_types(app, telegram):
    telegram.calls.clear()
    await register(app.bot, app.dispatcher, "https://bot.phuong.gov.vn/", SECRET)
    [(_name, form)] = [c for c in telegram.calls if c[0] == "setWebhook"]
    assert form["url"] == "https://bot.phuong.gov.vn" + TELEGRAM_PATH
    assert form["secret_token"] == SECRET
    assert set(json.loads(form["allowed_updates"])) >= {"message", "callback_query"}
    assert form.get("drop_pending_updates") in (None, "false", "False")
