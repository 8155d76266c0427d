"""One export of a session (or a date range) for the conference: the workbook, a CSV per table,
the satisfaction chart and the Word report, written into a directory.

Shared by /export on Telegram, `python -m bot export` and the console's staff mode. Who may ask
is checked by `authorize` (named exports need an admin and are audited); `write_export` itself
is plain: a database, the survey, a scope, a directory.

`run_export` runs it in one read transaction on a connection of its own (see there).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot import db as database
from bot.exports.rows import Pseudonyms, question_rows
from bot.exports.spreadsheet import Spreadsheets
from bot.exports.summary import Summary, collect
from bot.exports.tables import (
    Labels,
    channels_table,
    distribution_table,
    overall_table,
    questions_table,
    responses_table,
    summary_table,
)
from bot.i18n import use_locale
from bot.services import staff
from bot.services.figures import Scope
from bot.services.staff import Actor, Permission, StaffRef
from bot.settings import Settings
from bot.survey.definition import Survey


@dataclass
class ExportResult:
    summary: Summary
    files: list[Path] = field(default_factory=list)  # in the order to hand them out
    rows: dict[str, int] = field(default_factory=dict)  # rows per table


def file_stem(scope: Scope, now: datetime, settings: Settings) -> str:
    """ASCII names that survive any mail or chat client: doithoai-s3-20261126."""
    day = now.astimezone(settings.zone).strftime("%Y%m%d")
    if scope.session_id is not None:
        return f"doithoai-s{scope.session_id}-{day}"
    # The last day shown is the last one included: `until` is the midnight after it.
    last = scope.until - timedelta(microseconds=1) if scope.until is not None else None
    parts = [
        moment.astimezone(settings.zone).strftime("%Y%m%d")
        for moment in (scope.since, last)
        if moment is not None
    ]
    return "doithoai-" + "-".join(parts or ["all"])


async def authorize(
    db: AsyncSession, actor: Actor, scope: Scope, *, named: bool, now: datetime
) -> StaffRef:
    """May this staff member export (with names)? Every export is audited, allowed or not."""
    target = f"session:{scope.session_id}" if scope.session_id is not None else None
    member = await staff.require(
        db, actor, Permission.EXPORT, now=now, action="export", target=target
    )
    if named:
        member = await staff.require(
            db, member, Permission.EXPORT_NAMED, now=now, action="export_named", target=target
        )
    detail = {"named": named}
    if scope.since is not None:
        detail["since"] = scope.since.isoformat()
    if scope.until is not None:
        detail["until"] = scope.until.isoformat()
    await staff.record_action(
        db, member, "export_named" if named else "export", now=now, target=target, detail=detail
    )
    return member


def run_export(
    settings: Settings,
    survey: Survey,
    scope: Scope,
    out_dir: Path,
    *,
    now: datetime,
    named: bool = False,
    locale: str | None = None,
) -> ExportResult:
    """The whole export on a connection and an event loop of its own. Call it in a worker
    thread (`asyncio.to_thread`) from the bot: writing a large workbook is seconds of CPU that
    must not stall the residents' conversations, and the read transaction gives every file the
    same snapshot while the bot goes on writing (SQLite's WAL lets a reader run beside it)."""

    async def export() -> ExportResult:
        engine = database.create_engine(settings.database_url)
        try:
            async with database.create_sessionmaker(engine)() as db, db.begin():
                return await write_export(
                    db, survey, settings, scope, out_dir, now=now, named=named, locale=locale
                )
        finally:
            await engine.dispose()

    out_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(export())


async def write_tables(
    db: AsyncSession,
    sheets: Spreadsheets,
    summary: Summary,
    labels: Labels,
    pseudonym: Pseudonyms,
    *,
    named: bool,
) -> None:
    """Every table of the export, each a sheet of the workbook and a CSV file, in this order
    (call inside `use_locale`)."""
    for table in (
        summary_table(summary, labels),
        overall_table(summary, labels),
        channels_table(summary, labels),
        await distribution_table(db, summary, labels),
        questions_table(db, summary, labels, pseudonym, named=named),
        responses_table(db, summary, labels, pseudonym),
    ):
        await sheets.add(table)


async def write_export(
    db: AsyncSession,
    survey: Survey,
    settings: Settings,
    scope: Scope,
    out_dir: Path,
    *,
    now: datetime,
    named: bool = False,
    locale: str | None = None,
) -> ExportResult:
    """Writes every file of the export into the existing directory `out_dir`."""
    from bot.exports.chart import satisfaction_chart
    from bot.exports.report import Signer, conference_report_streamed

    locale = locale or settings.default_locale
    stem = file_stem(scope, now, settings)
    summary = await collect(
        db, survey, scope, now=now, neutral_counts_as_satisfied=settings.neutral_satisfied
    )
    result = ExportResult(summary)
    pseudonym = Pseudonyms()  # one key for the whole export: a resident keeps one pseudonym
    labels = Labels(survey, locale, settings.zone)
    with use_locale(locale):
        sheets = Spreadsheets(out_dir / f"{stem}.xlsx", out_dir / stem)
        try:
            await write_tables(db, sheets, summary, labels, pseudonym, named=named)
        finally:
            sheets.close()
        result.rows = dict(sheets.rows_written)
        png = satisfaction_chart(summary, survey, locale=locale)
        chart = out_dir / f"{stem}-chart.png"
        chart.write_bytes(png)
        report = out_dir / f"{stem}-report.docx"
        report.write_bytes(
            await conference_report_streamed(
                summary,
                survey,
                question_rows(db, scope, pseudonym, fields=labels.field_order()),
                ward_name=settings.ward_name,
                locale=locale,
                zone=settings.zone,
                chart=png,
                signer=Signer.from_settings(settings),
            )
        )
    result.files = [sheets.xlsx_path, report, chart, *sheets.csv_paths]
    return result
