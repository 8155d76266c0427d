"""A real headless Chromium (Debian's `chromium` and `chromium-driver`), driven by Selenium
from the test's event loop: every browser call runs in a thread, so the web server the test
serves in the same loop keeps answering. Tests using it skip where Chromium is not installed
(`.ci/run` installs it). When a test fails, each page it had open is kept as a screenshot in
the test's temporary folder (see `pytest_runtest_makereport` in tests/conftest.py)."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and chromedriver are not installed (apt install chromium chromium-driver)",
)


class Browser:
    """One browser window; `width` x `height` is the screen it pretends to be."""

    def __init__(self, base_url: str, screenshots: Path, width: int = 1366, height: int = 768):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--lang=vi",
            f"--window-size={width},{height}",
        ):
            options.add_argument(argument)
        # No downloads dialog: files land in a folder the test reads.
        self.downloads = screenshots / "downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(self.downloads),
                "download.prompt_for_download": False,
            },
        )
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.driver.set_window_size(width, height)
        self.base_url = base_url
        self.screenshots = screenshots
        self.shots = 0

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    async def open(self, path: str) -> None:
        await self.call(self.driver.get, self.base_url + path)

    async def find(self, css: str):
        from selenium.webdriver.common.by import By

        return await self.call(self.driver.find_element, By.CSS_SELECTOR, css)

    async def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return await self.call(self.driver.find_elements, By.CSS_SELECTOR, css)

    async def field(self, label: str):
        """The form field whose <label> reads `label` (so every field tested has a label)."""
        from selenium.webdriver.common.by import By

        def by_label():
            for element in self.driver.find_elements(By.TAG_NAME, "label"):
                if element.text.strip() == label:
                    target = element.get_attribute("for")
                    if target:
                        return self.driver.find_element(By.ID, target)
                    return element.find_element(By.CSS_SELECTOR, "input, select, textarea")
            raise AssertionError(f"no field labelled {label!r} on {self.driver.current_url}")

        return await self.call(by_label)

    async def type_into(self, label: str, text: str) -> None:
        element = await self.field(label)
        await self.call(element.clear)
        await self.call(element.send_keys, text)

    async def press(self, text: str) -> None:
        """Click the button or link that reads `text`."""
        from selenium.webdriver.common.by import By

        def click():
            for element in self.driver.find_elements(
                By.CSS_SELECTOR, "button, a, input[type=submit]"
            ):
                shown = (element.text or element.get_attribute("value") or "").strip()
                if shown == text and element.is_displayed():
                    element.click()
                    return
            raise AssertionError(f"no button or link {text!r} on {self.driver.current_url}")

        await self.call(click)

    async def text(self) -> str:
        """What the page shows (the body's visible text). A page being replaced (a form just
        sent) has no body for a moment: read again rather than fail."""
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
        )

        for _attempt in range(50):
            try:
                element = await self.find("body")
                return await self.call(getattr, element, "text")
            except (StaleElementReferenceException, NoSuchElementException):
                await asyncio.sleep(0.1)
        raise AssertionError(f"the page at {self.driver.current_url} never settled")

    async def wait_for_text(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = await self.text()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{text!r} not shown within {timeout} s; the page shows:\n{shown}"
                )
            await asyncio.sleep(0.1)

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def screenshot(self, name: str) -> Path:
        self.shots += 1
        target = self.screenshots / f"{self.shots:02d}-{name}.png"
        self.driver.save_screenshot(str(target))
        return target

    def close(self) -> None:
        self.driver.quit()


@pytest.fixture
def browser_factory(request: pytest.FixtureRequest, tmp_path: Path):
    """Opens browsers on a served console; on failure each one's page is kept as a PNG."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Chromium and chromedriver are not installed")
    opened: list[Browser] = []

    def open_browser(base_url: str, **size: int) -> Browser:
        browser = Browser(base_url, tmp_path / f"browser-{len(opened) + 1}", **size)
        opened.append(browser)
        return browser

    yield open_browser
    report = getattr(request.node, "rep_call", None)
    for browser in opened:
        if report is not None and report.failed:
            path = browser.screenshot("at-failure")
            print(f"screenshot of the page at failure: {path}")
        browser.close()
