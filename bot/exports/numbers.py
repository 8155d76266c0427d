"""Numbers as the ward reads them: a decimal comma in Vietnamese (82,5%), a dash for no value."""

from __future__ import annotations

from babel.numbers import format_decimal

NONE = "–"


def number(value: float | None, digits: int, locale: str) -> str:
    if value is None:
        return NONE
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale)


def percent(value: float | None, locale: str, digits: int = 0) -> str:
    return NONE if value is None else number(value, digits, locale) + "%"
