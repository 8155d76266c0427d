"""Check outgoing Bot API requests against the machine-readable spec.

The spec is ``tests/data/telegram-bot-api.json`` (override the
path with ``TELEGRAM_BOT_API_SPEC``); its format and the rules applied here are
described in the team's ``telegram.md`` reference, sections 6 and 7.

A request is checked as aiogram posts it: a flat form of strings, where ``str``
values are raw and everything else is JSON text (see :func:`form_of`).
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

SPEC_ENV_VAR = "TELEGRAM_BOT_API_SPEC"
DEFAULT_SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "telegram-bot-api.json"

# Types whose form value is posted as-is instead of as JSON text.
RAW_TYPES = frozenset({"String", "InputFile"})

# Limits and literals live only in the prose of field descriptions.
LENGTH_RE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
MAX_ITEMS_RE = re.compile(r"At most (\d+) [\w ]+? can be specified")
# Union members name their discriminator: 'must be chat', 'always "emoji"'.
LITERAL_RE = re.compile(r'(?:must be|always) "?(\w+)"?$')

# Format rules that the prose states but no pattern above catches.
HAND_CODED_PATTERNS = {
    ("BotCommand", "command"): re.compile(r"[a-z0-9_]{1,32}"),
}

# Fields whose text is parsed with the plain ``parse_mode`` sibling; others use
# ``<field>_parse_mode`` (quote_parse_mode, question_parse_mode, ...).
PARSED_BY_PARSE_MODE = frozenset({"text", "caption", "message_text"})
HTML_TAG_RE = re.compile(r"<[^>]*>")


@functools.cache
def load_spec() -> dict[str, Any]:
    """The Bot API spec, read once per test session."""
    path = Path(os.environ.get(SPEC_ENV_VAR) or DEFAULT_SPEC_PATH)
    if not path.is_file():
        msg = f"Bot API spec not found at {path}; set {SPEC_ENV_VAR} to its location"
        raise FileNotFoundError(msg)
    return json.loads(path.read_text(encoding="utf-8"))


def form_of(method: TelegramMethod[Any], bot: Bot) -> dict[str, str]:
    """The fields aiogram would post for ``method`` (as AiohttpSession.build_form_data)."""
    files: dict[str, Any] = {}  # uploads travel as separate parts; the field says attach://
    form = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = bot.session.prepare_value(value, bot=bot, files=files)
        if prepared:  # aiogram leaves out None and empty values
            form[key] = prepared
    return form


def validate_request(method: str, form: Mapping[str, str]) -> list[str]:
    """Problems with one request, as readable strings; empty when it is valid."""
    spec_method = load_spec()["methods"].get(method)
    if spec_method is None:
        return [f"unknown method {method!r}"]
    fields = {field["name"]: field for field in spec_method.get("fields", [])}

    errors = [f"unknown parameter {name!r}" for name in form if name not in fields]
    # "Required if ..." fields are marked optional in the spec, so they are skipped here.
    errors += [
        f"missing required parameter {name!r}"
        for name, field in fields.items()
        if field["required"] and name not in form
    ]
    for name, raw in form.items():
        if name in fields:
            errors += _check_field(raw, fields[name], method, form, name, from_form=True)
    return errors


def assert_valid_requests(calls: Iterable[tuple[str, Mapping[str, str]]]) -> None:
    """Fail with every problem of every call, each prefixed by its method name."""
    problems = [
        f"{method}: {error}" for method, form in calls for error in validate_request(method, form)
    ]
    if problems:
        raise AssertionError("requests violate the Bot API spec:\n  " + "\n  ".join(problems))


# --- one field: pick the declared type that fits, then apply the prose rules ---


def _check_field(
    value: Any,
    field: dict[str, Any],
    owner: str,
    siblings: Mapping[str, Any],
    path: str,
    *,
    from_form: bool = False,
) -> list[str]:
    """Errors of ``value`` against the field's alternative types (e.g. Integer or String)."""
    attempts = []
    for type_name in field["types"]:
        decoded, errors = _decode(value, type_name, path) if from_form else (value, [])
        errors = errors or _check_value(decoded, type_name, path)
        if not errors:
            return _check_prose_rules(decoded, field, owner, siblings, path)
        attempts.append(errors)
    return _closest(attempts)


def _decode(raw: str, type_name: str, path: str) -> tuple[Any, list[str]]:
    """A form value as the given type expects it: raw text or parsed JSON."""
    if type_name in RAW_TYPES:
        return raw, []
    try:
        return json.loads(raw), []
    except ValueError:
        return None, [f"{path}: {raw!r} is not JSON, expected {type_name}"]


def _closest(attempts: list[list[str]]) -> list[str]:
    # When no alternative fits, the one with the fewest errors is most likely what was meant.
    return min(attempts, key=len)


def _check_prose_rules(
    value: Any, field: dict[str, Any], owner: str, siblings: Mapping[str, Any], path: str
) -> list[str]:
    description = field["description"]
    if isinstance(value, list):
        return _check_count(value, description, path)
    if not isinstance(value, str):
        return []
    errors = _check_length(value, description, _parse_mode(field["name"], siblings), path)
    errors += _check_literal(value, description, path)
    pattern = HAND_CODED_PATTERNS.get((owner, field["name"]))
    if pattern and not pattern.fullmatch(value):
        errors.append(f"{path}: {value!r} must match {pattern.pattern}")
    return errors


def _check_count(value: list[Any], description: str, path: str) -> list[str]:
    match = MAX_ITEMS_RE.search(description)
    if match and len(value) > int(match[1]):
        return [f"{path}: {len(value)} items, at most {match[1]} allowed"]
    return []


def _check_length(value: str, description: str, parse_mode: str | None, path: str) -> list[str]:
    match = LENGTH_RE.search(description)
    if not match:
        return []
    low, high, unit = int(match[1]), int(match[2]), match[3]
    if unit == "bytes":
        size = len(value.encode())
    else:
        # Telegram counts characters after entity parsing, in UTF-16 code units
        # (an emoji is 2). Markdown modes are measured raw, which only overestimates.
        text = _strip_html(value) if parse_mode == "HTML" else value
        size = len(text.encode("utf-16-le")) // 2
    if low <= size <= high:
        return []
    return [f"{path}: {size} {unit}, allowed {low}-{high} {unit}"]


def _parse_mode(name: str, siblings: Mapping[str, Any]) -> str | None:
    mode = siblings.get(f"{name}_parse_mode")
    if mode is None and name in PARSED_BY_PARSE_MODE:
        mode = siblings.get("parse_mode")
    return mode if isinstance(mode, str) else None


def _strip_html(text: str) -> str:
    return html.unescape(HTML_TAG_RE.sub("", text))


def _check_literal(value: str, description: str, path: str) -> list[str]:
    match = LITERAL_RE.search(description)
    if match and value != match[1]:
        return [f"{path}: {value!r} must be {match[1]!r}"]
    return []


# --- one value against one type expression ---


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int in Python


def _is_float(value: Any) -> bool:
    return _is_integer(value) or isinstance(value, float)


def _is_input_file(value: Any) -> bool:
    # aiogram posts an upload as a reference to a separate multipart part.
    return isinstance(value, str) and value.startswith("attach://")


PRIMITIVES = {
    "String": lambda value: isinstance(value, str),
    "Integer": _is_integer,
    "Float": _is_float,
    "Boolean": lambda value: isinstance(value, bool),
    "InputFile": _is_input_file,
}


def _check_value(value: Any, type_name: str, path: str) -> list[str]:
    if type_name.startswith("Array of "):
        return _check_array(value, type_name.removeprefix("Array of "), path)
    if type_name in PRIMITIVES:
        return [] if PRIMITIVES[type_name](value) else [_mismatch(value, type_name, path)]
    spec_type = load_spec()["types"].get(type_name)
    if spec_type is None:
        return [f"{path}: type {type_name} is not in the spec"]
    if "subtypes" in spec_type:
        return _check_union(value, spec_type["subtypes"], path)
    return _check_object(value, spec_type, path)


def _mismatch(value: Any, type_name: str, path: str) -> str:
    return f"{path}: expected {type_name}, got {type(value).__name__} {value!r}"


def _check_array(value: Any, item_type: str, path: str) -> list[str]:
    if not isinstance(value, list):
        return [_mismatch(value, f"Array of {item_type}", path)]
    errors = []
    for index, item in enumerate(value):
        errors += _check_value(item, item_type, f"{path}[{index}]")
    return errors


def _check_union(value: Any, subtypes: list[str], path: str) -> list[str]:
    attempts = []
    for subtype in subtypes:
        errors = _check_value(value, subtype, path)
        if not errors:
            return []
        attempts.append(errors)
    return _closest(attempts)


def _check_object(value: Any, spec_type: dict[str, Any], path: str) -> list[str]:
    type_name = spec_type["name"]
    if not isinstance(value, dict):
        return [_mismatch(value, type_name, path)]
    fields = {field["name"]: field for field in spec_type.get("fields", [])}
    errors = [f"{path}: unknown key {key!r} in {type_name}" for key in value if key not in fields]
    errors += [
        f"{path}: missing required key {name!r} of {type_name}"
        for name, field in fields.items()
        if field["required"] and name not in value
    ]
    for key, item in value.items():
        if key in fields:
            errors += _check_field(item, fields[key], type_name, value, f"{path}.{key}")
    return errors
