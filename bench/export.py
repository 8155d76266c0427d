"""Export benchmark: the conference export of one large session, against the bare SQL it rests on,
measured in the same run on the same database.

What is measured (each phase in a fresh child process, so its peak memory is its own)
    queries   the bare SQL: every aggregation of the summary (`bot.exports.summary.collect`),
              plus the exporter's two row queries (questions; responses with their answers
              pivoted into columns) streamed to the end with nothing done to the rows;
    writing   writing the same files with no database and none of the export's code:
              XlsxWriter and `csv.writer` given as many cells of the same types as the two
              big tables (each once to the workbook, once to a CSV file); what the sheets take
              beyond the queries and this is the export's own work on each row;
    csv       a stricter baseline kept from earlier runs: `csv.writer` writing those rows
              twice, as if the workbook cost no more than a CSV file;
    sheets    the XLSX workbook and the CSV files (`bot.exports.spreadsheet` over
              `bot.exports.tables`), what the target is about;
    export    everything /export sends: the sheets, the chart and the Word report.
Target (issue "Staff console"): sheets ≤ 3 × (queries + writing), peak memory ≤ 300 MB; the
ratio against the stricter `csv` baseline is printed too.
Times and peak resident memory (ru_maxrss of the child) are printed, never asserted.

The data: one session with N responses (default 100,000) of 7 answers each (Q1–Q6 and O1) over
every field and channel, paper forms included, and Q questions (default 5,000) in every status.
It is generated once into the database and reused with --reuse.

Run from the project root:
    .venv/bin/python -m bench.export [--responses 100000] [--questions 5000]
        [--database-url sqlite+doithoai:////tmp/doithoai-bench-export.sqlite3] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import multiprocessing
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from bot import db as database
from bot import i18n
from bot.settings import Settings
from bot.survey.definition import load_survey
from models import (
    Account,
    Answer,
    DialogueSession,
    Resident,
    ResidentQuestion,
    SurveyResponse,
)

DEFAULT_URL = "sqlite+doithoai:////tmp/doithoai-bench-export.sqlite3"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
CODES = ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "O1"]
S5 = ["1", "2", "3", "3", "4", "4", "4", "5", "5", "na"]
O1 = ["vs", "s", "s", "ns"]
CHANNELS = ["zalo", "zalo", "zalo", "telegram", "paper", "console"]
STATUSES = ["received", "assigned", "answered", "conference", "closed"]
BATCH = 10_000
TEXT = "Đề nghị phường rút ngắn thời gian cấp giấy chứng nhận quyền sử dụng đất, hướng dẫn rõ hơn."


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, ward_name="Bình An")


async def generate(url: str, responses: int, questions: int, seed: int) -> int:
    """Fills an empty database; returns the session id."""
    rng = random.Random(seed)
    engine = database.create_engine(url)
    await database.upgrade_schema(engine)
    survey = load_survey()
    fields = [f.id for f in survey.fields]
    residents = max(responses // 2, questions)
    async with engine.begin() as connection:
        session_id = (
            await connection.execute(
                insert(DialogueSession)
                .values(title="Hội nghị đối thoại tháng 11 năm 2026", status="open")
                .returning(DialogueSession.id)
            )
        ).scalar_one()
        ids = [f"bench{i:08d}" for i in range(residents)]
        for start in range(0, residents, BATCH):
            await connection.execute(
                insert(Resident),
                [{"id": i, "locale": "vi", "created_at": NOW} for i in ids[start : start + BATCH]],
            )
        await connection.execute(
            insert(Account),
            [
                {"resident_id": ids[i], "channel": "zalo", "external_id": str(i), "created_at": NOW}
                for i in range(questions)
            ],
        )
        accounts = (await connection.execute(select(Account.id).order_by(Account.id))).scalars()
        accounts = list(accounts)
        # Responses: each resident answers two fields; paper forms have no resident.
        for start in range(0, responses, BATCH):
            rows = []
            for n in range(start, min(start + BATCH, responses)):
                channel = rng.choice(CHANNELS)
                rows.append(
                    {
                        "id": n + 1,
                        "resident_id": None if channel == "paper" else ids[n // 2],
                        "session_id": session_id,
                        "field": fields[(n + n // 2) % len(fields)],
                        "procedure": None,
                        "status": "submitted",
                        "channel": channel,
                        "reviewed": True,
                        "created_at": NOW,
                        "updated_at": NOW,
                        "submitted_at": NOW - timedelta(minutes=n % 10_000),
                    }
                )
            await connection.execute(insert(SurveyResponse), rows)
            answers = []
            for row in rows:
                for code in CODES:
                    value = rng.choice(O1 if code == "O1" else S5)
                    score = {"vs": 2, "s": 1, "ns": 0}[value] if code == "O1" else None
                    if code != "O1" and value != "na":
                        score = float(value)
                    answers.append(
                        {
                            "response_id": row["id"],
                            "question": code,
                            "value": value,
                            "score": score,
                            "answered_at": NOW,
                        }
                    )
            await connection.execute(insert(Answer), answers)
        await connection.execute(
            insert(ResidentQuestion),
            [
                {
                    "code": f"KN-26-{n + 1:05d}",
                    "resident_id": ids[n],
                    "account_id": accounts[n],
                    "session_id": session_id,
                    "field": fields[n % len(fields)],
                    "text": f"{TEXT} (#{n + 1})",
                    "language": "vi",
                    "named": n % 3 == 0,
                    "contact_name": "Nguyễn Văn An" if n % 3 == 0 else None,
                    "contact_phone": "0912345678" if n % 3 == 0 else None,
                    "channel": "zalo",
                    "status": STATUSES[n % len(STATUSES)],
                    "complaint_flag": False,
                    "answer_text": "Phường sẽ trả lời tại hội nghị." if n % 5 == 2 else None,
                    "hidden": False,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(questions)
            ],
        )
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('survey_responses', 'id'), "
                    "(SELECT max(id) FROM survey_responses))"
                )
            )
    async with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            await connection.execute(text("ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return session_id


async def existing_session(url: str) -> tuple[int, int, int]:
    engine = database.create_engine(url)
    async with engine.connect() as connection:
        session_id = (await connection.execute(select(func.min(DialogueSession.id)))).scalar()
        responses = (await connection.execute(select(func.count(SurveyResponse.id)))).scalar()
        questions = (await connection.execute(select(func.count(ResidentQuestion.id)))).scalar()
    await engine.dispose()
    return session_id, responses, questions


# --- the phases, each run in a child process -----------------------------------------------


async def phase_queries(url: str, session_id: int, out: Path) -> dict:
    """The SQL alone: the summary's aggregations, then the two row queries the exporter
    streams, fetched to the end in batches with nothing done to the rows."""
    from bot.exports.rows import BATCH, questions_select, responses_select
    from bot.exports.summary import collect
    from bot.services.figures import Scope

    survey = load_survey()
    engine = database.create_engine(url)
    scope = Scope(session_id=session_id)
    codes = [q.code for q in survey.questions]
    fields = [f.id for f in survey.fields]
    started = time.perf_counter()
    rows = 0
    async with database.create_sessionmaker(engine)() as db, db.begin():
        await collect(db, survey, scope, now=NOW)
        aggregated = time.perf_counter()
        for stmt in (questions_select(scope, fields), responses_select(scope, codes)):
            result = await db.stream(stmt.execution_options(yield_per=BATCH))
            async for batch in result.partitions():
                rows += len(batch)
    done = time.perf_counter()
    await engine.dispose()
    return {"aggregation_s": aggregated - started, "streams_s": done - aggregated, "rows": rows}


def typical_rows(survey) -> tuple[list, list]:
    """A raw-responses row and a questions row shaped as the export's: the same columns, cell
    types and lengths (7 of the survey's questions answered, the others blank)."""
    local = NOW.replace(tzinfo=None)
    answers = {"Q1": 4, "Q2": 5, "Q3": 3, "Q4": "na", "Q5": 4, "Q6": 2, "O1": "s"}
    response_row = [123456, "R-3f9a1c2b00", "Địa chính (đất đai)", "", "Zalo", "", local]
    response_row += [answers.get(q.code) for q in survey.questions]
    question_row = ["KN-26-00001", "Địa chính (đất đai)", "đã tiếp nhận", local, "Zalo", ""]
    question_row += [TEXT, "", None, "", "", "R-3f9a1c2b00"]
    return response_row, question_row


async def phase_csv(url: str, session_id: int, out: Path) -> dict:
    """The stricter baseline of earlier runs: `csv.writer` writing the rows of the two big
    tables twice, as if a workbook cost no more than a CSV file."""
    _session, responses, questions = await existing_session(url)
    response_row, question_row = typical_rows(load_survey())
    started = time.perf_counter()
    for name in ("plain.csv", "plain2.csv"):
        with (out / name).open("w", encoding="utf-8-sig", newline="") as plain:
            writer = csv.writer(plain)
            for _ in range(responses):
                writer.writerow(response_row)
            for _ in range(questions):
                writer.writerow(question_row)
    return {"csv_s": time.perf_counter() - started}


async def phase_writing(url: str, session_id: int, out: Path) -> dict:
    """Writing the same files with no database and none of the export's own code: XlsxWriter
    (constant memory, as the export) and `csv.writer` given as many cells of the same types as
    the two big tables, each cell once to the workbook and once to a CSV file. What the sheets
    take beyond the queries and this is the export's own work: turning database rows into
    labelled, pseudonymised, local-time cells."""
    import xlsxwriter

    _session, responses, questions = await existing_session(url)
    response_row, question_row = typical_rows(load_survey())
    started = time.perf_counter()
    book = xlsxwriter.Workbook(str(out / "plain.xlsx"), {"constant_memory": True})
    moment = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for name, row, times in (
        ("questions", question_row, questions),
        ("responses", response_row, responses),
    ):
        sheet = book.add_worksheet(name)
        with (out / f"plain-{name}.csv").open("w", encoding="utf-8-sig", newline="") as plain:
            writer = csv.writer(plain)
            for number in range(1, times + 1):
                writer.writerow(row)
                for column, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, datetime):
                        sheet.write_datetime(number, column, value, moment)
                    elif isinstance(value, int):
                        sheet.write_number(number, column, value)
                    else:
                        sheet.write_string(number, column, value)
    book.close()
    return {"writing_s": time.perf_counter() - started}


async def phase_sheets(url: str, session_id: int, out: Path) -> dict:
    from bot.exports.bundle import write_tables
    from bot.exports.rows import Pseudonyms
    from bot.exports.spreadsheet import Spreadsheets
    from bot.exports.summary import collect
    from bot.exports.tables import Labels
    from bot.services.figures import Scope

    settings = settings_for(url)
    survey = load_survey()
    engine = database.create_engine(url)
    started = time.perf_counter()
    async with database.create_sessionmaker(engine)() as db, db.begin():
        summary = await collect(db, survey, Scope(session_id=session_id), now=NOW)
        labels = Labels(survey, "vi", settings.zone)
        pseudonym = Pseudonyms()
        with i18n.use_locale("vi"):
            sheets = Spreadsheets(out / "bench.xlsx", out / "bench")
            await write_tables(db, sheets, summary, labels, pseudonym, named=False)
            sheets.close()
    await engine.dispose()
    return {"sheets_s": time.perf_counter() - started}


async def phase_export(url: str, session_id: int, out: Path) -> dict:
    from bot.exports.bundle import run_export
    from bot.services.figures import Scope

    started = time.perf_counter()
    result = await asyncio.to_thread(
        run_export,
        settings_for(url),
        load_survey(),
        Scope(session_id=session_id),
        out,
        now=NOW,
    )
    return {
        "export_s": time.perf_counter() - started,
        "files": len(result.files),
        "bytes": sum(p.stat().st_size for p in result.files),
    }


PHASES = {
    "queries": phase_queries,
    "csv": phase_csv,
    "writing": phase_writing,
    "sheets": phase_sheets,
    "export": phase_export,
}


def child(name: str, url: str, session_id: int, results) -> None:
    i18n.install()
    with tempfile.TemporaryDirectory(prefix="doithoai-bench-") as directory:
        figures = asyncio.run(PHASES[name](url, session_id, Path(directory)))
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put(figures)


def run_phase(name: str, url: str, session_id: int) -> dict:
    context = multiprocessing.get_context("spawn")  # a clean interpreter: its own peak memory
    results = context.Queue()
    process = context.Process(target=child, args=(name, url, session_id, results))
    process.start()
    figures = results.get()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"phase {name} failed with exit code {process.exitcode}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=5_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the database generated before")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = args.database_url
    if not args.reuse:
        if database.is_sqlite(url):
            path = Path(url.split("///", 1)[1])
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        started = time.perf_counter()
        asyncio.run(generate(url, args.responses, args.questions, args.seed))
        print(f"generated in {time.perf_counter() - started:.1f} s")
    session_id, responses, questions = asyncio.run(existing_session(url))
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {engine_name(url)}: session {session_id}, "
        f"{responses:,} responses × {len(CODES)} answers, {questions:,} questions"
    )
    figures = {name: run_phase(name, url, session_id) for name in PHASES}
    queries = figures["queries"]["aggregation_s"] + figures["queries"]["streams_s"]
    plain_csv = figures["csv"]["csv_s"]
    writing = figures["writing"]["writing_s"]
    sheets = figures["sheets"]["sheets_s"]
    export = figures["export"]["export_s"]
    print(f"{'phase':<10}{'seconds':>10}{'peak MB':>10}")
    print(
        f"{'queries':<10}{queries:>10.2f}{figures['queries']['peak_mb']:>10.0f}"
        f"   (aggregation {figures['queries']['aggregation_s']:.2f} s,"
        f" row streams {figures['queries']['streams_s']:.2f} s)"
    )
    for name, seconds in (
        ("csv", plain_csv),
        ("writing", writing),
        ("sheets", sheets),
        ("export", export),
    ):
        print(f"{name:<10}{seconds:>10.2f}{figures[name]['peak_mb']:>10.0f}")
    print(
        f"sheets / (queries + writing) = {sheets / (queries + writing):.2f}"
        "   (target ≤ 3.00; writing: XlsxWriter and csv alone, the same cells)\n"
        f"sheets / (queries + csv) = {sheets / (queries + plain_csv):.2f}"
        "   (the stricter baseline: as if the workbook cost what a CSV file costs)\n"
        f"export / (queries + writing) = {export / (queries + writing):.2f}"
        f"   (with the chart and the Word report)\n"
        f"peak memory: sheets {figures['sheets']['peak_mb']:.0f} MB, "
        f"export {figures['export']['peak_mb']:.0f} MB   (target ≤ 300 MB)\n"
        f"files: {figures['export']['files']}, {figures['export']['bytes'] / 1e6:.1f} MB"
    )


def engine_name(url: str) -> str:
    return "SQLite" if database.is_sqlite(url) else "PostgreSQL"


if __name__ == "__main__":
    sys.exit(main())
