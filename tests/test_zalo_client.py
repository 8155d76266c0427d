"""The Zalo client against scripted envelopes (httpx.MockTransport) and the fake server over HTTP,
plus the text splitter it uses for long replies."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from bot.channels.text import split_text
from bot.channels.zalo.client import NETWORK_ERROR, ZaloAPIError, ZaloClient, quiet_http_logs
from tests.support.fake_zalo import TOKEN, FakeZalo

BASE = "https://zalo.test"


class Sleeps(list):
    """An injected sleep that only records the delays asked for."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


def scripted(*answers: httpx.Response | Exception) -> tuple[httpx.MockTransport, list]:
    """A transport that plays `answers` in order (the last one repeats) and records requests."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = answers[min(len(requests), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), requests


def ok(result: object = None) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": result})


def failed(code: int, description: str = "error", status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, json={"ok": False, "error_code": code, "description": description}
    )


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make_client(sleeps: Sleeps) -> AsyncIterator[Callable[..., ZaloClient]]:
    """Clients on a MockTransport, with a recording sleep and jitter fixed at its midpoint."""
    http_clients: list[httpx.AsyncClient] = []

    def make(transport: httpx.MockTransport, **options) -> ZaloClient:
        http = httpx.AsyncClient(transport=transport)
        http_clients.append(http)
        return ZaloClient(TOKEN, BASE, http=http, sleep=sleeps, rng=lambda: 0.5, **options)

    yield make
    for http in http_clients:
        await http.aclose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    server = FakeZalo()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def live_client(fake: FakeZalo, sleeps: Sleeps) -> AsyncIterator[ZaloClient]:
    """A client that creates its own httpx client and talks HTTP to the fake server."""
    client = ZaloClient(TOKEN, fake.base_url, sleep=sleeps, rng=lambda: 0.5)
    yield client
    await client.aclose()


@pytest.fixture
def restore_http_log_levels() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


# -- the call envelope ---------------------------------------------------------------------------


async def test_call_posts_json_to_the_method_url_and_returns_result(make_client) -> None:
    transport, requests = scripted(ok({"message_id": "m1", "date": 1}))
    client = make_client(transport)

    result = await client.send_message("chat-1", "Xin chào")

    assert result == {"message_id": "m1", "date": 1}
    [request] = requests
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/bot{TOKEN}/sendMessage"
    assert json.loads(request.content) == {"chat_id": "chat-1", "text": "Xin chào"}


async def test_unauthorized_with_http_200_is_fatal_and_not_retried(make_client, sleeps) -> None:
    transport, requests = scripted(failed(401, "Unauthorized"))
    client = make_client(transport)

    with pytest.raises(ZaloAPIError) as caught:
        await client.get_me()

    assert caught.value.code == 401
    assert caught.value.fatal
    assert caught.value.description == "Unauthorized"
    assert len(requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [200, 408])
async def test_idle_get_update_returns_none(make_client, sleeps, status: int) -> None:
    transport, requests = scripted(failed(408, "Request timeout", status=status))
    client = make_client(transport)

    assert await client.get_update(timeout=25) is None

    [request] = requests
    assert json.loads(request.content) == {"timeout": "25"}
    assert request.extensions["timeout"]["read"] == 35  # the long poll plus a margin
    assert sleeps == []


async def test_408_is_not_retried_by_call(make_client, sleeps) -> None:
    transport, requests = scripted(failed(408, "Request timeout"))
    client = make_client(transport)

    with pytest.raises(ZaloAPIError) as caught:
        await client.call("getMe")

    assert caught.value.code == 408
    assert len(requests) == 1


async def test_quota_error_is_retried_after_the_first_backoff(make_client, sleeps) -> None:
    transport, requests = scripted(failed(429, "Quota exceeded", status=429), ok({"id": "b"}))
    client = make_client(transport)

    assert await client.get_me() == {"id": "b"}

    assert len(requests) == 2
    assert sleeps == [1.0]  # jitter fixed at its midpoint leaves the schedule's value


async def test_jitter_stays_within_a_quarter_of_the_delay(sleeps) -> None:
    transport, _ = scripted(failed(500, "oops"))
    async with httpx.AsyncClient(transport=transport) as http:
        low = ZaloClient(TOKEN, BASE, http=http, retries=1, sleep=sleeps, rng=lambda: 0.0)
        high = ZaloClient(TOKEN, BASE, http=http, retries=1, sleep=sleeps, rng=lambda: 0.999)
        for client in (low, high):
            with pytest.raises(ZaloAPIError):
                await client.get_me()
    assert sleeps[0] == pytest.approx(0.75)
    assert 1.24 < sleeps[1] < 1.25


async def test_server_errors_are_retried_up_to_the_bound(make_client, sleeps) -> None:
    transport, requests = scripted(failed(503, "Service Unavailable", status=503))
    client = make_client(transport)  # default: 4 retries

    with pytest.raises(ZaloAPIError) as caught:
        await client.get_me()

    assert caught.value.code == 503
    assert len(requests) == 5
    assert sleeps == [1.0, 2.0, 5.0, 10.0]


async def test_non_json_bad_gateway_falls_back_to_the_http_status(make_client, sleeps) -> None:
    transport, requests = scripted(httpx.Response(502, text="<html>Bad Gateway</html>"))
    client = make_client(transport, retries=2)

    with pytest.raises(ZaloAPIError) as caught:
        await client.get_me()

    assert caught.value.code == 502
    assert len(requests) == 3
    assert sleeps == [1.0, 2.0]


async def test_the_backoff_schedule_repeats_its_last_value(make_client, sleeps) -> None:
    transport, _ = scripted(failed(500, "oops", status=500))
    client = make_client(transport, retries=7)

    with pytest.raises(ZaloAPIError):
        await client.get_me()

    assert sleeps == [1.0, 2.0, 5.0, 10.0, 30.0, 30.0, 30.0]


async def test_network_errors_are_retried_then_reported_without_the_token(
    make_client, sleeps
) -> None:
    error = httpx.ConnectError(f"cannot reach {BASE}/bot{TOKEN}/getMe")
    transport, requests = scripted(error, error, ok({"id": "b"}))
    client = make_client(transport)
    assert await client.get_me() == {"id": "b"}
    assert len(requests) == 3

    transport, _ = scripted(error)
    client = make_client(transport, retries=1)
    with pytest.raises(ZaloAPIError) as caught:
        await client.get_me()
    assert caught.value.code == NETWORK_ERROR
    assert "ConnectError" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert "bot***" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("code", [400, 403, 404])
async def test_client_errors_are_not_retried(make_client, sleeps, code: int) -> None:
    transport, requests = scripted(failed(code, "nope"))
    client = make_client(transport)

    with pytest.raises(ZaloAPIError) as caught:
        await client.send_message("c", "x")

    assert caught.value.code == code
    assert len(requests) == 1
    assert sleeps == []


async def test_ok_body_wins_over_an_error_status(make_client) -> None:
    transport, _ = scripted(httpx.Response(500, json={"ok": True, "result": {"id": "b"}}))
    client = make_client(transport)

    assert await client.get_me() == {"id": "b"}


async def test_send_photo_and_chat_action_parameters(make_client) -> None:
    transport, requests = scripted(ok({"message_id": "p"}), ok())
    client = make_client(transport)

    await client.send_photo("c", "https://example.org/a.jpg", caption="Ảnh")
    assert await client.send_chat_action("c") is None

    bodies = [json.loads(request.content) for request in requests]
    assert bodies == [
        {"chat_id": "c", "photo": "https://example.org/a.jpg", "caption": "Ảnh"},
        {"chat_id": "c", "action": "typing"},
    ]


# -- the token stays secret ----------------------------------------------------------------------


async def test_repr_and_errors_never_show_the_token(make_client) -> None:
    transport, _ = scripted(failed(401, f"token {TOKEN} is not valid"))
    client = make_client(transport)

    with pytest.raises(ZaloAPIError) as caught:
        await client.get_me()

    assert TOKEN not in repr(client)
    assert "bot***" in repr(client)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.description


async def test_httpx_would_log_the_token_without_quiet_http_logs(
    live_client, caplog, restore_http_log_levels
) -> None:
    # Why quiet_http_logs exists: httpx logs each request URL, token included, at INFO.
    logging.getLogger("httpx").setLevel(logging.NOTSET)
    caplog.set_level(logging.DEBUG)

    await live_client.get_me()

    assert TOKEN in caplog.text


async def test_no_log_line_contains_the_token(
    fake: FakeZalo, live_client, caplog, restore_http_log_levels
) -> None:
    quiet_http_logs()
    caplog.set_level(logging.DEBUG)
    fake.fail_next("getMe", 429, {"ok": False, "error_code": 429, "description": "Quota"})
    fake.fail_next("sendMessage", 502, None, times=5)

    await live_client.get_me()
    await live_client.get_update(timeout=1)
    with pytest.raises(ZaloAPIError) as caught:
        await live_client.send_message("c", "x")

    assert caught.value.code == 502
    assert "retry" in caplog.text  # our own warnings were captured
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


# -- against the fake server over HTTP -----------------------------------------------------------


async def test_fake_server_round_trip(fake: FakeZalo, live_client) -> None:
    me = await live_client.get_me()
    assert me["account_name"].startswith("Bot")

    fake.push_text("u1", "Xin chào", message_id="abc")
    update = await live_client.get_update(timeout=5)
    assert update is not None
    assert update["event_name"] == "message.text.received"
    assert update["message"]["message_id"] == "abc"

    await live_client.set_webhook("https://ward.example/zalo", "s" * 16)
    assert (await live_client.get_webhook_info())["url"] == "https://ward.example/zalo"
    await live_client.delete_webhook()
    assert (await live_client.get_webhook_info())["url"] == ""

    await live_client.send_photo("u1", "https://example.org/a.jpg")
    await live_client.send_chat_action("u1")
    assert fake.photos == [("u1", "https://example.org/a.jpg", None)]
    assert fake.actions == [("u1", "typing")]


@pytest.mark.parametrize("idle_status", [200, 408])
async def test_fake_server_idle_poll_is_none(idle_status: int) -> None:
    server = FakeZalo(idle_status=idle_status)
    await server.start()
    try:
        async with ZaloClient(TOKEN, server.base_url) as client:
            assert await client.get_update(timeout=1) is None
    finally:
        await server.stop()


async def test_fake_server_rejects_a_wrong_token(fake: FakeZalo, sleeps) -> None:
    async with ZaloClient("999:wrong", fake.base_url, sleep=sleeps) as client:
        with pytest.raises(ZaloAPIError) as caught:
            await client.get_me()
    assert caught.value.code == 401
    assert sleeps == []
    assert len(fake.calls) == 1


async def test_fake_server_scripted_failures_are_retried(
    fake: FakeZalo, live_client, sleeps
) -> None:
    fake.fail_next("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Quota"})
    fake.fail_next("sendMessage", 502, None)

    await live_client.send_message("u1", "Cảm ơn")

    assert [method for method, _ in fake.calls] == ["sendMessage"] * 3
    assert sleeps == [1.0, 2.0]
    assert fake.sent == [("u1", "Cảm ơn")]


async def test_fake_server_rejects_text_over_2000_characters(fake: FakeZalo, live_client) -> None:
    with pytest.raises(ZaloAPIError) as caught:
        await live_client.send_message("u1", "x" * 2001)
    assert caught.value.code == 400
    assert fake.sent == []


async def test_send_text_splits_long_replies_in_order(fake: FakeZalo, live_client) -> None:
    paragraphs = [(f"Đoạn {n}: " + "thủ tục hành chính " * 12).rstrip() for n in range(20)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 4500

    results = await live_client.send_text("u1", text)

    assert len(results) == len(fake.sent) >= 3
    assert all(chat_id == "u1" and len(chunk) <= 1900 for chat_id, chunk in fake.sent)
    assert "\n\n".join(chunk for _, chunk in fake.sent) == text.rstrip()  # nothing lost or moved


async def test_send_text_of_one_long_line(fake: FakeZalo, live_client) -> None:
    text = "a" * 4500

    await live_client.send_text("u1", text)

    assert [len(chunk) for _, chunk in fake.sent] == [1900, 1900, 700]


async def test_aclose_leaves_an_injected_http_client_open() -> None:
    transport, _ = scripted(ok())
    async with httpx.AsyncClient(transport=transport) as http:
        client = ZaloClient(TOKEN, BASE, http=http)
        await client.aclose()
        assert not http.is_closed

    own = ZaloClient(TOKEN, BASE)
    await own.aclose()
    assert own._http.is_closed


# -- split_text ------------------------------------------------------------------------------------


def test_split_short_text_is_one_chunk() -> None:
    assert split_text("Xin chào  \n") == ["Xin chào"]
    assert split_text("") == []
    assert split_text(" \n\n ") == []


def test_split_normalises_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Phường Bến Thành")
    [chunk] = split_text(decomposed)
    assert chunk == "Phường Bến Thành"
    assert len(chunk) < len(decomposed)


def test_split_prefers_blank_lines_then_line_breaks_then_spaces() -> None:
    text = "một hai\nba\n\nbốn năm"
    assert split_text(text, limit=12) == ["một hai\nba", "bốn năm"]
    assert split_text("một hai\nba bốn năm", limit=12) == ["một hai", "ba bốn năm"]
    assert split_text("một hai ba bốn", limit=8) == ["một hai", "ba bốn"]


def test_split_cuts_a_word_longer_than_the_limit() -> None:
    assert split_text("abcdefgh ij", limit=3) == ["abc", "def", "gh", "ij"]


def test_split_chunks_respect_the_limit_and_are_never_empty() -> None:
    text = ("dòng một\n\n\n\n   \n" + "từ " * 50 + "\n") * 40
    for limit in (5, 17, 100, 1900):
        chunks = split_text(text, limit=limit)
        assert chunks
        assert all(0 < len(chunk) <= limit for chunk in chunks)
        assert all(chunk == chunk.rstrip() for chunk in chunks)
        assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
            "\n", ""
        )


def test_split_keeps_indentation_after_a_line_break() -> None:
    assert split_text("Hồ sơ gồm:\n  - tờ khai", limit=12) == ["Hồ sơ gồm:", "  - tờ khai"]


def test_split_rejects_a_limit_below_one() -> None:
    with pytest.raises(ValueError):
        split_text("x", limit=0)
