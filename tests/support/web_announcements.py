"""The Announcements page read in a browser."""

from __future__ import annotations


async def showing(browser, text: str) -> str:
    """The page's text once it shows `text`; a page replaced while it is read (after a form
    was posted) is read again."""
    from selenium.common.exceptions import StaleElementReferenceException

    while True:
        try:
            return await browser.wait_for_text(text)
        except StaleElementReferenceException:
            continue
