"""The resident's journey as numbered text: consent, menu, survey, sessions, /dulieu.

`TextConversation.handle` takes one inbound message and returns the replies. Each screen has
a `_show_*` method (what the resident reads) and an `_on_*` method (what their answer does);
every rule of the survey lives in `bot.services`, shared with the Telegram dialogs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import pairwise
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import i18n
from bot.conversation import asides, parsing, understanding
from bot.conversation.ask import Download, OnQuestion, QuestionScreens
from bot.conversation.errors import Retry
from bot.conversation.inbound import Inbound, Kind
from bot.conversation.language import detect_language
from bot.conversation.parsing import Keyword
from bot.exports.day_before import export_dir, refresh_exports
from bot.i18n import _
from bot.services import consent, data_rights, residents, sessions
from bot.services import survey as survey_service
from bot.services.consent import PURPOSES, Purpose
from bot.services.questions import clean_text
from bot.services.residents import ResidentRef
from bot.services.survey import Draft, IncompleteSurvey, InvalidAnswer
from bot.settings import Settings
from bot.storage import RecentlyUsed
from bot.survey import flow
from bot.survey.definition import Question, QuestionType, Survey
from bot.texts import (
    CONSENT_QUESTIONS,
    NOTICE,
    NOTICE_SHORT,
    consent_action,
    data_report,
    plain,
    procedure_line,
    rating_summary,
    session_entry,
    ward_committee,
)
from models import utcnow
from models.conversations import claim_delivery, load_state, save_state

log = logging.getLogger(__name__)

# Words that ask for the full notice, besides "9" (read with or without diacritics).
DETAILS_WORDS = ["chi tiết", "đầy đủ", "details", "more"]

Clock = Callable[[], datetime]


@dataclass
class Turn:
    """Everything one inbound message needs while it is handled."""

    db: AsyncSession
    inbound: Inbound
    state: dict[str, Any]
    resident: ResidentRef | None
    locale: str
    now: datetime
    replies: list[str] = field(default_factory=list)
    # The stored chat account, once known: where the state is saved at the end of the turn.
    account_id: int | None = None
    # Run once the turn's transaction has committed (e.g. telling staff of a new question).
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # An image the message links to, fetched before the turn's transaction began.
    image: bytes | None = None

    @property
    def screen(self) -> str:
        return self.state.get("screen", "notice")

    def go(self, screen: str, **values: Any) -> None:
        self.state["screen"] = screen
        self.state.update(values)


class TextConversation(QuestionScreens):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        survey: Survey,
        settings: Settings,
        clock: Clock = utcnow,
        download: Download | None = None,
        on_question: OnQuestion | None = None,
    ) -> None:
        self.download = download
        self.on_question = on_question
        self.sessionmaker = sessionmaker
        self.survey = survey
        self.settings = settings
        self.clock = clock
        # Before consent nothing is stored: the notice step lives in memory only, for the most
        # recent first contacts (one who comes back after many others sees the notice again).
        self._pending: RecentlyUsed[tuple[str, str], dict[str, Any]] = RecentlyUsed()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def handle(self, inbound: Inbound) -> list[str]:
        key = (inbound.channel, inbound.user_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        # One message at a time per resident, whatever the driver does.
        after: list[Callable[[], Awaitable[None]]] = []
        async with lock:
            # Network first, with no database connection held: SQLite has only one.
            image = await self._fetch_image(inbound)
            async with self.sessionmaker() as db:
                replies = await self._handle(db, inbound, after, image)
                await db.commit()
        if not lock.locked():
            self._locks.pop(key, None)
        for job in after:  # outside the resident's lock: these may wait on other services
            try:
                await job()
            except Exception as exc:  # what is stored stays stored; the resident gets replies
                log.warning("After-commit job failed: %s", type(exc).__name__)
        return replies

    # --- one message ---------------------------------------------------------------------

    async def _handle(
        self,
        db: AsyncSession,
        inbound: Inbound,
        after: list[Callable[[], Awaitable[None]]] | None = None,
        image: bytes | None = None,
    ) -> list[str]:
        if inbound.message_id and not await claim_delivery(db, inbound.channel, inbound.message_id):
            return []  # the platform delivered this message before
        turn = await self._load(db, inbound)
        turn.image = image
        if after is not None:
            turn.after_commit = after
        with i18n.use_locale(turn.locale):
            if inbound.is_group:
                return [_("Please write to the bot in a private chat.")]
            await self._respond(turn)
            if turn.screen not in asides.ANSWER_SCREENS:
                turn.state.pop(asides.BACK_TO, None)  # the resident went on from there
            await self._show(turn)
        await self._store(turn)
        return turn.replies

    async def _load(self, db: AsyncSession, inbound: Inbound) -> Turn:
        resident = await residents.find(db, inbound.channel, inbound.user_id)
        account_id = None
        if resident is not None:
            stored = await load_state(db, inbound.channel, inbound.user_id)
            account_id, state = (stored[0], dict(stored[1])) if stored else (None, {})
            locale = resident.locale
        else:
            state = self._pending.setdefault((inbound.channel, inbound.user_id), {})
            locale = state.get("locale") or self._first_language(inbound)
            state["locale"] = locale
        return Turn(db, inbound, state, resident, locale, self.clock(), account_id=account_id)

    def _first_language(self, inbound: Inbound) -> str:
        """Zalo says nothing about a user's language: read it from their first words."""
        detected = detect_language(inbound.text) if inbound.text else None
        return detected or self.settings.default_locale

    async def _store(self, turn: Turn) -> None:
        if turn.resident is None:  # never stored, or erased during this turn: nothing is kept
            return
        if turn.account_id is None:  # the account was created during this turn (consent)
            turn.account_id = await residents.account_id(
                turn.db, turn.inbound.channel, turn.inbound.user_id
            )
        await save_state(turn.db, turn.account_id, turn.state)

    async def _respond(self, turn: Turn) -> None:
        inbound = turn.inbound
        if turn.state.get("screen") is None:
            if turn.resident is None:
                turn.go("notice")  # a first message, whatever it says, is answered by the notice
                return
            await self._home(turn)  # known, with no conversation kept: read from the menu
            if turn.screen == "notice":
                return
        if await self._take_image(turn):
            return
        if inbound.kind is not Kind.TEXT or not clean_text(inbound.text):
            turn.replies.append(_("Please type your answer as a text message."))
            return
        text = inbound.text or ""
        word = parsing.keyword(text)
        if await self._global(turn, text, word):
            return
        try:
            await self._on_screen(turn, text, word)
        except Retry as hint:
            turn.replies.append(str(hint))
        except InvalidAnswer as problem:
            turn.replies.append(str(problem))

    async def _on_screen(self, turn: Turn, text: str, word: Keyword | None) -> None:
        """The reply, read against the screen the resident is on."""
        handler = getattr(self, f"_on_{turn.screen.replace(':', '_')}", None)
        if handler is None:
            await self._home(turn)
            return
        await handler(turn, text, word)

    async def _global(self, turn: Turn, text: str, word: Keyword | None) -> bool:
        """Words that work on every screen once the notice was answered."""
        if word is Keyword.HELP:
            turn.replies.append(self._help())
            return True
        if word is Keyword.LANGUAGE:
            await self._switch_language(turn)
            return True
        if turn.resident is None:
            return False  # before consent only the notice's own answers count
        if word is Keyword.START:
            await self._home(turn, resume=True)
            return True
        if word is Keyword.RESTART:
            await self._start_over(turn)
            return True
        if word is Keyword.MENU or (word is Keyword.CANCEL and turn.screen != "menu"):
            turn.go("menu")
            return True
        if word is Keyword.DATA:
            turn.go("data")
            return True
        aside = asides.read(text)
        if aside is asides.Aside.VIEW_ANSWER:
            await self._view_answer(turn)
        elif aside is asides.Aside.ASK:
            await self._open(turn, "ask")
        elif aside is asides.Aside.RATE:
            await self._rate_now(turn)
        return aside is not None

    # --- rendering ---------------------------------------------------------------------

    async def _show(self, turn: Turn) -> None:
        render = getattr(self, f"_show_{turn.screen.replace(':', '_')}")
        turn.replies.append(await render(turn))

    def _help(self) -> str:
        return _(
            "This bot collects your rating of the ward's administrative procedures for the "
            "dialogue conference. Reply with the number of your choice. Words that always "
            "work: menu, quay lại (back), giúp (help), dulieu (your data), English / Tiếng "
            "Việt (language). Complaints and denunciations are not handled here: please go to "
            "the ward's citizen reception."
        )

    @staticmethod
    def _numbered(lines: list[tuple[int | str, str]]) -> str:
        return "\n".join(f"{key}. {label}" for key, label in lines)

    # --- consent -----------------------------------------------------------------------

    async def _show_notice(self, turn: Turn) -> str:
        """The notice in one phone screen; "9" shows it in full, once, above the question."""
        details = turn.state.pop("notice_details", False)
        notice = _(NOTICE if details else NOTICE_SHORT).format(
            ward=ward_committee(self.settings), months=self.settings.retention_months
        )
        parts = [notice]
        if not details:
            parts.append(_("9 = read the full notice"))
        return "\n\n".join([*parts, self._consent_question(Purpose.SURVEY), self._yes_no_hint()])

    def _consent_question(self, purpose: Purpose) -> str:
        return plain(_(CONSENT_QUESTIONS[purpose]))

    def _yes_no_hint(self) -> str:
        return self._numbered([(1, _("✅ I agree")), (2, _("✖ I do not agree"))])

    def _yes_or_no(self, text: str, word: Keyword | None) -> bool:
        meaning = understanding.understood(
            text, understanding.yes_no_screen(), _("Please reply 1 to agree or 2 to decline.")
        )
        return meaning.choices == {0}

    async def _on_notice(self, turn: Turn, text: str, word: Keyword | None) -> None:
        if parsing.parse_number(text) == 9 or parsing.match_label(text, DETAILS_WORDS) is not None:
            turn.state["notice_details"] = True
            return
        await self._record_consent(turn, Purpose.SURVEY, self._yes_or_no(text, word))
        given = turn.state.pop("given", False)
        turn.go("consent:reminders" if given else "declined")

    async def _on_consent_reminders(self, turn: Turn, text: str, word: Keyword | None) -> None:
        await self._record_consent(turn, Purpose.REMINDERS, self._yes_or_no(text, word))
        turn.go("consent:contact")

    async def _on_consent_contact(self, turn: Turn, text: str, word: Keyword | None) -> None:
        await self._record_consent(turn, Purpose.CONTACT, self._yes_or_no(text, word))
        await self._home(turn, resume=True)

    async def _show_consent_reminders(self, turn: Turn) -> str:
        return "\n".join(
            [
                self._consent_question(Purpose.REMINDERS),
                _("Only this chat account is used; no phone number is needed."),
                "",
                self._yes_no_hint(),
            ]
        )

    async def _show_consent_contact(self, turn: Turn) -> str:
        return "\n".join(
            [
                self._consent_question(Purpose.CONTACT),
                _(
                    "Without this, your opinions stay anonymous and go only into the conference "
                    "digest."
                ),
                "",
                self._yes_no_hint(),
            ]
        )

    async def _show_declined(self, turn: Turn) -> str:
        return "\n\n".join(
            [
                _(
                    "Your choice is recorded: you will not be asked survey questions, and "
                    "nothing else about you is stored. You can still see the upcoming dialogue "
                    "sessions, and change your mind at any time from the menu."
                ),
                self._numbered([(1, _("Main menu"))]),
            ]
        )

    async def _on_declined(self, turn: Turn, text: str, word: Keyword | None) -> None:
        turn.go("menu")

    async def _record_consent(self, turn: Turn, purpose: Purpose, given: bool) -> None:
        inbound = turn.inbound
        if turn.resident is None:
            turn.resident = await residents.get_or_create(
                turn.db, inbound.channel, inbound.user_id, turn.locale
            )
            self._pending.pop((inbound.channel, inbound.user_id), None)
            turn.state.pop("locale", None)
        await self._log_consent(turn, purpose, given)
        turn.state["given"] = given

    async def _log_consent(self, turn: Turn, purpose: Purpose, given: bool) -> None:
        """Log a known resident's decision from this channel under the current notice."""
        await consent.record(
            turn.db,
            turn.resident.id,
            purpose,
            given,
            channel=turn.inbound.channel,
            notice_version=self.settings.notice_version,
            now=turn.now,
        )

    async def _survey_allowed(self, turn: Turn) -> bool:
        if turn.resident is None:
            return False
        decisions = await consent.decisions(turn.db, turn.resident.id)
        return consent.granted(decisions, Purpose.SURVEY)

    # --- home and menu -------------------------------------------------------------------

    async def _home(self, turn: Turn, *, resume: bool = False) -> None:
        """Consent first for someone new; their unfinished rating if there is one; else the
        menu. The same landing rules as Telegram's /start."""
        if turn.resident is None:
            turn.go("notice")
            return
        decisions = await consent.decisions(turn.db, turn.resident.id)
        if Purpose.SURVEY not in decisions:
            turn.go("notice")
            return
        if resume and consent.granted(decisions, Purpose.SURVEY):
            summary = await survey_service.find_draft(turn.db, turn.resident.id)
            if summary is not None:
                draft = await survey_service.load(
                    turn.db, self.survey, summary.response_id, turn.resident.id
                )
                if draft is not None:
                    turn.replies.append(_("Welcome back! You can continue where you left off."))
                    self._open_draft(turn, draft)
                    return
        turn.go("menu")

    def _menu_items(self, turn: Turn) -> list[tuple[str, str]]:
        items = []
        field = turn.state.get("menu_draft_field")
        if field:
            items.append(
                ("continue", _("▶️ Continue rating: {draft_field}").format(draft_field=field))
            )
        items += [
            ("rate", _("📝 Rate a field's procedures")),
            ("ask", _("✉️ Send a question or recommendation")),
            ("mine", _("📬 My questions")),
            ("sessions", _("📅 Upcoming dialogue sessions")),
            ("language", _("🌐 Switch to the other language")),
            ("data", _("🔒 My data")),
        ]
        return items

    async def _show_menu(self, turn: Turn) -> str:
        turn.state["menu_draft_field"] = None
        turn.state["menu_draft"] = None
        if turn.resident is not None and await self._survey_allowed(turn):
            summary = await survey_service.find_draft(turn.db, turn.resident.id)
            if summary is not None:
                field = self.survey.field(summary.field)
                turn.state["menu_draft"] = summary.response_id
                turn.state["menu_draft_field"] = field.label.get(turn.locale) if field else ""
        items = self._menu_items(turn)
        return "\n".join(
            [
                plain(_("<b>Main menu</b>")),
                _("What would you like to do?"),
                self._numbered([(i, label) for i, (_key, label) in enumerate(items, start=1)]),
                _("Reply with a number."),
            ]
        )

    async def _on_menu(self, turn: Turn, text: str, word: Keyword | None) -> None:
        items = self._menu_items(turn)
        number = parsing.parse_number(text)
        if number is None or not 1 <= number <= len(items):
            raise Retry(_("Please reply with a number from 1 to {last}.").format(last=len(items)))
        await self._open(turn, items[number - 1][0])

    async def _open(self, turn: Turn, choice: str) -> None:
        """What a menu entry leads to (also the numbered replies of a reminder)."""
        if choice == "continue":
            draft = await survey_service.load(
                turn.db, self.survey, turn.state["menu_draft"], turn.resident.id
            )
            if draft is None:
                turn.go("menu")
                return
            self._open_draft(turn, draft)
        elif choice in ("rate", "ask", "mine"):
            if not await self._survey_allowed(turn):
                turn.go("notice")
            elif choice == "rate":
                turn.go("field")
            elif choice == "mine":
                turn.go("mine")
            else:  # a question left half-way is waiting where it stopped
                ask = turn.state.get("ask") or {}
                turn.go(
                    "ask:review"
                    if ask.get("text")
                    else "ask:text"
                    if ask.get("field")
                    else "ask:field"
                )
        elif choice == "sessions":
            turn.go("sessions")
        elif choice == "language":
            await self._switch_language(turn)
        else:
            turn.go("data")

    async def _switch_language(self, turn: Turn) -> None:
        turn.locale = "en" if turn.locale == "vi" else "vi"
        if turn.resident is not None:
            await residents.set_locale(turn.db, turn.resident.id, turn.locale)
        else:
            turn.state["locale"] = turn.locale
        i18n.set_locale(turn.locale)

    async def _rate_now(self, turn: Turn) -> None:
        """The reminder's word "đánh giá": the rating left half-way, else a field to rate."""
        summary = None
        if await self._survey_allowed(turn):
            summary = await survey_service.find_draft(turn.db, turn.resident.id)
        if summary is not None:
            draft = await survey_service.load(
                turn.db, self.survey, summary.response_id, turn.resident.id
            )
            if draft is not None:
                self._open_draft(turn, draft)
                return
        await self._open(turn, "rate")

    # --- after a reminder of an earlier version (its numbered replies) --------------------

    async def _show_reminder(self, turn: Turn) -> str:
        return _("Reply 1 to send a question, 2 to rate a field.")

    async def _on_reminder(self, turn: Turn, text: str, word: Keyword | None) -> None:
        """A conversation an earlier version put here when it sent a reminder (reminders now
        leave the conversation where it is): 1 sends a question, 2 rates a field; anything
        else is taken as if no reminder had come."""
        turn.state.pop("session", None)
        number = parsing.parse_number(text)
        if number in (1, 2):
            await self._open(turn, "ask" if number == 1 else "rate")
        else:
            await self._home(turn, resume=True)

    # --- sessions ----------------------------------------------------------------------

    async def _show_sessions(self, turn: Turn) -> str:
        lines = [plain(_("<b>Upcoming dialogue sessions</b>"))]
        upcoming = await sessions.upcoming(turn.db, turn.now, self.settings.zone)
        lines += [plain(session_entry(session, self.settings)) for session in upcoming]
        if not upcoming:
            lines.append(_("No session is planned yet."))
        lines.append(_("0 = back to the menu"))
        return "\n\n".join(lines)

    async def _on_sessions(self, turn: Turn, text: str, word: Keyword | None) -> None:
        turn.go("menu")

    # --- choosing what to rate -----------------------------------------------------------

    async def _show_field(self, turn: Turn) -> str:
        session = await sessions.session_for_answers(
            turn.db, turn.now, self.settings.zone, self.settings.default_locale
        )
        turn.state["sid"] = session.id
        rated = await survey_service.rated_fields(turn.db, turn.resident.id, session.id)
        lines = [
            (i, ("✅ " if f.id in rated else "") + f.label.get(turn.locale))
            for i, f in enumerate(self.survey.fields, start=1)
        ]
        parts = [
            plain(_("<b>Rate a field's procedures</b> · {session}").format(session=session.title)),
            _("Which field was your procedure in?"),
            self._numbered(lines),
        ]
        if rated:
            parts.append(_("✅ = already rated for this session; you can rate it again."))
        parts.append(_("Reply with a number; 0 = back."))
        return "\n".join(parts)

    async def _on_field(self, turn: Turn, text: str, word: Keyword | None) -> None:
        fields = self.survey.fields
        index = self._choose(
            text, [f.label.get(turn.locale) for f in fields], word, back="menu", turn=turn
        )
        if index is None:
            return
        field = fields[index]
        turn.state["field"] = field.id
        if await survey_service.has_submitted(
            turn.db, turn.resident.id, turn.state["sid"], field.id
        ):
            turn.go("replace")
        else:
            await self._after_field(turn)

    async def _after_field(self, turn: Turn) -> None:
        field = self.survey.field(turn.state["field"])
        if field and field.procedures:
            turn.go("procedure")
        else:
            await self._begin(turn, None)

    async def _show_replace(self, turn: Turn) -> str:
        field = self.survey.field(turn.state["field"])
        return "\n\n".join(
            [
                plain(
                    _(
                        "You have already rated <b>{field}</b> for this session. Rate it again? "
                        "Your new answers will replace the earlier ones when you submit them; "
                        "until then the earlier ones stay."
                    ).format(field=field.label.get(turn.locale))
                ),
                self._numbered([(1, _("Yes, rate again")), (2, _("No, go back"))]),
            ]
        )

    async def _on_replace(self, turn: Turn, text: str, word: Keyword | None) -> None:
        if self._yes_or_no(text, word):
            await self._after_field(turn)
        else:
            turn.go("field")

    async def _show_procedure(self, turn: Turn) -> str:
        field = self.survey.field(turn.state["field"])
        procedures = [p.label.get(turn.locale) for p in field.procedures]
        lines = list(enumerate(procedures, start=1))
        lines.append((len(procedures) + 1, _("Another one / not sure")))
        return "\n".join(
            [
                field.label.get(turn.locale),
                _("Which procedure was it? (optional)"),
                self._numbered(lines),
                _("Reply with a number; 0 = back."),
            ]
        )

    async def _on_procedure(self, turn: Turn, text: str, word: Keyword | None) -> None:
        field = self.survey.field(turn.state["field"])
        labels = [p.label.get(turn.locale) for p in field.procedures]
        labels.append(_("Another one / not sure"))
        if word is Keyword.SKIP:
            await self._begin(turn, None)
            return
        index = self._choose(text, labels, word, back="field", turn=turn)
        if index is None:
            return
        await self._begin(
            turn, field.procedures[index].id if index < len(field.procedures) else None
        )

    def _choose(
        self, text: str, labels: list[str], word: Keyword | None, *, back: str, turn: Turn
    ) -> int | None:
        """The index of the chosen line, by number or by its words; None after going back."""
        meaning = understanding.understood(
            text,
            understanding.numbered_screen(labels),
            _("Please reply with a number from 1 to {last}.").format(last=len(labels)),
        )
        if meaning.navigation is Keyword.BACK:
            turn.go(back)
            return None
        return min(meaning.choices)

    async def _begin(self, turn: Turn, procedure: str | None) -> None:
        draft = await survey_service.start(
            turn.db,
            self.survey,
            resident_id=turn.resident.id,
            session_id=turn.state["sid"],
            field=turn.state["field"],
            procedure=procedure,
            channel=turn.inbound.channel,
        )
        self._open_draft(turn, draft)

    # --- the questions -------------------------------------------------------------------

    def _open_draft(self, turn: Turn, draft: Draft) -> None:
        turn.state["draft"] = draft.as_dict()
        turn.go("review" if draft.position == flow.REVIEW else "question")

    async def _draft(self, turn: Turn) -> Draft | None:
        kept = turn.state.get("draft")
        if kept is None:
            return None
        draft = Draft.from_dict(kept)
        if draft.resident_id != turn.resident.id:
            return None
        return draft

    def _keep(self, turn: Turn, draft: Draft) -> None:
        self._open_draft(turn, draft)

    @staticmethod
    def option_keys(question: Question) -> list[int]:
        """The number a resident types for each option. Every rating scale runs the same way,
        best first and numbered from the top down, so the best is the highest number: 5 = very
        satisfied … 1 on the 5-point scale, 3 = very satisfied … 1 = not satisfied on the
        3-level one; unscored options such as "not applicable" follow the highest. Other
        questions count 1, 2, 3 in order. (Only the numbers differ: the stored codes do not.)"""
        scores = [o.score for o in question.options if o.score is not None]
        best_first = all(a > b for a, b in pairwise(scores))
        if question.scale is None or len(scores) < 2 or not best_first:
            return list(range(1, len(question.options) + 1))
        keys, rank, above = [], len(scores), len(scores)
        for option in question.options:
            if option.score is not None:
                keys.append(rank)
                rank -= 1
            else:
                above += 1
                keys.append(above)
        return keys

    async def _show_question(self, turn: Turn) -> str:
        draft = await self._draft(turn)
        if draft is None or draft.position == flow.REVIEW:
            return await self._lost(turn)
        question = self.survey.question(draft.position)
        number, total = flow.progress(self.survey, draft.answers, question.code)
        field = self.survey.field(draft.field)
        parts = [
            plain(
                _("<b>{field}</b> · Question {number}/{total}").format(
                    field=field.label.get(turn.locale), number=number, total=total
                )
            )
        ]
        if question.element:
            parts.append(question.element.get(turn.locale))
        parts.append("")
        parts.append(question.text.get(turn.locale))
        current = draft.answers.get(question.code)
        if question.type is QuestionType.TEXT:
            if current:
                parts.append(plain(_("Your answer so far: <i>{typed}</i>").format(typed=current)))
            parts.append(_("Type your answer and send it as a message."))
        else:
            chosen = set(flow.split_multi(current))
            keys = self.option_keys(question)
            lines = [
                (key, ("✓ " if o.code in chosen else "") + o.label.get(turn.locale))
                for key, o in zip(keys, question.options, strict=True)
            ]
            parts.append(self._numbered(lines))
            if question.type is QuestionType.MULTI:
                parts.append(
                    _("Reply with the numbers of your choices, e.g. 1 3 (at most {max}).").format(
                        max=question.max
                    )
                )
            elif number == 1:
                parts.append(_("Reply with one number."))
        # How to go back or leave is said once, on the first question; later screens add
        # only what is new there (skipping an optional question). "giúp" repeats it all.
        extras = [_("0 = back"), _('"menu" = save and exit')] if number == 1 else []
        if question.optional:
            extras.insert(1 if extras else 0, _('"bỏ qua" = skip'))
        if extras:
            parts.append(" · ".join(extras))
        return "\n".join(parts)

    async def _on_question(self, turn: Turn, text: str, word: Keyword | None) -> None:
        draft = await self._draft(turn)
        if draft is None or draft.position == flow.REVIEW:
            await self._home(turn, resume=True)
            return
        question = self.survey.question(draft.position)
        value = self._read_answer(question, text, word, turn.locale)
        if value is Keyword.BACK:
            await self._back(turn, draft)
            return
        if value is Keyword.SKIP:
            await survey_service.skip(turn.db, self.survey, draft, question.code)
            self._keep(turn, draft)
            return
        await survey_service.answer(turn.db, self.survey, draft, question.code, value)
        self._keep(turn, draft)
        await self._after_answer(turn, draft, question)

    def _read_answer(
        self, question: Question, text: str, word: Keyword | None, locale: str
    ) -> str | list[str] | Keyword:
        """The answer typed (option codes, or the text), or ``Keyword.BACK``/``SKIP``."""
        if question.type is QuestionType.TEXT:
            # "không" is both "no" and the number zero: as an answer it is text.
            if word is Keyword.BACK or (parsing.parse_number(text) == 0 and word is not Keyword.NO):
                return Keyword.BACK
            return Keyword.SKIP if word is Keyword.SKIP else text
        if question.type is QuestionType.MULTI:
            hint = _(
                "Please reply with the numbers of your choices, e.g. 1 3 (at most {max})."
            ).format(max=question.max)
        else:
            choices = ", ".join(str(k) for k in self.option_keys(question))
            hint = _("Please reply with one of these numbers: {choices}.").format(choices=choices)
        meaning = understanding.understood(text, self._question_screen(question, locale), hint)
        if meaning.navigation is not None:
            return meaning.navigation
        codes = [question.options[i].code for i in sorted(meaning.choices)]
        return codes if question.type is QuestionType.MULTI else codes[0]

    def _question_screen(self, question: Question, locale: str) -> understanding.Screen:
        options = tuple(
            understanding.Option(
                key, option.label.get(locale), (option.label.vi, option.label.en), option.score
            )
            for key, option in zip(self.option_keys(question), question.options, strict=True)
        )
        return understanding.Screen(
            options,
            multi=question.type is QuestionType.MULTI,
            yes_no=question.type is QuestionType.YES_NO,
            navigation=frozenset({Keyword.BACK, Keyword.SKIP}),
        )

    async def _start_over(self, turn: Turn) -> None:
        """ "làm lại", "từ đầu": a rating in progress goes back to its first question, answers
        kept (each shown ✓, changed by typing again); anywhere else, as /start."""
        draft = await self._draft(turn) if turn.screen in ("question", "review") else None
        if draft is None:
            await self._home(turn, resume=True)
            return
        first = flow.visible_questions(self.survey, draft.answers)[0]
        await survey_service.move(turn.db, self.survey, draft, first.code)
        self._keep(turn, draft)
        turn.replies.append(
            _("Back to the first question. Your answers so far are kept: reply to change them.")
        )

    async def _back(self, turn: Turn, draft: Draft) -> None:
        previous = flow.previous_position(self.survey, draft.answers, draft.position)
        if previous is None:
            turn.go("field")
            return
        await survey_service.move(turn.db, self.survey, draft, previous)
        self._keep(turn, draft)

    async def _after_answer(self, turn: Turn, draft: Draft, question: Question) -> None:
        if question.requires_consent and draft.answers.get(question.code) == "yes":
            decisions = await consent.decisions(turn.db, turn.resident.id)
            if not consent.granted(decisions, Purpose(question.requires_consent)):
                turn.go("contact")

    async def _show_contact(self, turn: Turn) -> str:
        return "\n\n".join(
            [
                _(
                    "To reply to you or invite you to speak, the ward needs your consent to pass "
                    "your question, with your name and phone, to the official in charge and the "
                    "ward's Fatherland Front. Do you agree?"
                ),
                _(
                    "Without it, your opinion stays anonymous and goes only into the conference digest."
                ),
                self._numbered([(1, _("✅ I agree")), (2, _("✖ Stay anonymous"))]),
            ]
        )

    async def _on_contact(self, turn: Turn, text: str, word: Keyword | None) -> None:
        given = self._yes_or_no(text, word)
        await self._log_consent(turn, Purpose.CONTACT, given)
        if not given:
            turn.replies.append(_("Your opinion stays anonymous; no individual reply will follow."))
        draft = await self._draft(turn)
        if draft is not None:
            self._keep(turn, draft)
        else:
            turn.go("menu")

    # --- review, submit, thanks ----------------------------------------------------------

    async def _show_review(self, turn: Turn) -> str:
        draft = await self._draft(turn)
        if draft is None:
            return await self._lost(turn)
        field = self.survey.field(draft.field)
        lines = []
        for number, question in enumerate(
            flow.visible_questions(self.survey, draft.answers), start=1
        ):
            label = flow.answer_label(question, draft.answers.get(question.code), turn.locale)
            lines.append(f"{number}. {question.title(turn.locale)}: {label or _('(skipped)')}")
        procedure = procedure_line(self.survey, draft.field, draft.procedure, turn.locale)
        return "\n".join(
            [
                plain(
                    _("<b>Please check your answers: {field}</b>").format(
                        field=field.label.get(turn.locale)
                    )
                ),
                *([procedure] if procedure else []),
                *lines,
                "",
                _('Reply "gửi" to submit, the number of an answer to change it, or 0 to go back.'),
            ]
        )

    async def _on_review(self, turn: Turn, text: str, word: Keyword | None) -> None:
        draft = await self._draft(turn)
        if draft is None:
            await self._home(turn, resume=True)
            return
        if word is Keyword.SUBMIT:
            await self._submit(turn, draft)
            return
        number = parsing.parse_number(text)
        visible = flow.visible_questions(self.survey, draft.answers)
        if number == 0 or word is Keyword.BACK:
            await self._back(turn, draft)
            return
        if number is None or not 1 <= number <= len(visible):
            raise Retry(
                _('Reply "gửi" to submit, the number of an answer to change it, or 0 to go back.')
            )
        await survey_service.move(turn.db, self.survey, draft, visible[number - 1].code)
        self._keep(turn, draft)

    async def _submit(self, turn: Turn, draft: Draft) -> None:
        try:
            await survey_service.submit(turn.db, self.survey, draft, turn.now)
        except IncompleteSurvey as incomplete:
            await survey_service.move(turn.db, self.survey, draft, incomplete.missing[0].code)
            self._keep(turn, draft)
            turn.replies.append(_("Please answer this question first."))
            return
        turn.state["draft"] = None
        turn.go("done", done={"field": draft.field, "answers": draft.answers})

    async def _show_done(self, turn: Turn) -> str:
        done = turn.state.get("done") or {}
        field = self.survey.field(done.get("field", ""))
        parts = [
            plain(
                _("🙏 Thank you! Your rating of <b>{field}</b> has been recorded.").format(
                    field=field.label.get(turn.locale) if field else ""
                )
            ),
            rating_summary(self.survey, done.get("answers", {})),
            "",
            self._numbered([(1, _("📝 Rate another field")), (2, _("🏠 Main menu"))]),
        ]
        return "\n".join(parts)

    async def _on_done(self, turn: Turn, text: str, word: Keyword | None) -> None:
        turn.go("field" if parsing.parse_number(text) == 1 else "menu")

    async def _lost(self, turn: Turn) -> str:
        turn.go("menu")
        return "\n\n".join(
            [
                _("This rating is no longer available. Please start again from the menu."),
                await self._show_menu(turn),
            ]
        )

    # --- /dulieu -----------------------------------------------------------------------

    async def _show_data(self, turn: Turn) -> str:
        if turn.resident is None:
            return _("The ward's bot stores nothing about you.")
        data = await data_rights.stored_data(turn.db, turn.resident)
        lines = data_report(data, self.settings, markup=False)
        actions = [consent_action(data, purpose) for purpose in PURPOSES]
        actions.append(_("🗑 Delete all my data"))
        lines.append("")
        lines.append(self._numbered(list(enumerate(actions, start=1))))
        lines.append(_("Reply with a number; 0 = back."))
        return "\n".join(lines)

    async def _on_data(self, turn: Turn, text: str, word: Keyword | None) -> None:
        number = parsing.parse_number(text)
        if number == 0 or word is Keyword.BACK:
            turn.go("menu")
            return
        if number is not None and 1 <= number <= len(PURPOSES):
            purpose = PURPOSES[number - 1]
            decisions = await consent.decisions(turn.db, turn.resident.id)
            await self._log_consent(turn, purpose, not consent.granted(decisions, purpose))
            return
        if number == len(PURPOSES) + 1:
            turn.go("data:delete")
            return
        raise Retry(
            _("Please reply with a number from 1 to {last}.").format(last=len(PURPOSES) + 1)
        )

    async def _show_data_delete(self, turn: Turn) -> str:
        return "\n\n".join(
            [
                _(
                    "Delete everything the ward's bot stores about you: your chat account, "
                    "consents, all your survey answers and your questions? This cannot be undone."
                ),
                self._numbered([(1, _("🗑 Yes, delete everything")), (2, _("No, keep my data"))]),
            ]
        )

    async def _on_data_delete(self, turn: Turn, text: str, word: Keyword | None) -> None:
        if not self._yes_or_no(text, word):
            turn.go("data")
            return
        erased = await data_rights.erase_everything(
            turn.db, turn.resident.id, staff_locale=self.settings.default_locale
        )
        # Once committed, the day-before files holding the resident are written without them.
        turn.after_commit.append(
            partial(
                refresh_exports,
                self.sessionmaker,
                self.settings,
                self.survey,
                export_dir(self.settings),
                sorted(erased.sessions),
            )
        )
        turn.resident = None
        turn.go("deleted")
        # Nothing is kept after this: the next message starts again with the notice.
        self._pending[(turn.inbound.channel, turn.inbound.user_id)] = {"locale": turn.locale}

    async def _show_deleted(self, turn: Turn) -> str:
        return _("All your data has been deleted. Thank you for taking part.")
