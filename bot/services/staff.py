"""Ward staff, their roles and what each role may do: authorisation lives here, not in handlers.

Staff are Telegram users stored with a role. Admins (the ward office) manage staff; leaders
oversee every field; officials act only on the fields they hold; the Fatherland Front (MTTQ)
reads questions. Admins listed in ADMIN_IDS are created (or reactivated) at start-up.

Every staff service takes the actor as `StaffRef`, as a bare Telegram user id (looked up here:
someone not on staff is denied, and the denial records who tried), or None (unknown). The
actor's role and fields are re-read from the database on every check, so a cached `StaffRef`
of someone removed or demoted a minute ago grants nothing.

A refusal raises `PermissionDenied` (its `str()` is a polite message in the current locale)
after adding an audit entry with allowed=False to the caller's transaction: catch it, reply,
and let the transaction commit so the entry is kept.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import _
from bot.services import audit
from models import QuestionStatus, ResidentQuestion, StaffMember

MAX_NAME = 120
MAX_FIELD_ID = 16


class Role(StrEnum):
    ADMIN = "admin"  # Văn phòng HĐND và UBND phường
    LEADER = "leader"  # Chủ tịch, Phó Chủ tịch
    OFFICIAL = "official"  # an official answering for one or more fields
    FRONT = "front"  # Ủy ban MTTQ phường
    SECRETARY = "secretary"  # thư ký hội nghị: takes the conference minutes


class Permission(StrEnum):
    MANAGE_STAFF = "manage_staff"
    VIEW_QUESTIONS = "view_questions"
    # Hidden questions, and the text of a question that may be a complaint or a denunciation
    # (the law protects a denouncer and the content): admins and leaders only.
    VIEW_HIDDEN = "view_hidden"
    # The name and phone of a named question; an official sees them only once assigned to it
    # (checked in bot.services.questions).
    VIEW_CONTACT = "view_contact"
    ASSIGN = "assign"
    ANSWER = "answer"
    MARK_CONFERENCE = "mark_conference"
    CLOSE = "close"
    HIDE = "hide"
    VIEW_STATS = "view_stats"  # /stats: the live figures
    EXPORT = "export"  # /export: the files for the conference, residents pseudonymised
    EXPORT_NAMED = "export_named"  # the same with named questions' contacts (audited)
    MANAGE_SESSIONS = "manage_sessions"  # create, edit, cancel sessions; open/close the survey
    UPLOAD_PAPER = "upload_paper"  # type back paper forms from a filled template
    BROADCAST = "broadcast"  # announcements to residents who opted in
    # Take a question that is really a complaint or a report out of the dialogue, telling the
    # resident where it goes: any staff member who sees the question.
    RECLASSIFY = "reclassify"
    # The conference (bot/services/conference/): prepare it (agenda answerers, delegates,
    # invitations), switch it live (admins only), run the hall (current question, answers,
    # floor questions, conclusions, attendance), and follow up its commitments.
    PREPARE_CONFERENCE = "prepare_conference"
    LIVE_SWITCH = "live_switch"
    CONDUCT_CONFERENCE = "conduct_conference"
    FOLLOW_UP = "follow_up"


PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.LEADER: frozenset(Permission)
    - {
        Permission.MANAGE_STAFF,
        Permission.EXPORT_NAMED,
        Permission.MANAGE_SESSIONS,
        Permission.UPLOAD_PAPER,
        Permission.BROADCAST,
        Permission.LIVE_SWITCH,
    },
    Role.OFFICIAL: frozenset(
        {
            Permission.VIEW_QUESTIONS,
            Permission.VIEW_CONTACT,
            Permission.ANSWER,
            Permission.MARK_CONFERENCE,
            Permission.RECLASSIFY,
            Permission.FOLLOW_UP,  # their own commitments only (checked in the service)
        }
    ),
    Role.FRONT: frozenset(
        {
            Permission.VIEW_QUESTIONS,
            Permission.VIEW_STATS,
            Permission.UPLOAD_PAPER,
            Permission.RECLASSIFY,
        }
    ),
    # The conference secretary reads the questions, runs the hall, writes the minutes.
    Role.SECRETARY: frozenset(
        {
            Permission.VIEW_QUESTIONS,
            Permission.VIEW_STATS,
            Permission.EXPORT,
            Permission.CONDUCT_CONFERENCE,
            Permission.FOLLOW_UP,  # their own commitments only
        }
    ),
}

# Roles whose every permission holds only within the fields they hold.
FIELD_LIMITED: frozenset[Role] = frozenset({Role.OFFICIAL})


@dataclass(frozen=True)
class StaffRef:
    """A staff member as a plain value handlers may keep."""

    id: int
    telegram_user_id: int
    name: str
    role: str
    fields: tuple[str, ...]


# Who is acting: a staff member, a Telegram user id (staff or not), or nobody known.
Actor = StaffRef | int | None


class PermissionDenied(Exception):
    """The actor may not do this; `str()` is a polite message in the current locale."""

    def __init__(self, message: str, permission: Permission | None = None) -> None:
        super().__init__(message)
        self.permission = permission


class InvalidStaff(Exception):
    """A staff change that cannot be made; `str()` says why in the current locale."""


def as_ref(member: StaffMember) -> StaffRef:
    """The plain value of a stored staff member."""
    return StaffRef(
        id=member.id,
        telegram_user_id=member.telegram_user_id,
        name=member.name,
        role=str(member.role),
        fields=tuple(member.fields or ()),
    )


def allows(actor: StaffRef, permission: Permission, field: str | None = None) -> bool:
    """What the role table says, without the database: officials only within their fields
    (a check without a field asks whether the role has the permission at all)."""
    try:
        role = Role(actor.role)
    except ValueError:
        return False
    if permission not in PERMISSIONS[role]:
        return False
    return not (role in FIELD_LIMITED and field is not None and field not in actor.fields)


async def find(db: AsyncSession, telegram_user_id: int) -> StaffRef | None:
    """The active staff member with this Telegram user id."""
    member = (
        await db.execute(
            select(StaffMember).where(
                StaffMember.telegram_user_id == telegram_user_id, StaffMember.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    return as_ref(member) if member else None


async def get(db: AsyncSession, staff_id: int) -> StaffRef | None:
    """A staff member by internal id, active or not (for signatures and assignees)."""
    member = await db.get(StaffMember, staff_id)
    return as_ref(member) if member else None


async def get_active(db: AsyncSession, staff_id: int) -> StaffRef | None:
    """An active staff member by internal id, read afresh (a web session's owner)."""
    member = await db.get(StaffMember, staff_id, populate_existing=True)
    return as_ref(member) if member is not None and member.active else None


async def _current(db: AsyncSession, actor: Actor) -> StaffRef | None:
    if actor is None:
        return None
    if isinstance(actor, StaffRef):
        member = await db.get(StaffMember, actor.id, populate_existing=True)
        return as_ref(member) if member is not None and member.active else None
    return await find(db, actor)


def _telegram_id(actor: Actor) -> int | None:
    if isinstance(actor, StaffRef):
        return actor.telegram_user_id
    return actor


async def require(
    db: AsyncSession,
    actor: Actor,
    permission: Permission,
    *,
    field: str | None = None,
    now: datetime,
    action: str | None = None,
    target: str | None = None,
) -> StaffRef:
    """The actor as currently stored, if they may; otherwise PermissionDenied, audited under
    `action` (the permission's name by default)."""
    current = await _current(db, actor)
    if current is not None and allows(current, permission, field):
        return current
    if current is None:
        message = _("Sorry, this is only for ward staff.")
    elif allows(current, permission):
        message = _("Sorry, this question belongs to a field you do not handle.")
    else:
        message = _(
            "Sorry, your role does not allow this. Please ask the ward office if you need it."
        )
    detail: dict[str, str] = {"permission": str(permission)}
    if field is not None:
        detail["field"] = field
    await audit.record(
        db,
        actor_telegram_id=_telegram_id(actor),
        actor_role=current.role if current else None,
        action=action or str(permission),
        target=target,
        allowed=False,
        detail=detail,
        now=now,
    )
    raise PermissionDenied(message, permission)


def _clean_name(name: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise InvalidStaff(_("Please give the staff member's name."))
    if len(cleaned) > MAX_NAME:
        raise InvalidStaff(
            _("Please give a name of at most {limit} characters.").format(limit=MAX_NAME)
        )
    return cleaned


def _clean_role(role: str) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        raise InvalidStaff(
            _("Unknown role. Choose one of: {roles}.").format(roles=", ".join(Role))
        ) from None


def _clean_fields(role: Role, fields: Iterable[str]) -> list[str]:
    if role is not Role.OFFICIAL:
        return []  # leaders, admins and the Front are not tied to fields
    cleaned: list[str] = []
    for field in fields:
        field = field.strip().lower()
        if field and field not in cleaned:
            cleaned.append(field[:MAX_FIELD_ID])
    if not cleaned:
        raise InvalidStaff(_("An official needs at least one field."))
    return cleaned


async def _member(db: AsyncSession, telegram_user_id: int) -> StaffMember | None:
    stmt = select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
    return (await db.execute(stmt)).scalar_one_or_none()


async def _keep_an_admin(db: AsyncSession, member: StaffMember) -> None:
    """Refuse a change that would leave no active admin (ADMIN_IDS would restore one only at
    the next start)."""
    if member.role != Role.ADMIN or not member.active:
        return
    others = await db.scalar(
        select(StaffMember.id)
        .where(
            StaffMember.role == Role.ADMIN,
            StaffMember.active.is_(True),
            StaffMember.id != member.id,
        )
        .limit(1)
    )
    if others is None:
        raise InvalidStaff(_("At least one admin must remain."))


async def _release_assignments(
    db: AsyncSession, member_id: int, keep_fields: Iterable[str], now: datetime
) -> None:
    """Questions assigned to someone who no longer handles their field go back to the office
    to be assigned again."""
    keep = list(keep_fields)
    mine = ResidentQuestion.assigned_to == member_id
    if keep:
        mine = mine & ResidentQuestion.field.not_in(keep)
    await db.execute(
        update(ResidentQuestion)
        .where(mine, ResidentQuestion.status == QuestionStatus.ASSIGNED)
        .values(status=QuestionStatus.RECEIVED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(ResidentQuestion)
        .where(mine)
        .values(assigned_to=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def bootstrap_admins(db: AsyncSession, admin_ids: list[int], now: datetime) -> list[StaffRef]:
    """Make every id of ADMIN_IDS an active admin: created when missing, reactivated or made
    admin again when changed. Only real changes are audited (action "bootstrap"), so a restart
    adds nothing to the log."""
    admins: list[StaffRef] = []
    for telegram_user_id in dict.fromkeys(admin_ids):
        member = await _member(db, telegram_user_id)
        if member is None:
            member = StaffMember(
                telegram_user_id=telegram_user_id,
                name=f"Admin {telegram_user_id}",
                role=Role.ADMIN,
                fields=[],
                active=True,
                created_at=now,
            )
            db.add(member)
            change = "created"
        elif member.role != Role.ADMIN or not member.active:
            member.role = Role.ADMIN
            member.fields = []
            member.active = True
            change = "reactivated"
        else:
            admins.append(as_ref(member))
            continue
        await db.flush()
        await _release_assignments(db, member.id, (), now)
        await audit.record(
            db,
            actor_telegram_id=None,
            actor_role="system",
            action="bootstrap",
            target=f"staff:{telegram_user_id}",
            detail={"change": change},
            now=now,
        )
        admins.append(as_ref(member))
    return admins


async def record_action(
    db: AsyncSession,
    by: StaffRef,
    action: str,
    *,
    now: datetime,
    target: str | None = None,
    detail: dict | None = None,
) -> None:
    """Audit an action a staff member was allowed to take."""
    await audit.record(
        db,
        actor_telegram_id=by.telegram_user_id,
        actor_role=by.role,
        action=action,
        target=target,
        detail=detail,
        now=now,
    )


@dataclass(frozen=True)
class Audited:
    """An allowed action under way: `done()` audits it under the action and target it was
    checked for, so a service names them once."""

    db: AsyncSession
    by: StaffRef
    action: str
    target: str | None
    now: datetime

    async def done(self, *, target: str | None = None, detail: dict | None = None) -> None:
        """Audit the action; `target` when the change made a more precise one (a new row)."""
        target = self.target if target is None else target
        await record_action(
            self.db, self.by, self.action, now=self.now, target=target, detail=detail
        )


async def audited(
    db: AsyncSession,
    actor: Actor,
    permission: Permission,
    action: str,
    target: str | None = None,
    *,
    field: str | None = None,
    now: datetime,
) -> Audited:
    """`require` for `action` on `target` (a refusal is audited there), and the `Audited` to
    finish it with once the change is made."""
    by = await require(db, actor, permission, field=field, now=now, action=action, target=target)
    return Audited(db, by, action, target, now)


async def _manage(
    db: AsyncSession, actor: Actor, action: str, telegram_user_id: int, now: datetime
) -> Audited:
    """The admin check for an action on a staff member."""
    return await audited(
        db, actor, Permission.MANAGE_STAFF, action, f"staff:{telegram_user_id}", now=now
    )


async def _active_member(db: AsyncSession, telegram_user_id: int) -> StaffMember:
    member = await _member(db, telegram_user_id)
    if member is None or not member.active:
        raise InvalidStaff(_("There is no active staff member with this Telegram id."))
    return member


async def add(
    db: AsyncSession,
    actor: Actor,
    telegram_user_id: int,
    name: str,
    role: str,
    fields: Iterable[str] = (),
    *,
    now: datetime,
) -> StaffRef:
    """Add a staff member (admins only). Someone removed earlier is reactivated with the new
    role; someone already active must be changed instead."""
    act = await _manage(db, actor, "staff_add", telegram_user_id, now)
    clean_role = _clean_role(role)
    clean_name = _clean_name(name)
    clean_fields = _clean_fields(clean_role, fields)
    member = await _member(db, telegram_user_id)
    if member is not None and member.active:
        raise InvalidStaff(_("This person is already on the staff list; change them instead."))
    if member is None:
        member = StaffMember(telegram_user_id=telegram_user_id, created_at=now)
        db.add(member)
    member.name = clean_name
    member.role = clean_role
    member.fields = clean_fields
    member.active = True
    await db.flush()
    detail = {"role": str(clean_role), "fields": clean_fields}
    await act.done(detail=detail)
    return as_ref(member)


async def change(
    db: AsyncSession,
    actor: Actor,
    telegram_user_id: int,
    *,
    name: str | None = None,
    role: str | None = None,
    fields: Iterable[str] | None = None,
    now: datetime,
) -> StaffRef:
    """Change an active staff member's name, role or fields (admins only); what is None stays.
    Questions assigned to them outside their new fields go back to be assigned again."""
    act = await _manage(db, actor, "staff_change", telegram_user_id, now)
    member = await _active_member(db, telegram_user_id)
    new_role = _clean_role(role) if role is not None else Role(member.role)
    new_name = _clean_name(name) if name is not None else member.name
    new_fields = _clean_fields(new_role, fields if fields is not None else member.fields or [])
    if new_role is not Role.ADMIN:
        await _keep_an_admin(db, member)
    member.name = new_name
    member.role = new_role
    member.fields = new_fields
    await db.flush()
    await _release_assignments(db, member.id, new_fields, now)
    detail = {"role": str(new_role), "fields": new_fields}
    await act.done(detail=detail)
    return as_ref(member)


async def remove(db: AsyncSession, actor: Actor, telegram_user_id: int, *, now: datetime) -> None:
    """Deactivate a staff member (admins only). The row stays, so answers keep their signature
    and the audit log its actors; their open assignments go back to be assigned again."""
    act = await _manage(db, actor, "staff_remove", telegram_user_id, now)
    member = await _active_member(db, telegram_user_id)
    await _keep_an_admin(db, member)
    member.active = False
    await db.flush()
    await _release_assignments(db, member.id, (), now)
    await act.done()


async def members(db: AsyncSession, actor: Actor, *, now: datetime) -> list[StaffRef]:
    """The active staff, by role then name (admins only)."""
    act = await audited(db, actor, Permission.MANAGE_STAFF, "staff_list", now=now)
    stmt = select(StaffMember).where(StaffMember.active.is_(True))
    order = {role: index for index, role in enumerate(Role)}
    found = sorted(
        (await db.execute(stmt)).scalars(),
        key=lambda m: (order.get(m.role, len(order)), m.name, m.id),
    )
    await act.done()
    return [as_ref(member) for member in found]


async def _active(db: AsyncSession, role: Role) -> list[StaffRef]:
    stmt = (
        select(StaffMember)
        .where(StaffMember.role == role, StaffMember.active.is_(True))
        .order_by(StaffMember.id)  # as added: the same on both databases, whatever the collation
    )
    return [as_ref(member) for member in (await db.execute(stmt)).scalars()]


async def officials_for(db: AsyncSession, field: str) -> list[StaffRef]:
    """Active officials holding the field. Fields are a JSON list, filtered here rather than in
    SQL (the two databases query JSON differently; a ward has tens of staff)."""
    return [ref for ref in await _active(db, Role.OFFICIAL) if field in ref.fields]


async def recipients_for_new_question(db: AsyncSession, field: str) -> list[StaffRef]:
    """Who gets a new-question notice: the field's officials, then the leaders, each in the
    order they were added; when there is none of them (a ward that has only set ADMIN_IDS),
    the admins, so that someone who can act on it is told."""
    found = await officials_for(db, field) + await _active(db, Role.LEADER)
    # Not the web-only admin of a first run (Telegram id 0, bot/web/first_run.py): no chat.
    return found or [a for a in await _active(db, Role.ADMIN) if a.telegram_user_id > 0]
