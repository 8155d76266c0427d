"""The staff who read the reports: a leader and the front beside the admin."""

from __future__ import annotations


async def team(admin):
    await admin.send("/staff_add 10 leader Chủ tịch UBND")
    await admin.send("/staff_add 11 front Chủ tịch MTTQ")
    await admin.send("/staff_add 20 official Cán bộ Tư pháp fields=tp")
