"""Zalo update bodies become channel-neutral Inbound messages; the polling loop delivers them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.channels.zalo.client import ZaloAPIError, ZaloClient
from bot.channels.zalo.polling import poll_updates
from bot.channels.zalo.updates import RecentIds, parse_update, unwrap
from bot.conversation.inbound import Inbound, Kind
from tests.support.fake_zalo import TOKEN, FakeZalo

USER = "a3c5e7f9b1d3f5a7c9e1"


def message(**fields: Any) -> dict[str, Any]:
    """A private message from USER as documented, with `fields` added or replaced."""
    base: dict[str, Any] = {
        "message_id": "9f41c0d2b7e64a1c3d58",
        "date": 1767600000123,
        "from": {"id": USER, "display_name": "Trần Thị Bình", "is_bot": False},
        "chat": {"id": USER, "chat_type": "PRIVATE"},
    }
    return base | fields


def wrapped(event_name: str, **fields: Any) -> dict[str, Any]:
    return {"ok": True, "result": {"event_name": event_name, "message": message(**fields)}}


# -- parse_update ----------------------------------------------------------------------------------


def test_wrapped_text_message() -> None:
    body = wrapped("message.text.received", text="Cho tôi hỏi thủ tục khai sinh?")

    assert parse_update(body) == Inbound(
        channel="zalo",
        chat_id=USER,
        user_id=USER,
        kind=Kind.TEXT,
        text="Cho tôi hỏi thủ tục khai sinh?",
        message_id="9f41c0d2b7e64a1c3d58",
        display_name="Trần Thị Bình",
        photo_url=None,
        sent_at=datetime(2026, 1, 5, 8, 0, 0, 123000, tzinfo=UTC),
        is_group=False,
    )


def test_flat_body_parses_like_the_wrapped_one() -> None:
    body = wrapped("message.text.received", text="Xin chào")

    assert unwrap(body) is body["result"]
    assert unwrap(body["result"]) is body["result"]
    assert parse_update(body["result"]) == parse_update(body)


def test_result_that_is_not_an_object_means_a_flat_body() -> None:
    body = {"result": None, "event_name": "message.text.received", "message": message(text="hi")}

    inbound = parse_update(body)

    assert inbound is not None and inbound.text == "hi"


def test_image_reads_photo_url_first_and_the_caption_as_text() -> None:
    both = wrapped(
        "message.image.received",
        photo_url="https://img.example/live.jpg",
        photo="https://img.example/doc.jpg",
        caption="Biên nhận hồ sơ",
    )
    inbound = parse_update(both)
    assert inbound is not None
    assert inbound.kind is Kind.IMAGE
    assert inbound.photo_url == "https://img.example/live.jpg"
    assert inbound.text == "Biên nhận hồ sơ"


def test_image_falls_back_to_the_documented_photo_field() -> None:
    inbound = parse_update(wrapped("message.image.received", photo="https://img.example/doc.jpg"))

    assert inbound is not None
    assert inbound.photo_url == "https://img.example/doc.jpg"
    assert inbound.text is None


@pytest.mark.parametrize(
    ("event_name", "kind"),
    [
        ("message.sticker.received", Kind.STICKER),
        ("message.voice.received", Kind.VOICE),
        ("message.unsupported.received", Kind.UNSUPPORTED),
        ("message.something_new.received", Kind.UNSUPPORTED),
    ],
)
def test_other_events_carry_no_text(event_name: str, kind: Kind) -> None:
    body = wrapped(event_name, sticker="s1", url="https://sticker.example/s1.png", text="ignored")

    inbound = parse_update(body)

    assert inbound is not None
    assert inbound.kind is kind
    assert inbound.text is None
    assert inbound.photo_url is None


def test_text_event_without_text_is_unsupported() -> None:
    inbound = parse_update(wrapped("message.text.received"))

    assert inbound is not None and inbound.kind is Kind.UNSUPPORTED


def test_unsupported_event_without_message_is_dropped() -> None:
    assert (
        parse_update({"ok": True, "result": {"event_name": "message.unsupported.received"}}) is None
    )
    assert parse_update({"event_name": "message.unsupported.received"}) is None


def test_group_chat() -> None:
    body = wrapped(
        "message.text.received",
        text="@Bot cho hỏi",
        chat={"id": "group-7", "chat_type": "GROUP"},
    )

    inbound = parse_update(body)

    assert inbound is not None
    assert inbound.is_group
    assert inbound.chat_id == "group-7"
    assert inbound.user_id == USER


def test_messages_from_bots_are_dropped() -> None:
    body = wrapped("message.text.received", text="hi", **{"from": {"id": "b", "is_bot": True}})

    assert parse_update(body) is None


def test_a_private_chat_lends_its_id_to_a_missing_one() -> None:
    no_chat = wrapped("message.text.received", text="a", chat={})
    no_sender = wrapped("message.text.received", text="b", **{"from": {}})

    assert parse_update(no_chat).chat_id == USER
    assert parse_update(no_sender).user_id == USER


@pytest.mark.parametrize(
    "fields",
    [
        {"chat": {}, "from": {}},
        {"chat": {"id": ""}, "from": {"id": None}},
        {"chat": {"id": "group-7", "chat_type": "GROUP"}, "from": {}},
        {"chat": "oops", "from": ["not", "a", "dict"]},
    ],
)
def test_bodies_without_usable_ids_are_dropped(fields: dict[str, Any]) -> None:
    assert parse_update(wrapped("message.text.received", text="x", **fields)) is None


def test_numeric_ids_become_strings() -> None:
    body = wrapped(
        "message.text.received",
        text="x",
        message_id=12,
        chat={"id": 34, "chat_type": "PRIVATE"},
        **{"from": {"id": 34}},
    )

    inbound = parse_update(body)

    assert (inbound.chat_id, inbound.user_id, inbound.message_id) == ("34", "34", "12")


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (1767600000123, datetime(2026, 1, 5, 8, 0, 0, 123000, tzinfo=UTC)),
        ("1767600000123", datetime(2026, 1, 5, 8, 0, 0, 123000, tzinfo=UTC)),
        (1767600000, datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC)),  # seconds, just in case
        (None, None),
        ("yesterday", None),
        (True, None),
        (10**30, None),
    ],
)
def test_dates_are_epoch_milliseconds_in_utc(date: Any, expected: datetime | None) -> None:
    inbound = parse_update(wrapped("message.text.received", text="x", date=date))

    assert inbound is not None
    assert inbound.sent_at == expected
    if expected is not None:
        assert inbound.sent_at.tzinfo is UTC


@pytest.mark.parametrize("body", [None, [], "text", {}, {"ok": True}, {"message": "hi"}])
def test_malformed_bodies_are_dropped(body: Any) -> None:
    assert parse_update(body) is None


def test_recent_ids_forget_the_oldest() -> None:
    recent = RecentIds(size=2)

    assert not recent.is_repeat("a")
    assert not recent.is_repeat("b")
    assert recent.is_repeat("a")  # "a" is now the newest
    assert not recent.is_repeat("c")  # evicts "b"
    assert not recent.is_repeat("b")
    assert not recent.is_repeat(None) and not recent.is_repeat(None)
    assert len(recent) == 2


# -- polling ---------------------------------------------------------------------------------------


class Sleeps(list):
    async def __call__(self, delay: float) -> None:
        self.append(delay)
        await asyncio.sleep(0)  # still yield, as a real sleep would


class Handled(list):
    """A handler that records messages and sets `stop` once it has seen `until` of them."""

    def __init__(self, stop: asyncio.Event, until: int) -> None:
        super().__init__()
        self.stop, self.until = stop, until

    async def __call__(self, inbound: Inbound) -> None:
        self.append(inbound)
        if len(self) >= self.until:
            self.stop.set()


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    server = FakeZalo()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeZalo) -> AsyncIterator[ZaloClient]:
    async def no_sleep(delay: float) -> None:
        pass

    # No retries inside the client, so the polling loop's own backoff is what is tested.
    zalo = ZaloClient(TOKEN, fake.base_url, retries=0, sleep=no_sleep)
    yield zalo
    await zalo.aclose()


async def poll(client: ZaloClient, handle, stop: asyncio.Event, **options) -> None:
    options.setdefault("rng", lambda: 0.5)
    await asyncio.wait_for(poll_updates(client, handle, stop=stop, timeout=1, **options), 10)


async def test_polling_deletes_the_webhook_then_handles_updates(fake: FakeZalo, client) -> None:
    fake.webhook_url = "https://ward.example/zalo"  # getUpdates fails while one is set
    fake.push_text("u1", "một")
    fake.push_text("u2", "hai")
    stop = asyncio.Event()
    handled = Handled(stop, until=2)

    await poll(client, handled, stop)

    assert fake.calls[0][0] == "deleteWebhook"
    assert [(m.user_id, m.text) for m in handled] == [("u1", "một"), ("u2", "hai")]
    assert all(m.channel == "zalo" and m.kind is Kind.TEXT for m in handled)


async def test_idle_polls_loop_until_an_update_arrives(fake: FakeZalo, client) -> None:
    idle = {"ok": False, "error_code": 408, "description": "Request timeout"}
    fake.fail_next("getUpdates", 200, idle)  # the idle answer under either HTTP status
    fake.fail_next("getUpdates", 408, idle)
    fake.push_text("u1", "cuối cùng")
    stop = asyncio.Event()
    handled = Handled(stop, until=1)
    sleeps = Sleeps()

    await poll(client, handled, stop, min_idle=0, sleep=sleeps)

    assert [m for m, _ in fake.calls] == ["deleteWebhook", "getUpdates", "getUpdates", "getUpdates"]
    assert [m.text for m in handled] == ["cuối cùng"]
    assert sleeps == []  # idle answers are not errors


async def test_a_server_error_backs_off_and_polling_continues(fake: FakeZalo, client) -> None:
    fake.fail_next("getUpdates", 500, {"ok": False, "error_code": 500, "description": "oops"})
    fake.fail_next("getUpdates", 502, None)
    fake.push_text("u1", "vẫn nhận được")
    stop = asyncio.Event()
    handled = Handled(stop, until=1)
    sleeps = Sleeps()

    await poll(client, handled, stop, sleep=sleeps)

    assert sleeps == [1.0, 2.0]  # the backoff grows with consecutive failures
    assert [m.text for m in handled] == ["vẫn nhận được"]


async def test_a_repeated_message_id_is_handled_once(fake: FakeZalo, client) -> None:
    fake.push_text("u1", "một", message_id="same")
    fake.push_text("u1", "một", message_id="same")
    fake.push_text("u1", "hai", message_id="other")
    stop = asyncio.Event()
    handled = Handled(stop, until=2)

    await poll(client, handled, stop)

    assert [m.message_id for m in handled] == ["same", "other"]


async def test_a_failing_handler_does_not_stop_polling(fake: FakeZalo, client, caplog) -> None:
    fake.push_text("u1", "bí mật của cư dân")
    fake.push_text("u1", "tiếp")
    stop = asyncio.Event()
    seen: list[str] = []

    async def handle(inbound: Inbound) -> None:
        seen.append(inbound.text)
        if len(seen) == 1:
            raise RuntimeError("boom")
        stop.set()

    with caplog.at_level(logging.ERROR):
        await poll(client, handle, stop)

    assert seen == ["bí mật của cư dân", "tiếp"]
    assert "handler failed" in caplog.text
    assert "bí mật" not in caplog.text


async def test_bots_and_bare_events_are_skipped(fake: FakeZalo, client) -> None:
    fake.push_event("message.unsupported.received")
    fake.push_event(
        "message.text.received",
        message_id="b1",
        text="from a bot",
        chat={"id": "x"},
        **{"from": {"id": "x", "is_bot": True}},
    )
    fake.push_text("u1", "người thật")
    stop = asyncio.Event()
    handled = Handled(stop, until=1)

    await poll(client, handled, stop)

    assert [m.text for m in handled] == ["người thật"]


async def test_unauthorized_is_fatal(fake: FakeZalo, client) -> None:
    fake.fail_next(
        "getUpdates", 200, {"ok": False, "error_code": 401, "description": "Unauthorized"}
    )
    stop = asyncio.Event()

    with pytest.raises(ZaloAPIError) as caught:
        await poll(client, Handled(stop, until=1), stop)

    assert caught.value.code == 401


async def test_a_wrong_token_fails_at_delete_webhook(fake: FakeZalo) -> None:
    stop = asyncio.Event()
    async with ZaloClient("1:wrong", fake.base_url) as wrong:
        with pytest.raises(ZaloAPIError) as caught:
            await poll(wrong, Handled(stop, until=1), stop)
    assert caught.value.code == 401
    assert [method for method, _ in fake.calls] == ["deleteWebhook"]


async def test_instant_idle_answers_are_padded() -> None:
    requests: list[str] = []
    stop = asyncio.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        if len(requests) >= 4:
            stop.set()
        if request.url.path.endswith("deleteWebhook"):
            return httpx.Response(200, json={"ok": True, "result": {"url": ""}})
        return httpx.Response(200, json={"ok": False, "error_code": 408, "description": "timeout"})

    sleeps = Sleeps()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        zalo = ZaloClient(TOKEN, "https://zalo.test", http=http)
        await poll(zalo, Handled(stop, until=1), stop, sleep=sleeps)

    assert len(sleeps) >= 2
    assert all(0 < delay <= 1.0 for delay in sleeps)


async def test_stop_ends_a_long_poll_at_once() -> None:
    stop = asyncio.Event()
    polling = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("deleteWebhook"):
            return httpx.Response(200, json={"ok": True, "result": {"url": ""}})
        polling.set()
        await asyncio.Event().wait()  # a long poll that never answers
        raise AssertionError("unreachable")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        zalo = ZaloClient(TOKEN, "https://zalo.test", http=http)
        task = asyncio.create_task(poll_updates(zalo, Handled(stop, 1), stop=stop, timeout=30))
        await asyncio.wait_for(polling.wait(), 5)
        stop.set()
        await asyncio.wait_for(task, 1)
