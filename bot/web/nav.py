"""The console's menu: each page, its address and the permission that shows it. A page is
listed only to those who may use it; the page itself is still checked by its services."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, gettext
from bot.services.staff import Permission, StaffRef, allows


@dataclass(frozen=True)
class Page:
    path: str
    label: str  # marked with N_, translated when shown
    permission: Permission


PAGES: tuple[Page, ...] = (
    Page("/staff/questions", N_("Questions"), Permission.VIEW_QUESTIONS),
    Page("/staff/conference", N_("Conference"), Permission.VIEW_QUESTIONS),
    Page("/staff/commitments", N_("Commitments"), Permission.FOLLOW_UP),
    Page("/staff/figures", N_("Figures"), Permission.VIEW_STATS),
    Page("/staff/sessions", N_("Sessions"), Permission.MANAGE_SESSIONS),
    Page("/staff/exports", N_("Exports"), Permission.EXPORT),
    Page("/staff/paper", N_("Paper forms"), Permission.UPLOAD_PAPER),
    Page("/staff/announcements", N_("Announcements"), Permission.BROADCAST),
    Page("/staff/members", N_("Staff"), Permission.MANAGE_STAFF),
    Page("/staff/audit", N_("Audit log"), Permission.MANAGE_STAFF),
)


@dataclass(frozen=True)
class MenuItem:
    path: str
    label: str


def menu_for(staff: StaffRef) -> list[MenuItem]:
    """The pages `staff` may open, labelled in the current language. An official's field
    permissions count when they hold any field (allows() with no field)."""
    return [
        MenuItem(page.path, gettext(page.label)) for page in PAGES if allows(staff, page.permission)
    ]
