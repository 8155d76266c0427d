"""The hall's poster (issue 15): one A4 page, PNG or PDF, in the ward's language, with the QR
codes and short links that open the question form bound to the live session, on the web chat
and on Telegram, and what to type on Zalo (to ask, and to support a question by its number).

Drawn with matplotlib (Agg, no pyplot, DejaVu Sans: every Vietnamese letter), the QR codes with
segno; nothing else runs to make it.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib
import numpy as np
import segno
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from bot.i18n import _, use_locale

FONT = "DejaVu Sans"
A4 = (8.27, 11.69)  # inches, portrait
DPI = 150  # the PNG: 1240 x 1754 pixels
INK, ACCENT, PALE = "#111111", "#b3261e", "#f3f6f9"


@dataclass(frozen=True)
class PosterLinks:
    web_chat: str  # {public_url}/chat?s=<session>
    telegram: str | None  # https://t.me/<bot>?start=hall_<session>, None without a bot


def links(public_url: str, session_id: int, telegram_username: str | None) -> PosterLinks:
    web = f"{public_url.rstrip('/')}/chat?s={session_id}"
    telegram = (
        f"https://t.me/{telegram_username.lstrip('@')}?start=hall_{session_id}"
        if telegram_username
        else None
    )
    return PosterLinks(web, telegram)


def short(url: str) -> str:
    """A link as printed under its code: without "https://"."""
    return url.split("://", 1)[-1]


def _qr(figure: Figure, url: str, box: tuple[float, float, float, float]) -> None:
    code = segno.make(url, error="m")
    matrix = np.array(list(code.matrix_iter(scale=1, border=2)), dtype=float)
    axes = figure.add_axes(box)
    axes.imshow(matrix, cmap="gray_r", interpolation="nearest", vmin=0, vmax=1)
    axes.set_axis_off()


def _block(figure: Figure, x: float, y: float, text: str, *, width: int, **style) -> None:
    figure.text(x, y, "\n".join(textwrap.wrap(text, width)), va="top", **style)


def poster(
    found: PosterLinks,
    *,
    ward_name: str,
    session_title: str,
    starts_at: datetime | None,
    place: str,
    locale: str,
    zone: ZoneInfo,
    format: str,  # "png" or "pdf"
) -> bytes:
    with use_locale(locale), matplotlib.rc_context({"font.family": FONT}):
        figure = Figure(figsize=A4)
        figure.patch.set_facecolor("white")
        figure.add_artist(
            FancyBboxPatch(
                (0, 0.88),
                1,
                0.12,
                boxstyle="square,pad=0",
                color=ACCENT,
                transform=figure.transFigure,
            )
        )
        figure.text(
            0.5,
            0.958,
            _("DIALOGUE CONFERENCE"),
            ha="center",
            va="center",
            fontsize=28,
            weight="bold",
            color="white",
        )
        if ward_name:
            figure.text(
                0.5,
                0.912,
                _("Ward {name}").format(name=ward_name),
                ha="center",
                va="center",
                fontsize=17,
                color="white",
            )
        title = textwrap.wrap(session_title, 64)[:2]
        figure.text(
            0.5,
            0.868,
            "\n".join(title),
            ha="center",
            va="top",
            fontsize=12.5,
            weight="bold",
            color=INK,
            multialignment="center",
        )
        details = []
        if starts_at is not None:
            details.append(starts_at.astimezone(zone).strftime("%H:%M %d/%m/%Y"))
        if place:
            details.append(place)
        figure.text(
            0.5,
            0.862 - 0.021 * len(title),
            " · ".join(details)[:100],
            ha="center",
            va="top",
            fontsize=11,
            color=INK,
        )
        figure.text(
            0.5,
            0.775,
            _("Send your question from the hall"),
            ha="center",
            va="center",
            fontsize=22,
            weight="bold",
            color=INK,
        )
        _block(
            figure,
            0.08,
            0.752,
            _(
                "Scan a code with your phone's camera. Your question goes straight into the "
                "conference's queue and is shown on the screen; the officials answer in the hall."
            ),
            width=78,
            fontsize=11.5,
            color=INK,
        )
        codes = [(_("Web chat"), found.web_chat)]
        if found.telegram:
            codes.append((_("Telegram"), found.telegram))
        size = 0.34 if len(codes) == 2 else 0.38
        centres = (0.27, 0.73) if len(codes) == 2 else (0.5,)
        for (label, url), centre in zip(codes, centres, strict=True):
            height = size * A4[0] / A4[1]
            _qr(figure, url, (centre - size / 2, 0.66 - height, size, height))
            figure.text(
                centre,
                0.672,
                label,
                ha="center",
                va="bottom",
                fontsize=18,
                weight="bold",
                color=ACCENT,
            )
            figure.text(
                centre,
                0.652 - height,
                "\n".join(textwrap.wrap(short(url), 38)),
                ha="center",
                va="top",
                fontsize=10.5,
                family="DejaVu Sans Mono",
                color=INK,
            )
        figure.add_artist(
            FancyBboxPatch(
                (0.06, 0.11),
                0.88,
                0.25,
                boxstyle="round,pad=0.005,rounding_size=0.01",
                facecolor=PALE,
                edgecolor="#c9d3dc",
                transform=figure.transFigure,
            )
        )
        figure.text(0.09, 0.34, _("On Zalo"), va="top", fontsize=17, weight="bold", color=ACCENT)
        _block(
            figure,
            0.09,
            0.305,
            _(
                "Send a message to the ward's Zalo account: type “hỏi” to send a question, then "
                "follow the numbered replies."
            ),
            width=70,
            fontsize=12.5,
            color=INK,
        )
        _block(
            figure,
            0.09,
            0.235,
            _(
                "To support a question already on the screen, type “ủng hộ” and its number, for "
                "example: ủng hộ 12. Each person supports a question once."
            ),
            width=70,
            fontsize=12.5,
            color=INK,
        )
        if found.telegram:
            _block(
                figure,
                0.09,
                0.165,
                _("On Telegram, type /hall to see the questions and support them."),
                width=70,
                fontsize=12.5,
                color=INK,
            )
        _block(
            figure,
            0.08,
            0.085,
            _(
                "Complaints and denunciations are not handled here: please go to the ward's "
                "citizen reception. Your name is never shown on the screen."
            ),
            width=90,
            fontsize=9.5,
            color="#555555",
        )
        out = io.BytesIO()
        metadata = {"Creator": "doithoai"} if format == "pdf" else {"Software": None}
        figure.savefig(out, format=format, dpi=DPI, metadata=metadata)
    return out.getvalue()
