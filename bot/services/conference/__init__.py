"""The dialogue conference itself (issue 15), one module a job (models/conference.py):
`programme` the agenda by field and who answers what; `roster` the delegates and their
invitations; `hall` the live switch, supports, questions from the hall and the floor, answers
given there or promised in writing; `followup` the chair's conclusions and the commitments;
`screen` what the projector shows; `records` what the documents read; `common` what they share.
Callers import from this package.

Plain values and the database session in; nothing commits. Every staff function starts with
`staff.require` and audits what it did (or the refusal); see bot.services.staff.

Decisions:
- A question is on a session's agenda when it is marked for the conference, was asked on the
  day (hall or floor), or has an agenda row. Hidden and reclassified questions are not.
- Who answers: the row's answerer, else the first official holding the field (as added).
- A live answer is also stored as the question's answer (signed by the answerer's role), so
  the asker finds and rates it under "My questions"; it is returned as a `Relay` for the
  notifier to send after commit, exactly like an answer given in the chat.
- "Answered in writing later" opens a commitment (owner, deadline) and assigns the question to
  its owner. Closing it stores the result as the question's answer when it has none, and tells
  the asker and every supporter in their chat (outbox rows added in the caller's transaction,
  keyed so each is told once; `send_now` after commit sends them at once).
- Invitations and reminders go into the outbox the same way, to a delegate's Telegram chat
  (staff) or the chat account linked to them; a delegate with neither is listed for the office
  to call.
- Supports: one per resident and question (a unique constraint); a second is no change.
- Floor questions belong to one placeholder resident per session (channel "floor"), named only
  when the speaker gave a name; nobody is told anything on that channel.
"""

from __future__ import annotations

from bot.services.conference.common import (
    FLOOR,
    MAX_NAME,
    MAX_POSITION,
    MAX_TEXT,
    PAPER,
    SENDS_TO,
    TELEGRAM,
    ZALO,
    ConferenceError,
    _aware,
    _conference,
    _session,
)
from bot.services.conference.followup import (
    CommitmentView,
    ConclusionView,
    Queued,
    add_conclusion,
    close_commitment,
    commitments,
    conclusions,
    send_now,
)
from bot.services.conference.hall import (
    LiveState,
    add_floor_question,
    answer_later,
    file_from_hall,
    live_session_id,
    live_state,
    pick_current,
    record_answer,
    set_chair_and_secretary,
    set_live,
    support,
    support_by_code,
)
from bot.services.conference.programme import (
    Agenda,
    AgendaEntry,
    FieldCounts,
    agenda,
    answer_counts,
    mark_proposal,
    set_answerer,
)
from bot.services.conference.records import (
    GroupAttendance,
    Minutes,
    ProposalRow,
    Proposals,
    minutes,
    open_commitments,
    proposals,
)
from bot.services.conference.roster import (
    REPLY_CALLBACK,
    DelegateView,
    add_delegate,
    change_delegate,
    delegates,
    invite,
    remove_delegate,
    reply_from_chat,
    set_attendance,
    set_reply,
)
from bot.services.conference.screen import (
    Board,
    BoardItem,
    board,
)

__all__ = [
    "FLOOR",
    "MAX_NAME",
    "MAX_POSITION",
    "MAX_TEXT",
    "PAPER",
    "REPLY_CALLBACK",
    "SENDS_TO",
    "TELEGRAM",
    "ZALO",
    "Agenda",
    "AgendaEntry",
    "Board",
    "BoardItem",
    "CommitmentView",
    "ConclusionView",
    "ConferenceError",
    "DelegateView",
    "FieldCounts",
    "GroupAttendance",
    "LiveState",
    "Minutes",
    "ProposalRow",
    "Proposals",
    "Queued",
    "_aware",
    "_conference",
    "_session",
    "add_conclusion",
    "add_delegate",
    "add_floor_question",
    "agenda",
    "answer_counts",
    "answer_later",
    "board",
    "change_delegate",
    "close_commitment",
    "commitments",
    "conclusions",
    "delegates",
    "file_from_hall",
    "invite",
    "live_session_id",
    "live_state",
    "mark_proposal",
    "minutes",
    "open_commitments",
    "pick_current",
    "proposals",
    "record_answer",
    "remove_delegate",
    "reply_from_chat",
    "send_now",
    "set_answerer",
    "set_attendance",
    "set_chair_and_secretary",
    "set_live",
    "set_reply",
    "support",
    "support_by_code",
]
