"""A resident of the text conversation agreeing to every consent."""

from __future__ import annotations

from tests.support.text_resident import TextResident


async def agree_all(resident: TextResident) -> str:
    await resident.say("xin chào")
    await resident.say("1")  # survey
    await resident.say("1")  # reminders
    return await resident.say("2")  # contact: declined
