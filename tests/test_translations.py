"""Every user-facing string is in the catalogs, translated into Vietnamese with the same
placeholders and markup, and the catalogs compile at start-up without a manual step."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import i18n

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+>")


def catalog(locale: str):
    with (i18n.LOCALES_DIR / locale / "LC_MESSAGES" / "doithoai.po").open("rb") as po:
        return read_po(po, locale=locale)


def extracted_messages(tmp_path: Path) -> set[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "Tr",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as pot:
        return {m.id for m in read_po(pot) if m.id}


@pytest.mark.subprocess  # pybabel's extract, as a separate process
def test_every_string_in_the_code_is_in_both_catalogs(tmp_path):
    in_code = extracted_messages(tmp_path)
    for locale in ("vi", "en"):
        in_catalog = {m.id for m in catalog(locale) if m.id}
        assert in_code - in_catalog == set(), f"missing from {locale}: run the catalog update"


def test_vietnamese_translations_are_complete_and_keep_placeholders_and_tags():
    for message in catalog("vi"):
        if not message.id:
            continue
        assert message.string, f"untranslated: {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
            PLACEHOLDER.findall(message.string)
        ), message.id
        assert TAG.findall(message.id) == TAG.findall(message.string), message.id
        assert unicodedata.is_normalized("NFC", message.string), message.id


def test_catalogs_compile_in_memory_and_switch_per_task():
    catalogs = i18n.compile_catalogs()
    assert catalogs["vi"].gettext("📨 Submit") == "📨 Gửi"
    assert catalogs["en"].gettext("📨 Submit") == "📨 Submit"
    i18n.install()
    with i18n.use_locale("en"):
        assert i18n.gettext("🌐 Switch to the other language") == "🌐 Tiếng Việt"
    with i18n.use_locale("vi"):
        assert i18n.gettext("🌐 Switch to the other language") == "🌐 English"


def test_telegram_language_codes_map_to_shipped_locales():
    assert i18n.normalise_locale("vi") == "vi"
    assert i18n.normalise_locale("vi-VN") == "vi"
    assert i18n.normalise_locale("en-US") == "en"
    assert i18n.normalise_locale("fr") == "en"
    assert i18n.normalise_locale(None) == "vi"


def test_command_menu_is_translated_and_valid():
    from bot.telegram import command_list

    vietnamese = {c.command: c.description for c in command_list("vi")}
    assert vietnamese["dulieu"] == "Dữ liệu và sự đồng ý của tôi"
    assert {c.command for c in command_list("en")} == set(vietnamese)


async def test_command_menu_registration_sends_valid_requests(app, telegram):
    from bot.telegram import register_commands

    await register_commands(app.bot)
    assert [name for name, _form in telegram.calls] == ["setMyCommands", "setMyCommands"]
    assert '"command":"dulieu"' in telegram.calls[0][1]["commands"].replace(" ", "")
    assert telegram.calls[1][1]["language_code"] == "en"
