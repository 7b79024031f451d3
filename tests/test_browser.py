"""The chat app (examples/chat_app) in a real headless Chromium, driven by Selenium.

The app runs under uvicorn in a thread, its upstream is the local API server on the same
loop; the page talks to it over real sockets. Pacing and failures come from the local
server's knobs and scripts (``token_delay``, ``Stall``, ``Drop``, ``Loading``, a 429 reply)
and every wait is for a condition (a DOM state, ``wait_connections``), never a fixed sleep.

Without Chromium, chromedriver or selenium these tests are skipped, except under CI (the
``CI`` environment variable set), where they fail: CI must not skip them silently.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the examples package

from examples.chat_app.browser import (
    MODEL,
    RunningApp,
    chromium,
    missing_browser,
    serve_in_thread,
)
from hf_inference import AsyncInferenceClient
from hf_inference.testing import Drop, Loading, Reply, Stall

REASON = missing_browser()
if REASON is not None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {REASON}", pytrace=False)
    pytest.skip(REASON, allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

MAX_TOKENS = 48
TRANSPORTS = ["ws", "sse"]
LAST_REPLY = "li.assistant:last-of-type"


def chunk(text: str) -> bytes:
    """One chat stream event carrying ``text``, as a server sends it."""
    delta = '{"role":"assistant","content":"' + text + '"}'
    return b'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":' + (
        delta.encode() + b',"finish_reason":null}]}\n\n'
    )


@pytest.fixture
def app() -> Iterator[RunningApp]:
    """A fresh upstream and app per test: no pooled connection carries over."""
    with serve_in_thread(max_tokens=MAX_TOKENS) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def page(app: RunningApp, browser: WebDriver) -> Iterator[WebDriver]:
    """A fresh page on the app; once it is gone, no request may be left running."""
    browser.get(app.url)
    until(browser, lambda d: "local server" in d.find_element(By.ID, "model").text)
    yield browser
    browser.get("about:blank")
    app_idle(app, upstream_connections=None)


def until(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = 15) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(condition)


def ask(driver: WebDriver, prompt: str, transport: str = "ws") -> None:
    driver.find_element(By.ID, f"transport-{transport}").click()
    driver.find_element(By.ID, "prompt").send_keys(prompt)
    driver.find_element(By.ID, "send").click()


def reply(driver: WebDriver) -> Any:
    return driver.find_element(By.CSS_SELECTOR, LAST_REPLY)


def reply_text(driver: WebDriver) -> str:
    text: str = driver.execute_script(
        "return document.querySelector(arguments[0] + ' .text').textContent", LAST_REPLY
    )
    return text


def finished(state: str) -> Callable[[WebDriver], bool]:
    return lambda d: bool(d.find_elements(By.CSS_SELECTOR, f"{LAST_REPLY}[data-state={state}]"))


def expected_reply(app: RunningApp, prompt: str) -> str:
    async def run() -> str:
        async with AsyncInferenceClient(False, base_url=app.upstream.base_url) as client:
            stream = client.chat_completion_stream(
                [{"role": "user", "content": prompt}], model=MODEL, max_tokens=MAX_TOKENS
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream])

    return app.portal.call(run)


def app_idle(app: RunningApp, upstream_connections: int | None = 0) -> None:
    """Wait until uvicorn runs no request task (and the upstream holds that many connections)."""

    async def wait() -> None:
        with anyio.fail_after(10):
            while tasks := set(app.uvicorn.server_state.tasks):
                await asyncio.wait(tasks)  # the tasks running now end; a new one may start
        if upstream_connections is not None:
            await app.upstream.wait_connections(upstream_connections)

    app.portal.call(wait)


# -- tests -------------------------------------------------------------------------------------


def test_page_loads_with_its_controls(page: WebDriver) -> None:
    assert page.title == "hf_inference chat"
    assert MODEL in page.find_element(By.ID, "model").text
    assert page.find_element(By.ID, "transport-ws").is_selected()  # WebSocket by default
    assert not page.find_element(By.ID, "transport-sse").is_selected()
    assert page.find_element(By.ID, "send").is_enabled()
    assert not page.find_element(By.ID, "stop").is_enabled()
    assert not page.find_element(By.ID, "error").is_displayed()
    assert page.find_elements(By.CSS_SELECTOR, "#messages li") == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reply_grows_token_by_token(page: WebDriver, app: RunningApp, transport: str) -> None:
    prompt = "Tell me about streams"
    expected = expected_reply(app, prompt)
    app.upstream.token_delay = 0.02  # the upstream paces its events: 48 events over ~1 s
    # Record the reply's length and the time at every change of the DOM.
    page.execute_script(
        """
        window.growth = [];
        new MutationObserver(() => {
          const text = document.querySelector(arguments[0] + ' .text');
          if (text) window.growth.push([performance.now(), text.textContent.length]);
        }).observe(document.getElementById('messages'),
                   {childList: true, subtree: true, characterData: true});
        """,
        LAST_REPLY,
    )
    ask(page, prompt, transport)
    until(page, finished("done"))
    assert reply_text(page) == expected
    growth: list[list[float]] = page.execute_script("return window.growth")
    lengths = [int(length) for _, length in growth if length]
    assert lengths == sorted(lengths)
    assert len(set(lengths)) >= MAX_TOKENS // 2  # many steps, not one final render
    assert lengths[-1] == len(expected)
    times = [t for t, length in growth if length]
    # The first tokens were on screen long before the last: the stream was rendered live.
    assert times[-1] - times[0] > 0.4 * 1000 * 0.02 * (MAX_TOKENS - 1)
    meta = reply(page).find_element(By.CLASS_NAME, "meta").text
    assert meta.startswith("request id local-")
    assert f"{MAX_TOKENS} tokens" in meta
    assert page.find_element(By.ID, "send").is_enabled()
    assert not page.find_element(By.ID, "stop").is_enabled()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_first_tokens_show_before_the_rest_is_sent_and_stop_closes_the_upstream(
    page: WebDriver, app: RunningApp, transport: str
) -> None:
    # The upstream sends two tokens, then holds the rest back until its client leaves.
    app.upstream.script(MODEL, Stall(after_chunks=[chunk("Hello"), chunk(" world")]))
    ask(page, "Hi", transport)
    until(page, lambda d: reply_text(d) == "Hello world")
    assert "streaming" in reply(page).get_attribute("class")
    assert page.find_element(By.ID, "stop").is_enabled()
    assert app.upstream.open_connections == 1  # the stream is still open upstream
    until(page, lambda d: reply(d).get_attribute("data-request-id").startswith("local-"))

    page.find_element(By.ID, "stop").click()
    app.portal.call(app.upstream.wait_connections, 0)  # the upstream connection was closed
    until(page, finished("stopped"))
    assert reply_text(page) == "Hello world"
    assert page.find_element(By.ID, "send").is_enabled()
    assert not page.find_element(By.ID, "error").is_displayed()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reloading_mid_stream_leaks_nothing(
    page: WebDriver, app: RunningApp, transport: str
) -> None:
    app.upstream.script(MODEL, Stall(after_chunks=[chunk("Hello")]))
    ask(page, "Hi", transport)
    until(page, lambda d: reply_text(d) == "Hello")
    assert app.upstream.open_connections == 1

    page.refresh()
    app_idle(app)  # no request task left in the app, no connection upstream
    until(page, lambda d: "local server" in d.find_element(By.ID, "model").text)
    assert page.find_elements(By.CSS_SELECTOR, "#messages li") == []
    ask(page, "Hi again", transport)  # and the app still answers
    until(page, finished("done"))
    assert reply_text(page) == expected_reply(app, "Hi again")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_model_loading_shows_a_countdown(page: WebDriver, app: RunningApp, transport: str) -> None:
    app.upstream.script(MODEL, Loading(estimated_time=5.0))
    ask(page, "Hi", transport)
    until(page, lambda d: d.find_element(By.ID, "error").is_displayed())
    error = page.find_element(By.ID, "error")
    assert error.get_attribute("data-error-type") == "ModelLoadingError"
    assert page.find_element(By.ID, "error-title").text == "The model is loading"
    message = page.find_element(By.ID, "error-message").text
    assert f"Model {MODEL} is currently loading" in message
    assert "(request id local-" in message
    countdown = page.find_element(By.ID, "countdown")
    assert countdown.text == "ready in about 5 s"
    until(page, lambda d: countdown.get_attribute("data-seconds") == "4")  # it counts down
    assert countdown.text == "ready in about 4 s"
    assert reply(page).get_attribute("data-state") == "failed"
    assert page.find_element(By.ID, "send").is_enabled()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rate_limit_says_when_to_try_again(
    page: WebDriver, app: RunningApp, transport: str
) -> None:
    body = {"error": "Rate limit reached. Please retry later."}
    app.upstream.script(MODEL, Reply(429, body, headers={"Retry-After": "30"}))
    ask(page, "Hi", transport)
    until(page, lambda d: d.find_element(By.ID, "error").is_displayed())
    assert page.find_element(By.ID, "error").get_attribute("data-error-type") == "RateLimitError"
    assert page.find_element(By.ID, "error-title").text == "Rate limited"
    assert "Rate limit reached" in page.find_element(By.ID, "error-message").text
    assert page.find_element(By.ID, "countdown").text in ("try again in 30 s", "try again in 29 s")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_broken_stream_keeps_the_partial_reply_and_says_so(
    page: WebDriver, app: RunningApp, transport: str
) -> None:
    # Two tokens, then the upstream connection is reset.
    app.upstream.script(MODEL, Drop(after_chunks=[chunk("Hello"), chunk(" world")]))
    ask(page, "Hi", transport)
    until(page, finished("failed"))
    assert reply_text(page) == "Hello world"
    assert page.find_element(By.ID, "error").is_displayed()
    assert page.find_element(By.ID, "error-title").text == "The stream broke"
    assert "(request id local-" in page.find_element(By.ID, "error-message").text
    app.portal.call(app.upstream.wait_connections, 0)


def test_next_question_clears_the_error(page: WebDriver, app: RunningApp) -> None:
    app.upstream.script(MODEL, Reply(429, {"error": "Rate limit reached"}))
    ask(page, "Hi")
    until(page, finished("failed"))
    ask(page, "Hi")
    until(page, finished("done"))
    assert not page.find_element(By.ID, "error").is_displayed()
    assert reply_text(page) == expected_reply(app, "Hi")
