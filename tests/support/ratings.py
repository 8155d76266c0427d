"""A resident brought to the first rating question."""

from __future__ import annotations

from tests.support.journey import RATE, consent_all


async def at_first_rating(resident):
    await consent_all(resident)
    await resident.tap(RATE["vi"])
    await resident.tap("Địa chính (đất đai)")
    await resident.tap("Đăng ký đất đai, cấp Giấy chứng nhận")
    await resident.tap("Có")
    await resident.tap("Trực tuyến")
    assert "Câu 3/13" in resident.text
