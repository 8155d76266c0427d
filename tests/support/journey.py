"""Steps of the resident's journey that many tests share."""

from __future__ import annotations

from tests.support.resident import Resident

AGREE = {"vi": "✅ Tôi đồng ý", "en": "✅ I agree"}
DECLINE = {"vi": "✖ Tôi không đồng ý", "en": "✖ I do not agree"}
RATE = {"vi": "📝 Đánh giá thủ tục theo lĩnh vực", "en": "📝 Rate a field's procedures"}
SUBMIT = {"vi": "📨 Gửi", "en": "📨 Submit"}
DONE = {"vi": "✔️ Xong", "en": "✔️ Done"}
SKIP = {"vi": "⏭ Bỏ qua", "en": "⏭ Skip"}
BACK = {"vi": "⬅️ Quay lại", "en": "⬅️ Back"}
ASK = "✉️ Gửi câu hỏi, kiến nghị"


async def consent_all(resident: Resident, lang: str = "vi", *, contact: bool = False) -> None:
    await resident.send("/start")
    await resident.tap(AGREE[lang])  # P1 survey
    await resident.tap(AGREE[lang])  # P2 reminders
    await resident.tap(AGREE[lang] if contact else DECLINE[lang])  # P3 contact


async def rate_field_to_review(
    resident: Resident,
    lang: str = "vi",
    *,
    field: str = "Tư pháp – Hộ tịch",
    procedure: str | None = "Đăng ký khai sinh",
    did_procedure: bool = True,
    rating: str = "Hài lòng",
) -> None:
    """From the main menu to the review screen, answering every question."""
    yes, no = ("Có", "Không") if lang == "vi" else ("Yes", "No")
    await resident.tap(RATE[lang])
    await resident.tap(field)
    if procedure:
        await resident.tap(procedure)
    await resident.tap(yes if did_procedure else no)
    if did_procedure:
        await resident.tap("Trực tuyến" if lang == "vi" else "Online")
        for _ in range(7):
            await resident.tap(rating)
        await resident.tap("Hài lòng" if lang == "vi" else "Satisfied")  # O1 on the 3-level scale
    await resident.tap("⬜ Thông tin" if lang == "vi" else "⬜ Information")
    await resident.tap(DONE[lang])
    await resident.tap(SKIP[lang])  # F1
    await resident.tap(no)  # F2


async def to_priorities(resident: Resident) -> None:
    """From the main menu to M1 by the shortest path: field "Khác", no procedure in 12 months."""
    await resident.tap(RATE["vi"])
    await resident.tap("Khác")
    await resident.tap("Không")


async def to_opinion(resident: Resident) -> None:
    """From the main menu to the free-text opinion (F1)."""
    await to_priorities(resident)
    await resident.tap("⬜ Thông tin")
    await resident.tap(DONE["vi"])


async def write_question(resident: Resident, field: str, text: str) -> None:
    """From the main menu, a question's field and text (the screen after depends on the text)."""
    await resident.tap(ASK)
    await resident.tap(field)
    await resident.send(text)
