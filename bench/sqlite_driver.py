"""SQLite driver benchmark: the bot's own database work through aiosqlite and through the
project's driver (`bot/sqlite_driver.py`), in one process, on one database file.

What is measured
    Two engines on the same SQLite file, set up alike by `bot.db.sqlite_engine` (one pooled
    connection, WAL, the same pragmas), differing only in the driver the URL names:
    `sqlite+aiosqlite` (SQLAlchemy's own aiosqlite dialect) and `sqlite+doithoai` (the project's).
    Each runs the same workloads, through the services the channels call:
      statement   `SELECT 1` on an open connection: the cost of one statement alone;
      tap         a resident's survey tap, one transaction: find the resident by chat account,
                  find and load the draft (response, answers), store one answer (an upsert, and
                  the position when it changes), commit;
      insert      1,000 answer rows in one INSERT (executemany), one transaction, committed
                  (deleted again afterwards, outside the timing);
      figures     the conference figures of the session (`bot.exports.summary.collect`,
                  a dozen GROUP BY queries over every answer);
      stream      the export's raw-responses query (`bot.exports.rows.responses_select`)
                  streamed in batches to the end, nothing done with the rows;
      concurrent  --tasks residents in flight (asyncio tasks) tapping at once; a tap's time
                  includes waiting for the one pooled connection.
    After one untimed warm-up round per driver, --rounds short rounds run every workload
    through both drivers, alternating which goes first, so load from other processes falls on
    both alike. Figures are over all rounds: operations per second (operations / time spent in
    them), p50 and p99 of one operation, and two ratios project/aiosqlite, above 1 when the
    project's driver is faster: of ops/s, and of speed at the median (aiosqlite's p50 over the
    project's), and of CPU per operation (this process's CPU time, every thread: what other
    processes loading the machine change least). SQL/op counts the statements of one
    operation. Printed, never asserted. Both drivers must give the same figures and stream the
    same rows, and every tap's answer must be stored, or the exit status is 1.

Run from the project root:
    .venv/bin/python -m bench.sqlite_driver [--responses 5000] [--residents 200]
        [--rounds 6] [--tasks 20]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.export import NOW, generate
from bot import db as database
from bot import i18n
from bot.exports.rows import BATCH, responses_select
from bot.exports.summary import collect
from bot.services import residents, survey
from bot.services.figures import Scope
from bot.survey.definition import Survey, load_survey
from models import Answer

DRIVERS = ("aiosqlite", "doithoai")
LABELS = {"aiosqlite": "aiosqlite", "doithoai": "project"}
TAP_QUESTION = "Q1"
TAP_VALUES = ("4", "5")  # each round answers the other value, so every tap writes
INSERT_ROWS = 1000


@dataclass
class Timings:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0  # wall time spent in the workload (for concurrent: the whole batch)
    cpu: float = 0.0  # CPU time of this process (every thread) spent in the workload

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else math.nan


@dataclass
class Bench:
    survey: Survey
    session_id: int
    resident_ids: list[str]  # residents with a chat account and a draft, by account number
    draft_ids: list[int]
    args: argparse.Namespace
    engines: dict[str, AsyncEngine] = field(default_factory=dict)
    timings: dict[tuple[str, str], Timings] = field(default_factory=lambda: defaultdict(Timings))
    statements: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)
    streamed: dict[str, int] = field(default_factory=dict)

    def sessions(self, driver: str) -> async_sessionmaker[AsyncSession]:
        return database.create_sessionmaker(self.engines[driver])


# --- the workloads; each returns how many operations it ran and their latencies -----------------


async def statement(bench: Bench, driver: str, value: str) -> list[float]:
    latencies = []
    async with bench.engines[driver].connect() as connection:
        for _ in range(bench.args.statements):
            started = time.perf_counter()
            await connection.execute(text("SELECT 1"))
            latencies.append(time.perf_counter() - started)
    return latencies


async def tap_once(bench: Bench, driver: str, account: int, value: str) -> float:
    started = time.perf_counter()
    async with bench.sessions(driver)() as db, db.begin():
        resident = await residents.find(db, "zalo", str(account))
        found = await survey.find_draft(db, resident.id)
        draft = await survey.load(db, bench.survey, found.response_id, resident.id)
        await survey.answer(db, bench.survey, draft, TAP_QUESTION, value)
    return time.perf_counter() - started


async def tap(bench: Bench, driver: str, value: str) -> list[float]:
    return [
        await tap_once(bench, driver, account, value) for account in range(len(bench.resident_ids))
    ]


async def concurrent(bench: Bench, driver: str, value: str) -> list[float]:
    accounts = list(range(len(bench.resident_ids)))

    async def resident(first: int) -> list[float]:
        mine = accounts[first :: bench.args.tasks]
        return [await tap_once(bench, driver, account, value) for account in mine]

    per_task = await asyncio.gather(*(resident(n) for n in range(bench.args.tasks)))
    return [latency for latencies in per_task for latency in latencies]


async def insert_rows(bench: Bench, driver: str, value: str) -> list[float]:
    rows = [
        {"response_id": bench.draft_ids[0], "question": f"B{n:04d}", "value": value,
         "score": None, "answered_at": NOW}
        for n in range(INSERT_ROWS)
    ]  # fmt: skip
    latencies = []
    for _ in range(bench.args.inserts):
        started = time.perf_counter()
        async with bench.engines[driver].begin() as connection:
            await connection.execute(insert(Answer), rows)
        latencies.append(time.perf_counter() - started)
        async with bench.engines[driver].begin() as connection:
            await connection.execute(delete(Answer).where(Answer.question.like("B%")))
    return latencies


async def figures(bench: Bench, driver: str, value: str) -> list[float]:
    latencies = []
    for _ in range(bench.args.aggregations):
        started = time.perf_counter()
        async with bench.sessions(driver)() as db, db.begin():
            summary = await collect(db, bench.survey, Scope(session_id=bench.session_id), now=NOW)
        latencies.append(time.perf_counter() - started)
    bench.figures[driver] = summary
    return latencies


async def stream(bench: Bench, driver: str, value: str) -> list[float]:
    codes = [q.code for q in bench.survey.questions]
    stmt = responses_select(Scope(session_id=bench.session_id), codes)
    latencies = []
    for _ in range(bench.args.streams):
        rows = 0
        started = time.perf_counter()
        async with bench.sessions(driver)() as db, db.begin():
            result = await db.stream(stmt.execution_options(yield_per=BATCH))
            async for batch in result.partitions():
                rows += len(batch)
        latencies.append(time.perf_counter() - started)
    bench.streamed[driver] = rows
    return latencies


WORKLOADS: dict[str, Callable[[Bench, str, str], Awaitable[list[float]]]] = {
    "statement": statement,
    "tap": tap,
    "insert": insert_rows,
    "figures": figures,
    "stream": stream,
    "concurrent": concurrent,
}


# --- running ------------------------------------------------------------------------------------


async def prepare(path: Path, args: argparse.Namespace) -> Bench:
    """The export benchmark's data (one session, responses with 7 answers each), plus a draft
    for each of the first --residents residents with a chat account, up to Q1."""
    url = f"sqlite+doithoai:///{path}"
    session_id = await generate(url, args.responses, args.residents, seed=1)
    definition = load_survey()
    engine = database.create_engine(url)
    resident_ids, draft_ids = [], []
    async with database.create_sessionmaker(engine)() as db, db.begin():
        for account in range(args.residents):
            resident = await residents.find(db, "zalo", str(account))
            draft = await survey.start(
                db,
                definition,
                resident_id=resident.id,
                session_id=session_id,
                field=definition.fields[0].id,
                procedure=None,
                channel="zalo",
            )
            # Q1 is asked once the resident said they used a procedure and how.
            draft = await survey.answer(db, definition, draft, "C2", "yes")
            await survey.answer(db, definition, draft, "C3", "tt")
            resident_ids.append(resident.id)
            draft_ids.append(draft.response_id)
    await engine.dispose()
    bench = Bench(definition, session_id, resident_ids, draft_ids, args)
    for driver in DRIVERS:
        bench.engines[driver] = database.sqlite_engine(f"sqlite+{driver}:///{path}")
    return bench


async def count_statements(bench: Bench) -> None:
    """Statements per operation, counted once on the project's engine."""
    counted = [0]

    def count(*_args) -> None:
        counted[0] += 1

    sync_engine = bench.engines["doithoai"].sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        for name, workload in WORKLOADS.items():
            counted[0] = 0
            latencies = await workload(bench, "doithoai", TAP_VALUES[0])
            bench.statements[name] = counted[0] / len(latencies)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)


async def run_round(bench: Bench, number: int, *, timed: bool) -> None:
    value = TAP_VALUES[number % 2]
    order = DRIVERS if number % 2 == 0 else DRIVERS[::-1]
    for name, workload in WORKLOADS.items():
        for driver in order:
            started, cpu = time.perf_counter(), time.process_time()
            latencies = await workload(bench, driver, value)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            if timed:
                timings = bench.timings[name, driver]
                timings.latencies += latencies
                timings.seconds += seconds if name == "concurrent" else sum(latencies)
                timings.cpu += cpu
    await check_taps(bench, value)


async def check_taps(bench: Bench, value: str) -> None:
    async with bench.engines["doithoai"].connect() as connection:
        stored = await connection.scalars(
            select(Answer.value).where(
                Answer.response_id.in_(bench.draft_ids), Answer.question == TAP_QUESTION
            )
        )
        stored = list(stored)
        extra = await connection.scalar(select(Answer.id).where(Answer.question.like("B%")))
    if stored != [value] * len(bench.draft_ids):
        bench.problems.append(f"taps: not every draft holds {value!r} for {TAP_QUESTION}")
    if extra is not None:
        bench.problems.append("insert: the inserted rows were not deleted")


# --- reporting ----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


def header(args: argparse.Namespace) -> None:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("doithoai SQLite driver benchmark: aiosqlite against the project's driver")
    print(
        f"Python {platform.python_version()}, SQLAlchemy {version('SQLAlchemy')}, "
        f"aiosqlite {version('aiosqlite')}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"{platform.platform()}, {os.cpu_count()} cores ({affinity} usable)")
    print(
        f"{args.responses:,} responses × 7 answers, {args.residents} residents tapping, "
        f"{args.tasks} in flight for concurrent; {args.rounds} rounds after a warm-up"
    )


def report(bench: Bench) -> None:
    print()
    columns = f"{'ops/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'CPU ms':>8}"
    print(f"{'':<12}{'':>6}{'':>8} |{'aiosqlite':^33} |{'project':^33} | project/aiosqlite")
    print(f"{'workload':<12}{'ops':>6}{'SQL/op':>8} |{columns} |{columns} | ops/s  p50  CPU")
    for name in WORKLOADS:
        old, new = bench.timings[name, "aiosqlite"], bench.timings[name, "doithoai"]
        cells = "".join(
            f" |{t.rate:>9.1f}{percentile(t.latencies, 50) * 1e3:>8.2f}"
            f"{percentile(t.latencies, 99) * 1e3:>8.2f}{t.cpu / len(t.latencies) * 1e3:>8.3f}"
            for t in (old, new)
        )
        print(
            f"{name:<12}{len(new.latencies):>6}{bench.statements.get(name, math.nan):>8.1f}"
            f"{cells} | {new.rate / old.rate:>5.2f}"
            f"{percentile(old.latencies, 50) / percentile(new.latencies, 50):>5.2f}"
            f"{old.cpu / new.cpu:>5.2f}"
        )
    print("  ops/s = operations / seconds spent in them; concurrent: taps / wall time of the batch")
    print("  SQL/op: statements of one operation; insert counts the untimed DELETE after it")
    print("  CPU ms: this process's CPU time (all threads) per operation, what load elsewhere")
    print("  on the machine changes least")
    print("  project/aiosqlite: of ops/s; of speed at the median (aiosqlite p50 / project p50);")
    print("  of CPU (aiosqlite CPU / project CPU). Above 1: the project's driver does better")


def verdict(bench: Bench) -> int:
    problems = list(bench.problems)
    if bench.figures["aiosqlite"] != bench.figures["doithoai"]:
        problems.append("figures: the two drivers gave different figures")
    if bench.streamed["aiosqlite"] != bench.streamed["doithoai"]:
        problems.append(f"stream: rows differ {bench.streamed}")
    print()
    if problems:
        print("FAILED: the run is not valid")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(
        f"OK: same figures and {bench.streamed['doithoai']:,} streamed rows through both "
        "drivers; every tap's answer stored"
    )
    return 0


async def main(args: argparse.Namespace) -> int:
    header(args)
    i18n.install()
    with tempfile.TemporaryDirectory(prefix="doithoai-bench-") as directory:
        bench = await prepare(Path(directory) / "bench.sqlite3", args)
        try:
            await count_statements(bench)
            await run_round(bench, 1, timed=False)
            for number in range(args.rounds):
                await run_round(bench, number, timed=True)
        finally:
            for engine in bench.engines.values():
                await engine.dispose()
    report(bench)
    return verdict(bench)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sqlite_driver", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--responses", type=int, default=5000, help="submitted responses")
    parser.add_argument("--residents", type=int, default=200, help="residents who tap")
    parser.add_argument("--tasks", type=int, default=20, help="residents in flight (concurrent)")
    parser.add_argument("--rounds", type=int, default=6, help="timed rounds per driver")
    parser.add_argument("--statements", type=int, default=500, help="SELECT 1 per round")
    parser.add_argument("--inserts", type=int, default=3, help="1,000-row inserts per round")
    parser.add_argument("--aggregations", type=int, default=2, help="figures per round")
    parser.add_argument("--streams", type=int, default=2, help="streamed exports per round")
    args = parser.parse_args(argv)
    if min(args.residents, args.tasks, args.rounds, args.responses) < 1:
        parser.error("every count must be at least 1")
    if args.residents > args.responses // 2:
        parser.error("--residents: at most half of --responses (the residents generated)")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
