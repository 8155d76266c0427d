"""The corpus of typed replies (tests/data/typed-replies.jsonl) and how each one is read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.conversation.parsing import Keyword
from bot.conversation.understanding import Option, Screen, understand

CORPUS = Path(__file__).resolve().parents[1] / "data" / "typed-replies.jsonl"


def rows() -> list[dict]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def screen_of(row: dict) -> Screen:
    """The screen the resident was answering, as the text conversation describes it."""
    locale = row["locale"]
    options = tuple(
        Option(o["key"], o["label"][locale], (o["label"]["vi"], o["label"]["en"]), o["score"])
        for o in row["options"]
    )
    return Screen(
        options,
        multi=row["multi"],
        yes_no=row["yes_no"],
        navigation=frozenset(Keyword(n) for n in row["navigation"]),
    )


@dataclass(frozen=True)
class Outcome:
    """What the bot does with a reply: stores options, navigates, or asks again (naming the
    options in conflict, if any)."""

    choose: tuple[str, ...] = ()
    navigate: str | None = None
    asked: bool = False
    named: frozenset[str] = frozenset()

    @property
    def stored_or_moved(self) -> bool:
        return not self.asked


def outcome(row: dict) -> Outcome:
    screen = screen_of(row)
    codes = [o["code"] for o in row["options"]]
    reading = understand(row["reply"], screen)
    meaning = reading.meaning
    if meaning is not None and meaning.navigation is not None:
        return Outcome(navigate=meaning.navigation.value)
    if meaning is not None:
        return Outcome(choose=tuple(codes[i] for i in sorted(meaning.choices)))
    named = {codes[i] for m in reading.meanings for i in m.choices}
    named |= {m.navigation.value for m in reading.meanings if m.navigation is not None}
    return Outcome(asked=True, named=frozenset(named))


def expected(row: dict) -> Outcome:
    expect = row["expect"]
    if "choose" in expect:
        chosen = set(expect["choose"])
        return Outcome(choose=tuple(o["code"] for o in row["options"] if o["code"] in chosen))
    if "navigate" in expect:
        return Outcome(navigate=expect["navigate"])
    return Outcome(asked=True, named=frozenset(expect["ask"]))
