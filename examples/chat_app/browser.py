"""Run the chat app in a background thread and drive it with a headless Chromium.

Used by the browser tests (``tests/test_browser.py``) and by ``screenshot.py``. Needs
Debian's ``chromium`` and ``chromium-driver`` packages and ``selenium``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal

from hf_inference.testing import LocalInferenceServer

from .app import create_app

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
#: As root in a container, and with no network: without the background-networking flags
#: Chromium's own connections are refused and it stalls.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# The sans-I/O websockets implementation: the legacy one warns about deprecation.
WS = "websockets-sansio" if "websockets-sansio" in uvicorn.config.WS_PROTOCOLS else "auto"


def missing_browser() -> str | None:
    """Why Chromium cannot be driven here, or None when it can."""
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not found: apt-get install chromium chromium-driver (Debian)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install selenium"
    return None


@contextlib.contextmanager
def chromium(width: int = 900, height: int = 700) -> Iterator[Any]:
    """A headless Chromium under chromedriver with a fresh profile, quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="chat-app-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.add_argument(f"--window-size={width},{height}")
        service = Service(executable_path=shutil.which("chromedriver") or "chromedriver")
        driver = webdriver.Chrome(options=options, service=service)
        try:
            yield driver
        finally:
            driver.quit()


@dataclass
class RunningApp:
    url: str
    upstream: LocalInferenceServer
    uvicorn: uvicorn.Server
    portal: BlockingPortal  # runs coroutines on the app's event loop


@contextlib.contextmanager
def serve_in_thread(token_delay: float = 0.0, max_tokens: int = 48) -> Iterator[RunningApp]:
    """The local API server and the chat app under uvicorn, on one loop in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    with start_blocking_portal() as portal:
        upstream = LocalInferenceServer(token_delay=token_delay)
        portal.call(upstream.start)
        try:
            app = create_app(
                base_url=upstream.base_url,
                token=False,
                model=MODEL,
                max_tokens=max_tokens,
                mode="local server",
            )
            config = uvicorn.Config(
                app, log_config=None, log_level="warning", ws=WS, access_log=False
            )
            server = uvicorn.Server(config)
            done = portal.start_task_soon(server.serve, [sock])
            host, port = sock.getsockname()[:2]
            try:
                yield RunningApp(f"http://{host}:{port}/", upstream, server, portal)
            finally:
                server.should_exit = True
                done.result(timeout=30)
        finally:
            portal.call(upstream.close)
            sock.close()
