"""The satisfaction chart (PNG): % satisfied per field and SIPAS element, as grouped horizontal
bars, the all-fields group first. Built from a `Summary`, so it shows the same figures as the
report and the workbook.

Drawn on matplotlib's Agg canvas without pyplot (no display, no global figure registry), with
DejaVu Sans, which ships with matplotlib and has every Vietnamese letter. Sized for the text
width of an A4 page (16 cm) and legible on a phone; the PNG carries no software or time stamp,
so the same figures always give the same bytes.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.exports.summary import Summary
from bot.i18n import _, use_locale
from bot.services.figures import SMALL_CELL, ElementFigure
from bot.survey.definition import Survey

FONT = "DejaVu Sans"
WIDTH = 6.3  # inches: the text width of an A4 page with the report's margins
DPI = 200
# Inches per bar: roomy for a few fields, thinner for many so the chart stays within about a
# page; the gap between two fields follows.
BAR_MAX, BAR_MIN = 0.24, 0.15
BARS_HEIGHT = 8.0
# Okabe-Ito: distinguishable with colour-blindness and still apart in greyscale print.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NO_VALUE = "–"
STYLE = {
    "font.family": FONT,
    "font.size": 9.5,
    "hatch.linewidth": 0.8,
    "axes.edgecolor": "#888888",
}


@dataclass(frozen=True)
class _Group:
    label: str
    figures: list[ElementFigure]


def satisfaction_chart(summary: Summary, survey: Survey, *, locale: str) -> bytes:
    """The chart as PNG bytes; a short "no data yet" picture when nothing has been answered."""
    with use_locale(locale), matplotlib.rc_context(STYLE):
        groups = _groups(summary, survey, locale)
        figure = _bars(summary, survey, groups, locale) if groups else _empty(summary)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _text(value: str) -> str:
    # Decomposed tone marks would be drawn as separate, misplaced glyphs.
    return unicodedata.normalize("NFC", value)


def _groups(summary: Summary, survey: Survey, locale: str) -> list[_Group]:
    """The all-fields group, then one per field with responses, in survey order."""
    if not summary.total_responses or not summary.elements_all:
        return []
    groups = [_Group(_field_label(_("All fields"), summary.total_responses), summary.elements_all)]
    for field in summary.fields(survey):
        figures = [f for f in summary.elements if f.field == field]
        if not figures:
            continue  # questions but no survey responses in this field
        known = survey.field(field)
        label = known.label.get(locale) if known else field
        groups.append(_Group(_field_label(label, sum(summary.responses[field].values())), figures))
    return groups


def _field_label(label: str, responses: int) -> str:
    wrapped = textwrap.fill(_text(label), 22)
    return f"{wrapped}\n(N = {responses})"


def _element_label(figure: ElementFigure, survey: Survey, locale: str) -> str:
    if figure.element is not None:
        return _text(figure.element.get(locale))
    question = survey.question(figure.codes[0])
    return _text(question.title(locale) if question else figure.codes[0])


def _title(summary: Summary) -> str:
    title = _("Share of satisfied residents by field and criterion")
    if summary.session is not None:
        title += "\n" + _text(summary.session.title)
    return title


def _bars(summary: Summary, survey: Survey, groups: list[_Group], locale: str) -> Figure:
    per_group = len(groups[0].figures)
    bar = max(BAR_MIN, min(BAR_MAX, BARS_HEIGHT / (len(groups) * per_group)))
    gap = 1.2 * bar
    labels = [textwrap.fill(_element_label(f, survey, locale), 46) for f in groups[0].figures]
    legend_lines = sum(
        max(label.count("\n") + 1 for label in labels[i : i + 2]) for i in range(0, per_group, 2)
    )
    heading = 0.5 if summary.session is None else 0.72  # title lines, inches
    top = heading + 0.19 * legend_lines + 0.12
    body = len(groups) * per_group * bar + (len(groups) - 1) * gap
    any_small = any_missing = False
    for group in groups:
        for fig in group.figures:
            any_missing = any_missing or fig.satisfied_pct is None
            any_small = any_small or (fig.small and fig.satisfied_pct is not None)
    footnote = _footnote(summary, any_small, any_missing)
    bottom = 0.45 + 0.14 * (footnote.count("\n") + 1)  # axis labels and footnote
    height = top + body + bottom
    figure = Figure(figsize=(WIDTH, height))
    # Data units are inches, so bars and gaps keep their size whatever the number of fields.
    axes = figure.add_axes((0.3, bottom / height, 0.66, body / height))

    value_size = 8 if bar >= 0.2 else 7
    centres = []
    for g, group in enumerate(groups):
        start = g * (per_group * bar + gap)
        centres.append(start + (per_group - 1) * bar / 2)
        for i, fig in enumerate(group.figures):
            y = start + i * bar
            colour = COLOURS[i % len(COLOURS)]
            value = fig.satisfied_pct
            small = fig.small and value is not None
            axes.barh(
                y,
                value or 0,
                height=bar * 0.85,
                color="white" if small else colour,
                edgecolor=colour,
                hatch="////" if small else None,
                linewidth=0.8,
            )
            text = NO_VALUE if value is None else f"{value:.0f}%" + ("*" if small else "")
            axes.text((value or 0) + 1.2, y, text, va="center", fontsize=value_size)

    axes.set_ylim(body - bar / 2, -bar / 2)  # top to bottom: the all-fields group first
    axes.set_yticks(centres, [g.label for g in groups])
    axes.get_yticklabels()[0].set_fontweight("bold")
    axes.tick_params(axis="y", length=0)
    axes.set_xlim(0, 112)
    axes.set_xticks(range(0, 101, 20), [f"{x}%" for x in range(0, 101, 20)])
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)

    figure.suptitle(_title(summary), y=1 - 0.1 / height, va="top", fontsize=11, weight="bold")
    handles = [Patch(color=COLOURS[i % len(COLOURS)]) for i in range(per_group)]
    figure.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - heading / height),
        ncols=2,
        fontsize=8.5,
        frameon=False,
        handlelength=1.4,
    )
    figure.text(0.02, 0.08 / height, footnote, fontsize=7.5, va="bottom", color="#333333")
    return figure


def _footnote(summary: Summary, any_small: bool, any_missing: bool) -> str:
    if summary.neutral_counts_as_satisfied:
        scoring = _(
            "% satisfied: share of valid ratings of 3 to 5 (“Neutral” counted as satisfied); “not applicable” left out. N: survey responses."
        )
    else:
        scoring = _(
            "% satisfied: share of valid ratings of 4 and 5 (“Neutral” counted as not satisfied); “not applicable” left out. N: survey responses."
        )
    notes = [scoring]
    if any_small:
        notes.append(
            _("* Hatched bars: fewer than {n} answers, read with caution.").format(n=SMALL_CELL)
        )
    if any_missing:
        notes.append(_("– no valid answer."))
    return "\n".join(textwrap.fill(note, 118) for note in notes)


def _empty(summary: Summary) -> Figure:
    figure = Figure(figsize=(WIDTH, 2.4))
    figure.suptitle(_title(summary), y=0.95, va="top", fontsize=11, weight="bold")
    figure.text(0.5, 0.4, _("No survey answers yet."), ha="center", va="center", fontsize=12)
    return figure
