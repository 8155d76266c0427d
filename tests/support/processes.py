"""Real `python -m bot` processes, as an operator starts them, for the tests and benchmarks that
need one: their environment, a command run to its end, a bot kept running and stopped by a
signal, and waiting for its web port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

# What the runner's own environment may set that must not reach a bot under test.
OWN_SETTINGS = ("BOT_", "ZALO_", "DATABASE_", "REDIS_")
LOG = "bot.log"  # a process's stderr, in its directory: a file, since a full pipe would stall it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bot_env(directory: Path, **settings: str) -> dict[str, str]:
    """This environment without the runner's bot, Zalo, database and Redis settings; a ward
    name; SQLite in `directory`; then `settings` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
    env.update(DATABASE_URL=f"sqlite+doithoai:///{directory / 'bot.sqlite3'}", WARD_NAME="Bình An")
    # The web console is always served: each bot under test on a port of its own.
    env.update(WEB_PORT=str(free_port()))
    env.update(settings)
    return env


def run_bot(
    directory: Path, *args: str, env: dict[str, str], typed: str = "", timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` to its end, with `typed` as its input (a command, the console)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=typed,
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


async def start_bot(
    directory: Path, *args: str, env: dict[str, str], log: str = LOG
) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` started in `directory`, its stderr going to `directory / log`."""
    with (directory / log).open("wb") as out:  # the child keeps its own descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=directory, env=env, stderr=out
        )


async def stop_bot(
    process: asyncio.subprocess.Process,
    stop: signal.Signals = signal.SIGTERM,
    grace: float = 60,
) -> None:
    """`stop` (SIGINT: Ctrl-C; SIGTERM: a service manager), then wait for the process to end."""
    if process.returncode is None:
        process.send_signal(stop)
    await asyncio.wait_for(process.wait(), timeout=grace)


@contextlib.asynccontextmanager
async def running_bot(
    directory: Path,
    *args: str,
    env: dict[str, str],
    log: str = LOG,
    stop: signal.Signals = signal.SIGTERM,
    grace: float = 60,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot ARGS` running in `directory` while in the block, stopped on the way out."""
    process = await start_bot(directory, *args, env=env, log=log)
    try:
        yield process
    finally:
        await stop_bot(process, stop, grace)


def client_ports(pid: int) -> set[int]:
    """The local ports of a process's TCP connections, from /proc (Linux): which process sent
    a request is told by the client port the server saw."""
    sockets = set()
    with contextlib.suppress(OSError):  # the process is gone
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # closed meanwhile
                sockets.add(os.readlink(fd))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if f"socket:[{fields[9]}]" in sockets:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def log_of(directory: Path, log: str = LOG) -> str:
    return (directory / log).read_text(encoding="utf-8", errors="replace")


def health_client(port: int, timeout: float = 2) -> httpx.AsyncClient:
    # A new connection per request: the kernel spreads connections (not requests) over workers.
    fresh = httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=timeout, limits=fresh)


async def wait_until(check: Callable[[], object], seconds: float = 120) -> None:
    """Poll `check` until it holds or `seconds` pass; the test's own assertions then say what is
    missing. Generous, since a process's start-up takes most of it on a busy machine."""
    for _ in range(int(seconds * 10)):
        if check():
            return
        await asyncio.sleep(0.1)


async def until_serving(
    client: httpx.AsyncClient, process: asyncio.subprocess.Process, seconds: float = 120
) -> None:
    """Until the bot's web port answers /healthz (start-up is slow on a busy machine)."""
    async with asyncio.timeout(seconds):
        while True:
            if process.returncode is not None:
                raise RuntimeError("the bot stopped while starting")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
