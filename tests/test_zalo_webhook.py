"""The Zalo webhook route: secret check, parsing, dropping repeats, 200 at once, work in background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.zalo.webhook import SECRET_HEADER, ZaloWebhook, add_webhook_route
from bot.conversation.inbound import Inbound, Kind
from tests.support.zalo_webhook import USER, Recorder, delivery

PATH = "/zalo/hook-3f9a"
SECRET = "webhook-secret-1234"


@pytest.fixture
def handler() -> Recorder:
    return Recorder()


@pytest.fixture
async def served(handler: Recorder) -> AsyncIterator[tuple[TestClient, ZaloWebhook]]:
    app = web.Application()
    webhook = add_webhook_route(app, PATH, SECRET, handler)
    async with TestClient(TestServer(app)) as client:
        yield client, webhook


async def post(client: TestClient, body: Any, secret: str | None = SECRET):
    """POST `body` (JSON, or raw bytes sent as if they were JSON) with the secret header."""
    headers = {} if secret is None else {SECRET_HEADER: secret}
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
        return await client.post(PATH, data=body, headers=headers)
    return await client.post(PATH, json=body, headers=headers)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-1234", SECRET + "x", "bí mật"])
async def test_a_wrong_or_missing_secret_is_refused(served, handler, secret, caplog) -> None:
    client, webhook = served
    caplog.set_level(logging.DEBUG)

    response = await post(client, delivery(), secret=secret)
    await webhook.wait_idle()

    assert response.status == 403
    assert handler.received == []
    assert SECRET not in caplog.text


async def test_the_secret_is_checked_before_the_body_is_read(served, handler) -> None:
    client, _ = served

    response = await post(client, b"{not json", secret="wrong-secret-1234")

    assert response.status == 403  # not 400: the body was never looked at


async def test_right_secret_answers_at_once_and_handles_in_background(served, handler) -> None:
    client, webhook = served
    handler.gate.clear()  # the handler cannot finish until the answer is in

    response = await post(client, delivery("Cho tôi hỏi thủ tục khai sinh?"))

    assert response.status == 200
    assert await response.json() == {"message": "Success"}
    assert handler.received == []
    assert webhook.busy == 1
    handler.gate.set()
    await webhook.wait_idle()
    [inbound] = handler.received
    assert inbound.channel == "zalo"
    assert inbound.kind is Kind.TEXT
    assert inbound.text == "Cho tôi hỏi thủ tục khai sinh?"
    assert inbound.chat_id == inbound.user_id == USER
    assert webhook.busy == 0


async def test_a_flat_body_is_accepted(served, handler) -> None:
    client, webhook = served

    response = await post(client, delivery()["result"])
    await webhook.wait_idle()

    assert response.status == 200
    assert len(handler.received) == 1


async def test_the_same_message_id_is_handled_once(served, handler) -> None:
    client, webhook = served

    first = await post(client, delivery(message_id="dup"))
    second = await post(client, delivery(message_id="dup"))
    other = await post(client, delivery(message_id="new"))
    await webhook.wait_idle()

    assert [r.status for r in (first, second, other)] == [200, 200, 200]
    assert [m.message_id for m in handler.received] == ["dup", "new"]


async def test_invalid_json_is_a_bad_request(served, handler) -> None:
    client, webhook = served

    broken = await post(client, b"{not json")
    not_an_object = await post(client, ["a", "list"])
    await webhook.wait_idle()

    assert broken.status == 400
    assert not_an_object.status == 400
    assert handler.received == []


async def test_events_without_a_message_are_acknowledged_and_ignored(served, handler) -> None:
    client, webhook = served

    response = await post(
        client, {"ok": True, "result": {"event_name": "message.unsupported.received"}}
    )
    await webhook.wait_idle()

    assert response.status == 200
    assert handler.received == []


async def test_a_failing_handler_is_logged_without_the_message_text(caplog) -> None:
    async def explode(inbound: Inbound) -> None:
        raise RuntimeError("database down")

    app = web.Application()
    webhook = add_webhook_route(app, PATH, SECRET, explode)
    async with TestClient(TestServer(app)) as client:
        with caplog.at_level(logging.ERROR):
            response = await post(client, delivery("số CCCD của tôi là 0790"))
            await webhook.wait_idle()

    assert response.status == 200
    assert "handler failed" in caplog.text
    assert "database down" in caplog.text
    assert "CCCD" not in caplog.text


async def test_shutdown_waits_for_handlers_in_flight() -> None:
    finished: list[str] = []

    async def slow(inbound: Inbound) -> None:
        await asyncio.sleep(0.05)
        finished.append(inbound.message_id)

    app = web.Application()
    add_webhook_route(app, PATH, SECRET, slow)
    async with TestClient(TestServer(app)) as client:
        response = await post(client, delivery(message_id="late"))
        assert response.status == 200
    # Closing the client shut the app down, which awaited the handler.
    assert finished == ["late"]


def test_an_empty_secret_is_refused() -> None:
    async def handle(inbound: Inbound) -> None:
        pass

    with pytest.raises(ValueError):
        ZaloWebhook("", handle)
