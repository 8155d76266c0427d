"""Accessibility basics on every page the console and the chat serve, read from the router so
a page added later is checked too: the page says its language, and every form field a person
fills in has a label (a <label for=…>, a <label> around it, or an aria-label), which is what a
screen reader reads out and what makes a tap on the words focus the field."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.support.staff_pages import filled, seeded, staff_routes
from tests.support.web import serve_console, signed_in

UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}
PUBLIC_PAGES = ["/staff/sign-in", "/chat", "/chat/poster"]


class Fields(HTMLParser):
    """The form fields of a page and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_targets: set[str] = set()
        self.open_labels = 0
        self.language: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.language = attributes.get("lang")
        elif tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_targets.add(attributes["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and (attributes.get("type") or "text") in UNLABELLED_TYPES:
                return
            self.fields.append(
                {**attributes, "tag": tag, "inside_label": str(self.open_labels > 0)}
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.open_labels:
            self.open_labels -= 1

    def unlabelled(self) -> list[str]:
        return [
            f"<{field['tag']} name={field.get('name')!r}>"
            for field in self.fields
            if field["inside_label"] != "True"
            and field.get("id") not in self.label_targets
            and not field.get("aria-label")
            and not field.get("aria-labelledby")
        ]


def problems_of(page: str) -> list[str]:
    fields = Fields()
    fields.feed(page)
    found = [f"field without a label: {name}" for name in fields.unlabelled()]
    # A fragment a page's script fetches (a queue, a board) is part of a page that says it.
    if "<html" in page and fields.language not in ("vi", "en"):
        found.append(f"<html lang> is {fields.language!r}")
    return found


async def test_every_page_names_its_language_and_labels_every_field(app, clock):
    seed = await seeded(app, clock)
    checked: dict[str, list[str]] = {}
    async with serve_console(app, clock) as served:
        async with served.client() as visitor:
            for path in PUBLIC_PAGES:
                answer = await visitor.get(path, follow_redirects=True)
                assert answer.status_code == 200, path
                checked[path] = problems_of(answer.text)
        async with await signed_in(served, seed.people.admin) as admin:
            for method, pattern in staff_routes(served.web_app):
                if method != "GET":
                    continue
                answer = await admin.get(filled(pattern, seed))
                if "text/html" not in answer.headers.get("Content-Type", ""):
                    continue  # files, images, JSON for the pages' scripts
                checked[pattern] = problems_of(answer.text)
    assert len(checked) >= 15  # the console's pages were reached, not only redirects
    assert {path: found for path, found in checked.items() if found} == {}
