"""`python -m bot`: start the bot, or run one of its maintenance commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from sqlalchemy.engine import make_url

from bot import db as database
from bot import i18n
from bot.settings import ConfigError, Settings, load_settings
from bot.survey.definition import Survey, SurveyError, load_survey

log = logging.getLogger("doithoai")


class StartupError(Exception):
    """Something the operator must fix; printed as one line, without a traceback."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="doithoai: the ward dialogue chatbot. Settings come from the environment "
        "or a .env file (see README).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="apply pending migrations and start the bot (the default)")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    commands.add_parser("check", help="check settings, survey file and database, then exit")
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    return args


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def prepare(settings: Settings) -> Survey:
    """Everything start-up checks before talking to Telegram, with one clear line per failure."""
    try:
        i18n.install()
    except i18n.TranslationsMissing as exc:
        raise StartupError(str(exc)) from None
    try:
        survey = load_survey(settings.survey_file)
    except SurveyError as exc:
        raise StartupError(f"Invalid SURVEY_FILE: {exc}") from None
    engine = database.create_engine(settings.database_url)
    try:
        await database.ping(engine)
        await database.upgrade_schema(engine)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StartupError(
            f"Cannot use the database at DATABASE_URL={safe_url(settings.database_url)}: {reason}"
        ) from None
    finally:
        await engine.dispose()
    return survey


async def run(settings: Settings) -> None:
    from bot.app import build_app
    from bot.telegram import register_commands

    if not settings.token:
        raise StartupError(
            "BOT_TOKEN is not set: create a bot with @BotFather in Telegram and put its token "
            "in .env as BOT_TOKEN=..."
        )
    survey = await prepare(settings)
    app = build_app(settings, survey=survey)
    assert app.bot is not None
    try:
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
        # Polling and a webhook exclude each other; pending updates are kept, not dropped.
        await app.bot.delete_webhook(drop_pending_updates=False)
        log.info("Bot @%s started (long polling); press Ctrl-C to stop", me.username)
        await app.dispatcher.start_polling(
            app.bot, allowed_updates=app.dispatcher.resolve_used_update_types()
        )
    finally:
        await app.close()
        log.info("Stopped")


async def migrate(settings: Settings) -> None:
    await prepare(settings)
    log.info("Database schema is up to date")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise
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
