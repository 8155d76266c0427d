"""Documents rendered as a clerk prints them: LibreOffice turns a DOCX or XLSX into a PDF,
poppler draws each page as a PNG and lists every word with its box. Tests check the pages (how
many, what is written where, nothing beyond the margins or over other text), and the pages of
the last run stay in `tests/rendered/` (git-ignored) for a person to look at.

Needs `soffice` (libreoffice-writer, libreoffice-calc) and poppler-utils; .ci/run installs
them. Without them the tests that render are skipped, saying what to install.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RENDERED = ROOT / "tests" / "rendered"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext"))
INSTALL = (
    "apt-get install -y --no-install-recommends libreoffice-writer libreoffice-calc "
    "fonts-dejavu fonts-liberation2 fonts-crosextra-carlito poppler-utils"
)
needs_libreoffice = pytest.mark.skipif(
    not (SOFFICE and POPPLER),
    reason=f"LibreOffice or poppler-utils is not installed, documents are not rendered: {INSTALL}",
)
CM = 72 / 2.54  # PDF points per centimetre
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
written: set[str] = set()  # the documents rendered in this run (tests/conftest.py lists them)


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Page:
    width: float  # points
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def lowest(self) -> float:
        """Where the text ends on the page (points from the top)."""
        return max((w.y1 for w in self.words), default=0.0)

    def outside(self, left: float, right: float, top: float, bottom: float) -> list[Word]:
        """Words reaching beyond the given margins (points; a point of tolerance)."""
        return [
            w
            for w in self.words
            if w.x0 < left - 1
            or w.x1 > self.width - right + 1
            or w.y0 < top - 1
            or w.y1 > self.height - bottom + 1
        ]

    def overlapping(self) -> list[tuple[Word, Word]]:
        """Pairs of words drawn over each other: text spilling out of its cell onto the next."""
        found = []
        words = sorted(self.words, key=lambda w: w.y0)
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if b.y0 >= a.y1:
                    break
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                smaller = min(a.y1 - a.y0, b.y1 - b.y0)
                if dx > 1 and dy > 0.4 * smaller:
                    found.append((a, b))
        return found


@dataclass(frozen=True)
class Rendered:
    pdf: Path
    pngs: list[Path]
    pages: list[Page]

    @property
    def text(self) -> str:
        return "\n".join(page.text for page in self.pages)


def render(document: Path, name: str) -> Rendered:
    """Renders `document` into tests/rendered/<name>/ (emptied first): the PDF, one PNG per
    page and the file itself, for a person to open."""
    out = RENDERED / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    source = out / document.name
    shutil.copyfile(document, source)
    with tempfile.TemporaryDirectory() as profile:
        # A profile of its own: two LibreOffice runs never wait on each other's lock.
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    written.add(name)
    pdf = out / f"{document.stem}.pdf"
    assert pdf.exists(), f"LibreOffice wrote no PDF for {document.name}"
    subprocess.run(
        ["pdftoppm", "-r", "70", "-png", str(pdf), str(out / "page")], check=True, timeout=120
    )
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    pages = [
        Page(
            float(width),
            float(height),
            [
                Word(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3]))
                for m in _WORD.findall(body)
            ],
        )
        for width, height, body in _PAGE.findall(bbox)
    ]
    return Rendered(pdf, sorted(out.glob("page*.png")), pages)
