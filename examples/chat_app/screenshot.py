"""``python -m examples.chat_app.screenshot [PATH]``: a finished reply, as a PNG for the docs.

Starts the chat app against the local server, asks one question in a headless Chromium and
saves the page once the reply is done (default ``docs/img/chat_app.png``). ``nox -s
screenshot`` runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .browser import chromium, missing_browser, serve_in_thread

QUESTIONS = ("What does streaming over a WebSocket give my users?",)


def main(argv: list[str]) -> int:
    reason = missing_browser()
    if reason is not None:
        print(f"cannot take the screenshot: {reason}", file=sys.stderr)
        return 1
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    path = Path(argv[0] if argv else "docs/img/chat_app.png")
    with serve_in_thread(token_delay=0.005, max_tokens=40) as app, chromium(900, 760) as driver:
        driver.get(app.url)
        wait = WebDriverWait(driver, 20)
        wait.until(lambda d: "local server" in d.find_element(By.ID, "model").text)
        for question in QUESTIONS:
            driver.find_element(By.ID, "prompt").send_keys(question)
            driver.find_element(By.ID, "send").click()
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.assistant[data-state=done]"))
        path.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(path))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
