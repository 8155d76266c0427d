"""`python -m bot`: start the bot, or run one of its maintenance commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import Any

import httpx
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiohttp import web

from bot import triage
from bot.app import App, build_scheduler, open_app
from bot.app import bootstrap_admins as bootstrap_admins  # where the tests have found it
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloAPIError
from bot.core import open_core
from bot.leader import Leadership
from bot.logs import configure as configure_logging
from bot.metrics import SUPERVISOR_STATE
from bot.services import paper_answers
from bot.services.figures import Scope
from bot.settings import ConfigError, Settings, load_settings
from bot.startup import StartupError
from bot.survey.definition import SurveyError, load_survey
from bot.telegram import register_commands, register_staff_menus
from bot.web import TelegramWebhook, build_web_app, first_run, register_telegram_webhook
from bot.web.context import web_context
from bot.web.pages.poster import TELEGRAM_USERNAME
from models import DialogueSession, utcnow

log = logging.getLogger("doithoai")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="doithoai: the ward dialogue chatbot. Settings come from the environment "
        "or a .env file (see README).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N worker processes sharing the port, the database and Redis (webhook mode)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="apply pending migrations and start the bot (the default)")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    commands.add_parser("check", help="check settings, survey file and database, then exit")
    console = commands.add_parser(
        "console", help="talk to the bot in this terminal, as a resident (no token needed)"
    )
    console.add_argument("--user", default="me", help="the resident to act as (default: me)")
    console.add_argument(
        "--staff",
        type=int,
        metavar="TELEGRAM_ID",
        help="act as this staff member instead: /stats, /export, /sessions",
    )
    console.add_argument("--out", default="exports", help="where /export writes (with --staff)")
    paper = commands.add_parser(
        "paper-form", help="write the printable survey form (DOCX) for paper answers"
    )
    paper.add_argument("--out", required=True, help="the .docx file to write")
    paper.add_argument("--lang", choices=("vi", "en"), default=None, help="default: DEFAULT_LOCALE")
    template = commands.add_parser(
        "paper-template",
        help="write the spreadsheet (XLSX) for typing in paper forms, to store with paper-import",
    )
    template.add_argument("--out", required=True, help="the .xlsx file to write")
    template.add_argument(
        "--lang", choices=("vi", "en"), default=None, help="default: DEFAULT_LOCALE"
    )
    export = commands.add_parser(
        "export",
        help="write the figures, questions and responses of a session (XLSX, CSV, PNG, DOCX)",
    )
    export.add_argument("--session", type=int, help="the session's number (see /sessions)")
    export.add_argument("--since", type=_local_date, help="first day, dd/mm/yyyy (ward's time)")
    export.add_argument("--until", type=_local_date, help="last day, dd/mm/yyyy (ward's time)")
    export.add_argument("--out", required=True, help="the directory to write the files into")
    export.add_argument(
        "--named", action="store_true", help="include the contacts of named questions (audited)"
    )
    export.add_argument(
        "--lang", choices=("vi", "en"), default=None, help="default: DEFAULT_LOCALE"
    )
    paper_import = commands.add_parser(
        "paper-import", help="store paper forms typed into the template (XLSX)"
    )
    paper_import.add_argument("file", help="the filled template (.xlsx)")
    paper_import.add_argument("--session", type=int, required=True, help="the session's number")
    backup = commands.add_parser(
        "backup", help="a consistent copy of the database while the bot runs (SQLite or pg_dump)"
    )
    backup.add_argument("--out", required=True, help="the new backup file")
    restore = commands.add_parser("restore", help="put a backup back into an empty database")
    restore.add_argument("file", help="a file written by python -m bot backup")
    args = parser.parse_args(argv)
    if args.command == "export" and args.session is None and not (args.since or args.until):
        parser.error("export needs --session ID, or --since and/or --until")
    args.command = args.command or "run"
    return args


def _local_date(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()  # noqa: DTZ007 (a day only)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 25/11/2026") from None


SHARED_PORT = os.environ.get("DOITHOAI_WORKER") is not None  # set by the `--workers` supervisor
SHUTDOWN_GRACE = 20.0  # seconds to finish the updates in flight (systemd waits 30)


async def run(settings: Settings) -> None:
    """Serve Telegram, Zalo or both, as the tokens say, until Ctrl-C or SIGTERM: by webhook
    through one web application when WEBHOOK_BASE_URL (Telegram) or ZALO_WEBHOOK_URL is set,
    by polling otherwise; and always the web console and the web chat. With neither token,
    only the web pages: a newcomer's first command (bot/web/first_run.py says how to sign in)."""
    # The message triage classifier is trained from its shipped corpus beside start-up (a
    # few seconds), not while the first resident who writes a question waits.
    threading.Thread(target=triage.warm_up, name="triage-warm-up", daemon=True).start()
    async with open_app(settings) as app:  # ADMIN_IDS applied, as for every command
        await serve(app)


async def serve(app: App) -> None:
    """Starts the channels, the web server, the delivery engine and the scheduler on `app`,
    and waits for a signal. Each part pushes its stopping on the app's stack as it starts,
    so they stop in the reverse order: the scheduler first (a running job finishes its
    work), then the web server stops taking requests and the updates already acknowledged
    are handled to the end, the progress tasks end, the engine finishes and records the
    messages in flight, the channels stop, and the app's own parts close last."""
    settings, stack = app.settings, app.stack
    stack.callback(log.info, "Stopped")
    await paper_answers.clean_unfinished_imports(app.sessionmaker)  # left by a crash
    # Reminders, digests and recurring sessions, run by one worker at a time (bot/leader.py);
    # a bad REMINDER_OFFSETS stops start-up here.
    scheduler = build_scheduler(app)
    leadership = Leadership(settings.database_url, scheduler.start, scheduler.stop)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)

    telegram_hook: TelegramWebhook | None = None
    if app.bot is not None:
        me = await start_telegram(app, settings)
        if settings.webhook_base_url:
            telegram_hook = TelegramWebhook(
                app.dispatcher, app.bot, settings.telegram_secret or "", app.sessionmaker
            )
    zalo: ZaloChannel | None = None
    if settings.zalo_token:
        zalo = ZaloChannel(
            settings, app.text_conversation(), metrics=app.metrics, delivery=app.delivery
        )
        stack.push_async_callback(zalo.close)
        zalo_name = await start_zalo(zalo)
    zalo_hook = zalo is not None and zalo.uses_webhook
    # The web console and the resident web chat are always served, with or without tokens.
    console = web_context(app)
    if app.bot is not None:
        console.extras[TELEGRAM_USERNAME] = me  # the hall poster's Telegram link
    web_app = build_web_app(
        app.sessionmaker,
        app.metrics,
        telegram=telegram_hook,
        scheduler_state=lambda: "leader" if leadership.leading else "standby",
        console=console,
    )
    if zalo_hook:
        zalo.add_routes(web_app)
    web_runner = web.AppRunner(web_app, handle_signals=False)
    await web_runner.setup()
    stack.push_async_callback(web_runner.cleanup)
    services: list[asyncio.Task[None]] = []  # the channels that poll
    stack.push_async_callback(cancel_all, services)
    if app.bot is not None:
        stack.push_async_callback(stop_polling, app)

    # What start-up made (imports, the survey, the app) lives as long as the process: kept
    # out of the collector's way, a full collection no longer stalls sending for a fifth
    # of a second (bench/delivery.py).
    gc.collect()
    gc.freeze()
    app.delivery.start()  # every outgoing message, within each channel's limits
    stack.push_async_callback(app.delivery.stop)  # the messages in flight are finished
    await app.progress.resume()  # announcements that were being sent at the last stop
    stack.push_async_callback(app.progress.close)

    if app.bot is not None and telegram_hook is None:
        services.append(asyncio.create_task(poll_telegram(app)))
        log.info("Telegram bot @%s started (long polling)", me)
    if zalo is not None and not zalo_hook:
        services.append(asyncio.create_task(zalo.poll(stop)))
        log.info("Zalo bot %s started (polling)", zalo_name)
    # Workers started together (`--workers N`) share the port; the kernel spreads the
    # connections between them.
    site = web.TCPSite(web_runner, settings.web_host, settings.web_port, reuse_port=SHARED_PORT)
    await site.start()
    # No new requests; the updates already acknowledged are handled to the end.
    stack.push_async_callback(stop_web, site, telegram_hook)
    log.info("Web server on %s:%d", settings.web_host, settings.web_port)
    if not SHARED_PORT:  # one process says it, not each worker
        await first_run.announce(app.sessionmaker, settings, utcnow())
    if telegram_hook is not None:
        await register_telegram_webhook(
            app.bot, app.dispatcher, settings.webhook_base_url, telegram_hook.secret
        )
        log.info("Telegram bot @%s started (webhook)", me)
    if zalo_hook:
        await zalo.register_webhook()
        log.info("Zalo bot %s started (webhook)", zalo_name)

    leading = asyncio.create_task(leadership.run())
    stack.push_async_callback(cancel_all, [leading])  # first to stop: the scheduler
    log.info("Press Ctrl-C to stop")
    await wait_until_stopped(stop, services)


async def poll_telegram(app: App) -> None:
    await app.dispatcher.start_polling(
        app.bot, handle_signals=False, allowed_updates=app.dispatcher.resolve_used_update_types()
    )


async def stop_polling(app: App) -> None:
    with contextlib.suppress(RuntimeError):  # "polling is not started"
        await app.dispatcher.stop_polling()


async def cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def stop_web(site: web.TCPSite, telegram_hook: TelegramWebhook | None) -> None:
    await site.stop()
    if telegram_hook is not None:
        await telegram_hook.wait_idle(SHUTDOWN_GRACE)


async def wait_until_stopped(stop: asyncio.Event, services: list[asyncio.Task[None]]) -> None:
    """Until a signal, or until a channel ends by itself (then its error is raised)."""
    stopper = asyncio.create_task(stop.wait())
    done, _pending = await asyncio.wait([stopper, *services], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for task in done:
        if task is not stopper and task.exception() is not None:
            raise task.exception()


async def start_telegram(app: App, settings: Settings) -> str:
    try:
        me = await app.bot.get_me()
    except TelegramUnauthorizedError:
        raise StartupError(
            "Telegram refused BOT_TOKEN: copy the token again from @BotFather"
        ) from None
    except TelegramNetworkError:
        where = settings.telegram_api_base or "api.telegram.org"
        raise StartupError(
            f"Cannot reach Telegram at {where}: check the network or TELEGRAM_API_BASE"
        ) from None
    await register_commands(app.bot)
    if not settings.webhook_base_url:
        # Polling and a webhook exclude each other; pending updates are kept, not dropped.
        await app.bot.delete_webhook(drop_pending_updates=False)
    menus = await register_staff_menus(app.bot, app.sessionmaker, settings.default_locale)
    if menus:
        log.info("Staff command menus set for %d staff members", menus)
    return me.username or str(me.id)


async def start_zalo(zalo: ZaloChannel) -> str:
    try:
        return await zalo.check()
    except ZaloAPIError as exc:
        if exc.fatal:
            raise StartupError(
                "Zalo refused ZALO_BOT_TOKEN: copy it again from Zalo Bot Creator"
            ) from None
        raise StartupError(f"Zalo answered {exc.code} {exc.description}: try again later") from None
    except httpx.TransportError:
        raise StartupError(
            f"Cannot reach Zalo at {zalo.settings.zalo_api_base}: check the network or ZALO_API_BASE"
        ) from None


async def write_paper_form(settings: Settings, out: str, locale: str | None) -> None:
    """The form the Fatherland Front hands out: the same questions as the chat, from the same
    survey file, so paper answers can be typed back and counted alike."""
    from bot.exports.paper_form import paper_form

    try:
        survey = load_survey(settings.survey_file)
    except SurveyError as exc:
        raise StartupError(f"Invalid SURVEY_FILE: {exc}") from None
    data = paper_form(
        survey,
        ward_name=settings.ward_name,
        locale=locale or settings.default_locale,
        chat_url=f"{settings.public_url}/chat",
    )
    try:
        await asyncio.to_thread(Path(out).write_bytes, data)
    except OSError as exc:
        raise StartupError(f"Cannot write {out}: {exc.strerror}") from None
    log.info("Paper form written to %s", out)


async def write_paper_template(settings: Settings, out: str, locale: str | None) -> None:
    """The spreadsheet staff type paper forms into, as /paper sends it, for the session answers
    go to now; `paper-import FILE --session ID` stores it."""
    from bot.exports.paper_template import paper_template
    from bot.services import sessions

    async with open_core(settings) as core, core.sessionmaker() as db, db.begin():
        session = await sessions.session_for_answers(
            db, utcnow(), settings.zone, settings.default_locale
        )
        title, session_id, survey = session.title, session.id, core.survey
    data = paper_template(survey, locale=locale or settings.default_locale, session_title=title)
    try:
        await asyncio.to_thread(Path(out).write_bytes, data)
    except OSError as exc:
        raise StartupError(f"Cannot write {out}: {exc.strerror}") from None
    log.info(
        "Paper-form template written to %s; once filled in: python -m bot paper-import %s "
        "--session %d",
        out,
        out,
        session_id,
    )


async def export(settings: Settings, args: argparse.Namespace) -> None:
    """The conference files, as /export sends them, written to a directory on the server.
    Audited like a staff export, as the operator at the server's console."""
    from bot.exports.bundle import run_export
    from bot.services import audit

    zone = settings.zone
    scope = Scope(
        session_id=args.session,
        since=_day_start(args.since, zone) if args.since else None,
        until=_day_start(args.until + timedelta(days=1), zone) if args.until else None,
    )
    async with open_core(settings) as core, core.sessionmaker() as db, db.begin():
        survey = core.survey
        if args.session is not None and await db.get(DialogueSession, args.session) is None:
            raise StartupError(f"There is no session {args.session}")
        await audit.record(
            db,
            actor_telegram_id=None,
            actor_role=None,
            action="export_named" if args.named else "export",
            target=f"session:{args.session}" if args.session is not None else None,
            detail={"via": "command line", "named": args.named},
            now=utcnow(),
        )
    try:
        result = await asyncio.to_thread(
            run_export,
            settings,
            survey,
            scope,
            Path(args.out),
            now=utcnow(),
            named=args.named,
            locale=args.lang,
        )
    except OSError as exc:
        raise StartupError(f"Cannot write into {args.out}: {exc.strerror}") from None
    summary = result.summary
    log.info(
        "Exported %d responses and %d questions into %s",
        summary.total_responses,
        summary.total_questions,
        args.out,
    )
    for path in result.files:
        print(path)


def _day_start(day: date, zone) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


async def import_paper(settings: Settings, file: str, session_id: int) -> None:
    """Paper forms typed into the template, stored as /paper does on Telegram; a file with any
    error stores nothing and each error is printed with its row and column."""
    from bot.i18n import use_locale
    from bot.services.paper_answers import import_paper_file

    async with open_core(settings) as core:
        try:
            with use_locale(settings.default_locale):
                result = await import_paper_file(
                    core.sessionmaker,
                    core.survey,
                    file,
                    session_id,
                    utcnow(),
                    locale=settings.default_locale,
                )
        except OSError as exc:
            raise StartupError(f"Cannot read {file}: {exc.strerror}") from None
    if not result.ok:
        for problem in result.problems:
            print(problem, file=sys.stderr)
        raise StartupError(f"{len(result.problems)} problem(s) in {file}; nothing was stored")
    log.info("Stored %d paper forms for %s", result.stored, result.session_title)


async def backup_database(settings: Settings, out: str) -> None:
    from bot.backup import BackupError, backup

    try:
        await asyncio.to_thread(backup, settings.database_url, Path(out))
    except BackupError as exc:
        raise StartupError(str(exc)) from None
    log.info("Backup written to %s", out)


async def restore_database(settings: Settings, file: str) -> None:
    """Into an empty database only; then `python -m bot migrate` (or the next start) brings an
    older backup's schema up to date."""
    from bot.backup import BackupError, restore

    try:
        await asyncio.to_thread(restore, settings.database_url, Path(file))
    except BackupError as exc:
        raise StartupError(str(exc)) from None
    log.info("Backup %s restored", file)


async def migrate(settings: Settings) -> None:
    async with open_core(settings):  # its start-up checks migrate the schema
        pass
    log.info("Database schema is up to date")


def several_workers(settings: Settings, count: int) -> str | None:
    """Why N workers cannot run with these settings, or None."""
    from bot.db import is_sqlite

    if is_sqlite(settings.database_url):
        return "--workers needs PostgreSQL (DATABASE_URL): SQLite serves one process"
    if settings.token and not settings.webhook_base_url:
        return "--workers needs Telegram by webhook (WEBHOOK_BASE_URL): only one process may poll"
    if settings.zalo_token and not settings.zalo_webhook_url:
        return "--workers needs Zalo by webhook (ZALO_WEBHOOK_URL): only one process may poll"
    if not settings.redis_url:
        return "--workers needs REDIS_URL, so that every worker sees every conversation"
    return None


RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # seconds, after each further exit
STABLE_AFTER = 60.0  # a worker that ran this long starts the back-off from the beginning


def supervise(count: int) -> int:
    """Starts `count` workers (`python -m bot run`, sharing the port), restarts one that
    exits unexpectedly (killed, or an error; after a back-off, so a worker that cannot start
    does not spin; one stopped cleanly on its own, exit code 0, stays stopped), and
    stops them together on Ctrl-C or SIGTERM. Each restart is logged and counted in every
    worker's /metrics (`doithoai_worker_restarts`, read from a file the workers are told of)."""
    # WORKERS: each worker sends at its share of the channels' rates.
    state = Path(tempfile.mkdtemp(prefix="doithoai-")) / "supervisor.json"
    env = {
        **os.environ,
        "DOITHOAI_WORKER": "1",
        "WORKERS": str(count),
        SUPERVISOR_STATE: str(state),
    }
    # Migrations once, before the workers: two processes upgrading one schema would collide.
    asyncio.run(migrate(load_settings()))
    restarts = 0
    write_supervisor_state(state, restarts)
    stopping = False

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env)

    children = [start() for _ in range(count)]
    started = [monotonic()] * count
    failures = [0] * count  # exits in a row, for the back-off
    restart_at: list[float | None] = [None] * count
    stopped = [False] * count  # exited cleanly: not restarted

    def forward(signal_number: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal_number)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        while not stopping:
            now = monotonic()
            for slot, child in enumerate(children):
                if restart_at[slot] is not None:
                    if now >= restart_at[slot] and not stopping:
                        children[slot], started[slot] = start(), now
                        restart_at[slot] = None
                        restarts += 1
                        write_supervisor_state(state, restarts)
                        log.warning("Worker %d restarted (pid %d)", slot + 1, children[slot].pid)
                    continue
                code = child.poll()
                if code is None or stopped[slot]:
                    continue
                if code == 0:  # stopped on purpose (SIGTERM to it alone): left stopped
                    stopped[slot] = True
                    log.info("Worker %d (pid %d) stopped; it is not restarted", slot + 1, child.pid)
                    continue
                if now - started[slot] >= STABLE_AFTER:
                    failures[slot] = 0
                delay = RESTART_DELAYS[min(failures[slot], len(RESTART_DELAYS) - 1)]
                failures[slot] += 1
                restart_at[slot] = now + delay
                log.warning(
                    "Worker %d (pid %d) exited unexpectedly (%s); restarting it in %.0f s",
                    slot + 1,
                    child.pid,
                    exit_reason(code),
                    delay,
                )
            if all(stopped):
                break
            sleep(0.2)
        for child in children:  # one started as the signal came was not told yet
            if stopping and child.poll() is None:
                child.send_signal(signal.SIGTERM)
        codes = [child.wait() for child in children]
    finally:
        state.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            state.parent.rmdir()
    return max((c for c in codes if c > 0), default=0)


def write_supervisor_state(path: Path, restarts: int) -> None:
    """Replaced at once, so a worker reading it never sees half a file."""
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"restarts": restarts}), encoding="utf-8")
    os.replace(partial, path)


def exit_reason(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit code {code}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.workers > 1 and args.command == "run":
        problem = several_workers(settings, args.workers)
        if problem:
            print(f"doithoai: {problem}", file=sys.stderr)
            return 2
        return supervise(args.workers)
    if args.command == "console" and args.staff is not None:
        from bot.channels.console_staff import run_staff_console

        command = lambda settings: run_staff_console(settings, args.staff, Path(args.out))  # noqa: E731
    elif args.command == "console":
        from bot.channels.console import run_console

        command = lambda settings: run_console(settings, args.user)  # noqa: E731
    elif args.command == "export":
        command = lambda settings: export(settings, args)  # noqa: E731
    elif args.command == "backup":
        command = lambda settings: backup_database(settings, args.out)  # noqa: E731
    elif args.command == "restore":
        command = lambda settings: restore_database(settings, args.file)  # noqa: E731
    elif args.command == "paper-import":
        command = lambda settings: import_paper(settings, args.file, args.session)  # noqa: E731
    elif args.command == "paper-template":
        command = lambda settings: write_paper_template(settings, args.out, args.lang)  # noqa: E731
    elif args.command == "paper-form":
        command = lambda settings: write_paper_form(settings, args.out, args.lang)  # noqa: E731
    else:
        command = {"run": run, "migrate": migrate, "check": migrate}[args.command]
    try:
        asyncio.run(command(settings))
    except StartupError as exc:
        print(f"doithoai: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.info("Stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
