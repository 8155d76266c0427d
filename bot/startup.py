"""Start-up checks shared by every command: translations, survey file, database reachable and
migrated, ADMIN_IDS applied. Each failure is one line saying what to fix."""

from __future__ import annotations

import logging

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import db as database
from bot import i18n
from bot.services import staff
from bot.settings import Settings
from bot.survey.definition import Survey, SurveyError, load_survey
from models import utcnow

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Something the operator must fix; printed as one line, without a traceback."""


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
        await apply_admin_ids(database.create_sessionmaker(engine), settings)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StartupError(
            f"Cannot use the database at DATABASE_URL={safe_url(settings.database_url)}: {reason}"
        ) from None
    finally:
        await engine.dispose()
    if not settings.ward_name.strip():
        # Not fatal (a trial runs without it), but printed documents would name no ward; said
        # after the checks, so a failing start-up still prints its one line alone.
        log.warning("WARD_NAME is not set: the notice, the report and the paper form name no ward")
    return survey


async def apply_admin_ids(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """ADMIN_IDS are active admins from this start on, whichever command starts (run, console,
    export, paper-import): the ward office is staff before anything else is set up, with or
    without a Telegram token."""
    async with sessionmaker() as db, db.begin():
        admins = await staff.bootstrap_admins(db, settings.admin_ids, utcnow())
    if settings.admin_ids:
        log.info("%d admins from ADMIN_IDS", len(admins))
