"""Staff: ADMIN_IDS bootstrap, only admins manage staff, roles and fields as data, the new-question
recipients, and every denial audited."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import questions, staff
from bot.services.staff import (
    PERMISSIONS,
    InvalidStaff,
    Permission,
    PermissionDenied,
    Role,
    StaffRef,
)
from models import ResidentQuestion, StaffMember
from tests.support.questions import (
    act,
    audit_log,
    file,
    make_asker,
    make_session,
    make_staff,
)


async def bootstrap(app, ids, now):
    async with app.sessionmaker() as db, db.begin():
        return await staff.bootstrap_admins(db, ids, now)


async def test_admins_of_admin_ids_are_bootstrapped_once_and_restored(app, clock):
    first = await bootstrap(app, [1, 2, 2], clock())
    assert [(a.telegram_user_id, a.role, a.fields) for a in first] == [
        (1, "admin", ()),
        (2, "admin", ()),
    ]
    again = await bootstrap(app, [1, 2], clock())
    assert again == first
    entries = [(e.action, e.target, e.actor_role, e.detail) for e in await audit_log(app)]
    assert entries == [
        ("bootstrap", "staff:1", "system", {"change": "created"}),
        ("bootstrap", "staff:2", "system", {"change": "created"}),
    ]
    # Demoted or removed by another admin: ADMIN_IDS makes them admins again at the next start.
    [admin, other] = first
    await act(app, staff.change, admin, 2, role="official", fields=["tp"], now=clock())
    async with app.sessionmaker() as db:
        assert (await staff.find(db, 2)).role == "official"
    await bootstrap(app, [1, 2], clock())
    async with app.sessionmaker() as db:
        assert (await staff.find(db, 2)) == other
    await act(app, staff.remove, admin, 2, now=clock())
    async with app.sessionmaker() as db:
        assert await staff.find(db, 2) is None
    await bootstrap(app, [1, 2], clock())
    async with app.sessionmaker() as db:
        assert await staff.find(db, 2) == other
    changes = [e.detail for e in await audit_log(app) if e.action == "bootstrap"][2:]
    assert changes == [{"change": "reactivated"}, {"change": "reactivated"}]


async def test_only_admins_manage_staff_and_denials_are_audited(app, clock):
    people = await make_staff(app, clock())
    before = len(await audit_log(app))
    for who in (people.leader, people.official_tp, people.front, None, 501):
        for call, args, kwargs in [
            (staff.add, (99, "Ai đó", "admin"), {}),
            (staff.change, (20,), {"role": "leader"}),
            (staff.remove, (30,), {}),
            (staff.members, (), {}),
        ]:
            denied = await act(app, call, who, *args, now=clock(), **kwargs)
            assert isinstance(denied, PermissionDenied), (who, call)
            assert denied.permission is Permission.MANAGE_STAFF
    denials = (await audit_log(app))[before:]
    assert len(denials) == 20 and not any(e.allowed for e in denials)
    assert [(e.action, e.target) for e in denials[:4]] == [
        ("staff_add", "staff:99"),
        ("staff_change", "staff:20"),
        ("staff_remove", "staff:30"),
        ("staff_list", None),
    ]
    assert {e.actor_telegram_id for e in denials} == {10, 20, 40, None, 501}
    assert {e.actor_role for e in denials} == {"leader", "official", "front", None}
    async with app.sessionmaker() as db:
        assert await staff.find(db, 99) is None
        assert (await staff.find(db, 20)).role == "official"
        assert await staff.find(db, 30) is not None


async def test_admins_add_change_and_remove_staff(app, clock):
    [admin] = await bootstrap(app, [1], clock())
    official = await act(
        app, staff.add, admin, 50, "  Lê  Văn Cường ", "Official", [" TP", "ca", "tp"], now=clock()
    )
    assert (official.name, official.role, official.fields) == (
        "Lê Văn Cường",
        "official",
        ("tp", "ca"),
    )
    assert isinstance(
        await act(app, staff.add, admin, 50, "Lê Văn Cường", "official", ["tp"], now=clock()),
        InvalidStaff,
    )
    for bad in [
        ("", "official", ["tp"]),
        ("Tên", "mayor", []),
        ("Tên", "official", []),
        ("x" * 121, "leader", []),
    ]:
        assert isinstance(await act(app, staff.add, admin, 51, *bad, now=clock()), InvalidStaff)
    leader = await act(app, staff.change, admin, 50, role="leader", now=clock())
    assert (leader.role, leader.fields, leader.name) == ("leader", (), "Lê Văn Cường")
    renamed = await act(app, staff.change, admin, 50, name="Lê Văn Cường (PCT)", now=clock())
    assert renamed.role == "leader"
    assert isinstance(
        await act(app, staff.change, admin, 77, role="front", now=clock()), InvalidStaff
    )
    await act(app, staff.remove, admin, 50, now=clock())
    async with app.sessionmaker() as db:
        assert await staff.find(db, 50) is None
        member = (
            await db.execute(select(StaffMember).where(StaffMember.telegram_user_id == 50))
        ).scalar_one()
        assert member.active is False  # kept for the signatures and the audit log
    # Added again later: reactivated with the new role.
    back = await act(app, staff.add, admin, 50, "Lê Văn Cường", "front", now=clock())
    assert back.id == official.id and back.role == "front"
    listed = await act(app, staff.members, admin, now=clock())
    assert [(m.telegram_user_id, m.role) for m in listed] == [(1, "admin"), (50, "front")]
    actions = [(e.action, e.actor_telegram_id) for e in await audit_log(app) if e.allowed]
    assert actions == [
        ("bootstrap", None),
        ("staff_add", 1),
        ("staff_change", 1),
        ("staff_change", 1),
        ("staff_remove", 1),
        ("staff_add", 1),
        ("staff_list", 1),
    ]


async def test_the_last_admin_stays(app, clock):
    [admin] = await bootstrap(app, [1], clock())
    assert isinstance(await act(app, staff.remove, admin, 1, now=clock()), InvalidStaff)
    demoted = await act(app, staff.change, admin, 1, role="leader", now=clock())
    assert isinstance(demoted, InvalidStaff) and "admin must remain" in str(demoted)
    await act(app, staff.add, admin, 2, "Văn phòng", "admin", now=clock())
    await act(app, staff.remove, admin, 1, now=clock())
    async with app.sessionmaker() as db:
        assert await staff.find(db, 1) is None


async def test_new_question_recipients_are_the_fields_officials_and_the_leaders(app, clock):
    people = await make_staff(app, clock())
    second_tp = await act(
        app, staff.add, people.admin, 21, "Cán bộ hộ tịch", "official", ["tp", "dc"], now=clock()
    )
    async with app.sessionmaker() as db:
        assert await staff.officials_for(db, "tp") == [people.official_tp, second_tp]
        assert await staff.officials_for(db, "dc") == [people.official_dc, second_tp]
        assert await staff.officials_for(db, "ca") == []
        recipients = await staff.recipients_for_new_question(db, "tp")
        assert recipients == [people.official_tp, second_tp, people.leader]
    await act(app, staff.remove, people.admin, 20, now=clock())
    async with app.sessionmaker() as db:
        assert await staff.recipients_for_new_question(db, "tp") == [second_tp, people.leader]
        assert await staff.recipients_for_new_question(db, "ca") == [people.leader]


async def test_changing_an_officials_fields_releases_questions_outside_them(app, clock):
    people = await make_staff(app, clock())
    session_id = await make_session(app)
    asker = await make_asker(app)
    await act(app, staff.change, people.admin, 30, fields=["dc", "tp"], now=clock())
    dc = await file(app, asker, session_id, clock(), field="dc")
    tp = await file(app, asker, session_id, clock(), field="tp")
    for question in (dc, tp):
        await act(app, questions.assign, people.leader, question.id, people.official_dc.id, clock())
    await act(app, staff.change, people.admin, 30, fields=["dc"], now=clock())
    async with app.sessionmaker() as db:
        rows = {
            q.field: (q.status, q.assigned_to)
            for q in (await db.execute(select(ResidentQuestion))).scalars()
        }
    assert rows == {"dc": ("assigned", people.official_dc.id), "tp": ("received", None)}


def test_the_role_table():
    official = StaffRef(7, 70, "Cán bộ", "official", ("tp",))
    leader = StaffRef(8, 80, "Lãnh đạo", "leader", ())
    assert staff.allows(official, Permission.ANSWER, "tp")
    assert not staff.allows(official, Permission.ANSWER, "dc")
    assert not staff.allows(official, Permission.ASSIGN, "tp")
    assert staff.allows(leader, Permission.ASSIGN, "dc")
    assert not staff.allows(leader, Permission.MANAGE_STAFF)
    assert not staff.allows(StaffRef(9, 90, "?", "mayor", ()), Permission.VIEW_QUESTIONS)
    assert PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert PERMISSIONS[Role.FRONT] == {
        Permission.VIEW_QUESTIONS,
        Permission.VIEW_STATS,
        Permission.UPLOAD_PAPER,
        Permission.RECLASSIFY,  # anyone who sees a question may find it is a complaint
    }
    # Leaders read and export the figures but neither manage sessions nor see named exports.
    assert staff.allows(leader, Permission.EXPORT)
    assert not staff.allows(leader, Permission.EXPORT_NAMED)
    assert not staff.allows(leader, Permission.MANAGE_SESSIONS)
    assert not staff.allows(official, Permission.VIEW_STATS)
