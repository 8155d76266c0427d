"""gettext for every channel: catalogs compiled from `locales/*/LC_MESSAGES/doithoai.po` at
start-up (no manual compile step) and a per-task current locale.

The Telegram handlers, the text flow and the jobs all translate through this module, so none of
them needs aiogram's I18n to speak the resident's language.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "doithoai"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("vi", "en")
DEFAULT_LOCALE = "vi"

_current: ContextVar[str] = ContextVar("doithoai_locale", default=DEFAULT_LOCALE)
_catalogs: dict[str, _gettext.NullTranslations] | None = None


class TranslationsMissing(Exception):
    pass


def compile_catalogs(path: Path = LOCALES_DIR) -> dict[str, _gettext.NullTranslations]:
    catalogs: dict[str, _gettext.NullTranslations] = {}
    for locale in SUPPORTED:
        po_path = path / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po_path.exists():
            raise TranslationsMissing(f"translation catalog {po_path} is missing")
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        catalogs[locale] = _gettext.GNUTranslations(buffer)
    return catalogs


def install(path: Path = LOCALES_DIR) -> None:
    global _catalogs
    _catalogs = compile_catalogs(path)


def _catalog(locale: str) -> _gettext.NullTranslations:
    if _catalogs is None:
        install()
    assert _catalogs is not None
    return _catalogs.get(locale) or _catalogs[DEFAULT_LOCALE]


def normalise_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Telegram's language_code ('vi', 'en-US', 'fr') to one we ship: vi for Vietnamese,
    English for any other language, the default when unknown."""
    if not code:
        return default
    return "vi" if code.lower().startswith("vi") else "en"


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED else DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in SUPPORTED else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return _catalog(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (tables of labels)."""
    return message


_ = gettext
