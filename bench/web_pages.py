"""Web console benchmark: pages served per second and their latency, one worker, against the same
process serving /healthz.

What is measured
    The console's aiohttp application (`build_web_app(..., console=web_context(core))`, exactly
    as `python -m bot` serves it) runs in this process on a local port: one worker, one event
    loop. A load generator in a child process (so its CPU is not the worker's) keeps
    `--concurrency` clients in flight, each a signed-in admin (a web session made as signing in
    makes it) asking for one page after another over a kept-alive connection. For each page:
    `--warmup` requests unmeasured, then `--requests` measured; pages per second over the run,
    p50 and p99 latency from the client's side (send to last byte).
    Pages, each against /healthz (a database round trip and JSON) measured the same way in the
    same run:
      /staff/questions   the questions list (5,000 questions); printed "not served" until the
                         page exists;
      /staff/figures     what /stats shows, as tables, for the session of 100,000 responses,
                         as served: a session's figures are counted once for every request
                         arriving meanwhile and kept FRESH_FOR seconds, then recounted in the
                         background while the kept ones are served (bot/web/pages/figures.py);
                         the time of one count afresh (the first visit's wait) is printed too;
      /staff/figures/chart.png   the chart the page shows (drawn in a worker thread).
Targets (issue "Staff console"): questions list p99 ≤ 150 ms, figures page p99 ≤ 500 ms.
Printed, never asserted.

The data: one open session with N responses (default 100,000) of seven answers each and Q
questions (default 5,000), generated with bench/export.py's generator (bulk inserts); kept in
the database file and reused with --reuse.

Run from the project root:
    .venv/bin/python -m bench.web_pages [--responses 100000] [--questions 5000] [--concurrency 4]
        [--requests 200] [--warmup 10] [--reuse]
        [--database-url sqlite+doithoai:////tmp/doithoai-bench-web.sqlite3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import httpx
from aiohttp import web

from bench.export import existing_session, generate
from bot import i18n
from bot.core import build_core
from bot.metrics import Metrics
from bot.services import staff as staff_service
from bot.settings import Settings
from bot.web import build_web_app
from bot.web.auth import SESSION_COOKIE, start_session
from bot.web.context import web_context
from bot.web.pages import figures as figures_page
from models import utcnow

DEFAULT_URL = "sqlite+doithoai:////tmp/doithoai-bench-web.sqlite3"
ADMIN_TELEGRAM_ID = 1


# --- the load generator (child process) ---------------------------------------------------------


async def load(base_url: str, token: str, path: str, concurrency: int, requests: int, warmup: int):
    """(latencies in s, wall time in s, non-200 answers) of `requests` GETs of `path`."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, cookies={SESSION_COOKIE: token}, limits=limits, timeout=600
    ) as client:
        for _ in range(warmup):
            await client.get(path)
        latencies: list[float] = []
        failures = 0
        remaining = requests

        async def one_client() -> None:
            nonlocal remaining, failures
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                answer = await client.get(path)
                await answer.aread()
                latencies.append(time.perf_counter() - started)
                failures += answer.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        return latencies, time.perf_counter() - started, failures


def child(base_url, token, path, concurrency, requests, warmup, results) -> None:
    results.put(asyncio.run(load(base_url, token, path, concurrency, requests, warmup)))


async def measure(base_url: str, token: str, path: str, args) -> dict:
    """Runs the generator in a child process while this loop serves."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=child,
        args=(base_url, token, path, args.concurrency, args.requests, args.warmup, results),
    )
    process.start()
    latencies, wall, failures = await asyncio.to_thread(results.get)
    await asyncio.to_thread(process.join)
    ordered = sorted(latencies)
    return {
        "per_s": len(latencies) / wall,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000,
        "max": ordered[-1] * 1000,
        "failures": failures,
    }


# --- the worker (this process) -------------------------------------------------------------------


async def run(args) -> None:
    url = args.database_url
    if args.reuse:
        session_id, responses, questions = await existing_session(url)
    else:
        started = time.perf_counter()
        session_id = await generate(url, args.responses, args.questions, seed=20261204)
        responses, questions = args.responses, args.questions
        print(f"seeded {responses:,} responses, {questions:,} questions", end=" ")
        print(f"in {time.perf_counter() - started:.0f} s")
    settings = Settings(_env_file=None, database_url=url, ward_name="Bình An", admin_ids="1")
    i18n.install()
    core = build_core(settings)
    async with core.stack:
        async with core.sessionmaker() as db, db.begin():
            await staff_service.bootstrap_admins(db, [ADMIN_TELEGRAM_ID], utcnow())
            admin = await staff_service.find(db, ADMIN_TELEGRAM_ID)
            token = await start_session(db, admin.id, utcnow())
        context = web_context(core)
        web_app = build_web_app(core.sessionmaker, Metrics(), console=context)
        runner = web.AppRunner(web_app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        served = {r.resource.canonical for r in web_app.router.routes() if r.resource}
        print(
            f"session {session_id}: {responses:,} responses, {questions:,} questions; "
            f"{engine_name(url)}; {args.concurrency} clients in flight, {args.requests} requests "
            f"per page after {args.warmup} unmeasured; {platform.python_version()}, "
            f"{os.cpu_count()} CPUs"
        )
        print(f"{'page':<34} {'pages/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  vs /healthz")
        try:
            health = await measure(base_url, token, "/healthz", args)
            show("/healthz (baseline)", health, None)
            target = {"/staff/questions": 150, "/staff/figures": 500}
            for path, label in (
                ("/staff/questions", "/staff/questions"),
                ("/staff/figures", "/staff/figures"),
                ("/staff/figures/chart.png", "/staff/figures/chart.png"),
            ):
                if path not in served:
                    print(f"{label:<34} not served")
                    continue
                figures = await measure(base_url, token, path, args)
                show(label, figures, health, target.get(path))
            counts = []
            for _ in range(3):
                started = time.perf_counter()
                await figures_page.count(context, session_id)
                counts.append(time.perf_counter() - started)
            print(
                "counting the session's figures afresh (what a page waits for on its first "
                f"visit, and what runs in the background every {figures_page.FRESH_FOR:.0f} s "
                f"while it is read): {' / '.join(f'{c * 1000:.0f}' for c in counts)} ms"
            )
        finally:
            await runner.cleanup()


def show(label: str, figures: dict, baseline: dict | None, target: int | None = None) -> None:
    ratio = f"{figures['per_s'] / baseline['per_s']:.3f}" if baseline else ""
    meets = ""
    if target is not None:
        meets = f"  target p99 ≤ {target} ms: {'met' if figures['p99'] <= target else 'MISSED'}"
    failed = f"  {figures['failures']} non-200!" if figures["failures"] else ""
    print(
        f"{label:<34} {figures['per_s']:>9.1f} {figures['p50']:>8.1f} {figures['p99']:>8.1f}"
        f" {figures['max']:>8.1f}"
        f"  {ratio}{meets}{failed}"
    )


def engine_name(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    args = parser.parse_args()
    if sys.platform == "darwin":
        multiprocessing.set_start_method("spawn")
    if not args.reuse and args.database_url.startswith("sqlite"):
        Path(args.database_url.split("///", 1)[1]).unlink(missing_ok=True)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
