"""The code in the docs runs: every ```python (or ```py) block of README.md and docs/*.md runs
against a LocalInferenceServer, so an example that stops working fails this test.

Rules for authors (also in docs/testing.md):

* every ```python block runs, unless the line before its fence is
  ``<!-- not-tested: <reason> -->``;
* a block may use ``await``, ``async for`` and ``async with`` at top level (it runs in the
  test's event loop); a block without them runs in a worker thread, so it may call
  ``asyncio.run(main())`` like a script;
* the environment is what ``python -m hf_inference.testing`` tells a user to export:
  ``HF_INFERENCE_BASE_URL`` at the local server (so ``AsyncInferenceClient()``, the
  module-level functions and the CLI reach it) and ``ENDPOINT_URL`` at its dedicated endpoint;
  the current directory holds what its ``--samples`` writes (``cats.png``, ``invoice.png``,
  ``sample1.flac``, ``article.txt``);
* README.md and docs/quickstart.md run exactly as written: each page's blocks in order, in one
  namespace, nothing added, as a user pasting them one after the other;
* in the other pages' blocks, ``client`` is in scope (an ``AsyncInferenceClient`` bound to
  the local server), ``https://<name>.endpoints.huggingface.cloud/<endpoint>`` URLs are
  rewritten to the local server's dedicated endpoint ``<endpoint>`` and
  ``https://router.huggingface.co`` to the local server;
* a block whose first line is ``# test_<name>.py`` is a pytest module: it is run by a nested
  pytest session in a fresh interpreter and all its tests must pass;
* in ```console blocks, every ``$ hf-inference ... --local ...`` command runs in-process; the
  lines after it (up to the next ``$``) are its expected output, skipping lines of ``...``;
  an expected line starting with ``error:`` means a non-zero exit;
* an example that needs a missing optional package (``OPTIONAL``) is skipped, not failed;
* an example that imports a peer client (``PEERS``: huggingface_hub, openai; the other tabs of
  docs/migrating.md) is an ``interop`` test (``nox -s interop`` runs it): without the peer it
  is skipped, or fails where ``HF_INFERENCE_INTEROP_REQUIRED=1``.

Nothing reaches the network: proxies point at a closed port for every host but 127.0.0.1.
"""

from __future__ import annotations

import ast
import inspect
import re
import shlex
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from test_interop import import_peer

import hf_inference
from hf_inference import AsyncInferenceClient, cli
from hf_inference._tasks import TASKS
from hf_inference.testing import LocalInferenceServer
from hf_inference.testing.__main__ import aim_line
from hf_inference.testing._media import write_samples

pytest_plugins = ("pytester",)

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?:python|py)\b[^\n]*\n"
    r"(?P<code>.*?)"
    r"^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_SKIP = re.compile(r"<!--\s*not-tested:(?P<reason>[^>]*)-->\s*$")
_PYTEST_FILE = re.compile(r"#\s*(test_\w+\.py)\s*$")
_CONSOLE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*console\b[^\n]*\n"
    r"(?P<code>.*?)"
    r"^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
#: Optional packages an example may need; without them the example is skipped, not failed.
OPTIONAL = frozenset({"fastapi", "starlette", "uvicorn", "numpy", "PIL"})
#: Peer clients whose calls docs/migrating.md shows beside ours: run in ``nox -s interop``.
PEERS = frozenset({"huggingface_hub", "openai"})
_ENDPOINT_URL = re.compile(r"https://[\w.-]+\.endpoints\.huggingface\.cloud/(?P<name>[\w.-]+)")
# The peers cannot be aimed by HF_INFERENCE_BASE_URL: their blocks name the router.
_ROUTER_URL = re.compile(r"https://router\.huggingface\.co(?=[/\"'])")
_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+(?P<module>\w+)", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # line of the first code line in the page
    code: str
    skip: str | None  # the reason given in a not-tested marker

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def pytest_file(self) -> str | None:
        first = self.code.split("\n", 1)[0]
        match = _PYTEST_FILE.fullmatch(first.strip())
        return match.group(1) if match else None

    @property
    def peers(self) -> list[str]:
        """The peer clients this block imports (an interop test then)."""
        imported = {m.group("module") for m in _IMPORT.finditer(self.code)}
        return sorted(imported & PEERS)


def _dedent(code: str, indent: str) -> str:
    return "\n".join(line.removeprefix(indent) for line in code.split("\n"))


def collect(page: Path) -> Iterator[Block]:
    text = page.read_text(encoding="utf-8")
    for match in _FENCE.finditer(text):
        start = match.start()
        before = text[:start].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _SKIP.search(before)
        yield Block(
            page=page,
            line=text.count("\n", 0, match.start("code")) + 1,
            code=_dedent(match.group("code"), match.group("indent")),
            skip=skip.group("reason").strip() if skip else None,
        )


@dataclass(frozen=True)
class Command:
    page: Path
    line: int
    argv: list[str]  # after "hf-inference"
    expected: list[str]  # output lines that must appear, in order

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def collect_commands(page: Path) -> Iterator[Command]:
    text = page.read_text(encoding="utf-8")
    for match in _CONSOLE.finditer(text):
        first = text.count("\n", 0, match.start("code")) + 1
        lines = _dedent(match.group("code"), match.group("indent")).split("\n")
        starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(lines)
            command = lines[start][2:]
            argv = shlex.split(command)
            if argv[:1] != ["hf-inference"] or "--local" not in argv or "|" in command:
                continue
            expected = [line for line in lines[start + 1 : end] if line.strip() not in ("", "...")]
            yield Command(page, first + start, argv[1:], expected)


BLOCKS = [block for page in PAGES for block in collect(page)]
COMMANDS = [command for page in PAGES for command in collect_commands(page)]
#: Pages a newcomer pastes from top to bottom: they run as written, in order.
IN_ORDER = [ROOT / "README.md", ROOT / "docs" / "quickstart.md"]
RUNNABLE = [
    b for b in BLOCKS if b.skip is None and b.pytest_file is None and b.page not in IN_ORDER
]
PYTEST_FILES = [b for b in BLOCKS if b.skip is None and b.pytest_file is not None]


def _params(blocks: list[Block]) -> list[Any]:
    return [
        pytest.param(block, id=block.id, marks=[pytest.mark.interop] if block.peers else [])
        for block in blocks
    ]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A scratch working directory with sample media, no token file and no way out."""
    monkeypatch.chdir(tmp_path)
    write_samples(tmp_path)  # what `python -m hf_inference.testing --samples .` writes
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_TOKEN", "hf_docs_example_token")
    monkeypatch.delenv("HF_TOKEN_PATH", raising=False)
    # A block that reaches for a real host fails at once instead of using the network.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    return tmp_path


@pytest.fixture
async def docs_server(
    offline: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LocalInferenceServer]:
    async with LocalInferenceServer() as server:
        # Exactly the line the server tells a user to paste into their shell.
        exported = aim_line(server).removeprefix("export ").split()
        for name, _, value in (pair.partition("=") for pair in exported):
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("HF_INFERENCE_ROUTER_URL", raising=False)
        async with AsyncInferenceClient() as probe:
            # If the client stops reading these globals, fail here, not on the network.
            assert probe.base_url == server.base_url
            assert probe.router_url == server.url
        yield server


def _compile(block: Block, source: str) -> Any:
    # Leading newlines make tracebacks point at the line in the Markdown page.
    padded = "\n" * (block.line - 1) + source
    filename = str(block.page.relative_to(ROOT))
    return compile(padded, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _localise(code: str, server: LocalInferenceServer) -> str:
    code = _ENDPOINT_URL.sub(lambda m: server.endpoint_url(m.group("name")), code)
    return _ROUTER_URL.sub(server.url, code)


@pytest.mark.anyio
@pytest.mark.parametrize("block", _params(RUNNABLE))
async def test_example_runs(block: Block, docs_server: LocalInferenceServer) -> None:
    for peer in block.peers:
        import_peer(peer)  # skips without it, unless the interop session requires it
    code = _compile(block, _localise(block.code, docs_server))
    client = AsyncInferenceClient(base_url=docs_server.base_url)
    namespace: dict[str, Any] = {"__name__": "__docs__", "client": client}
    try:
        if code.co_flags & inspect.CO_COROUTINE:
            await eval(code, namespace)
        else:
            await anyio.to_thread.run_sync(exec, code, namespace)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in OPTIONAL:
            raise
        pytest.skip(f"needs the optional package {exc.name}")
    finally:
        await client.aclose()
        await hf_inference.aclose_default_client()
    # Every client the example opened is closed again: no connection is left behind.
    await docs_server.wait_connections(0)


@pytest.mark.anyio
@pytest.mark.parametrize("page", [pytest.param(p, id=p.name) for p in IN_ORDER])
async def test_page_runs_as_written_in_order(page: Path, docs_server: LocalInferenceServer) -> None:
    blocks = [b for b in BLOCKS if b.page == page and b.skip is None]
    assert blocks and all(b.pytest_file is None for b in blocks)
    namespace: dict[str, Any] = {"__name__": "__docs__"}  # nothing added: as pasted
    try:
        for block in blocks:
            code = _compile(block, block.code)
            try:
                if code.co_flags & inspect.CO_COROUTINE:
                    await eval(code, namespace)
                else:
                    await anyio.to_thread.run_sync(exec, code, namespace)
            except ModuleNotFoundError as exc:
                if (exc.name or "").partition(".")[0] not in OPTIONAL:
                    raise
                pytest.skip(f"{block.id} needs the optional package {exc.name}")
    finally:
        await hf_inference.aclose_default_client()
    # The page closes what it opened: no connection is left behind.
    await docs_server.wait_connections(0)
    paths = [request.path for request in docs_server.requests]
    assert any(p.startswith("/hf-inference/") for p in paths), paths
    assert any(p.startswith("/endpoints/gpt2") for p in paths), paths  # via ENDPOINT_URL


@pytest.mark.parametrize("block", _params(PYTEST_FILES))
def test_pytest_example_passes(
    block: Block, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert block.pytest_file is not None
    monkeypatch.setenv("HF_TOKEN", "hf_docs_example_token")
    pytester.makefile(".py", **{block.pytest_file[:-3]: block.code})
    # In a fresh interpreter, as a user runs it: an in-process run drops the modules it
    # imported first (uvicorn, httptools) from sys.modules on the way out, and a C extension
    # imported again keeps raising the first copy's exception classes, so uvicorn's httptools
    # protocol stopped recognising WebSocket upgrades in every later test file.
    # Hypothesis' plugin costs seconds per nested session and these examples do not use it;
    # they run on anyio (tests/test_plugin.py covers pytest-asyncio).
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:asyncio", "-W", "error"
    )
    outcomes = result.parseoutcomes()
    if outcomes.get("skipped") and not (outcomes.get("passed") or outcomes.get("failed")):
        pytest.skip(f"{block.pytest_file} skipped itself (an optional package is missing)")
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    result.assert_outcomes(passed=outcomes["passed"])


@pytest.mark.parametrize("command", [pytest.param(c, id=c.id) for c in COMMANDS])
def test_command_line_example(
    command: Command, offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(command.argv)
    out, err = capsys.readouterr()
    printed = [line.rstrip() for line in (out + err).splitlines()]
    fails = any(line.startswith("error:") for line in command.expected)
    assert (code != 0) == fails, f"exit code {code}\n{out}{err}"
    # The expected lines appear in order (other output may come between them).
    remaining = iter(printed)
    for line in command.expected:
        assert any(p == line.rstrip() for p in remaining), (
            f"{line!r} not printed (in order) by hf-inference {shlex.join(command.argv)}:\n"
            + "\n".join(printed)
        )


def test_every_task_has_a_runnable_example() -> None:
    tasks_page = [b.code for b in RUNNABLE if b.page.name == "tasks.md"]
    missing = [
        name
        for name in TASKS
        if not any(re.search(rf"\bclient\.{name}\(", code) for code in tasks_page)
    ]
    assert not missing, f"docs/tasks.md has no runnable example for {missing}"


def test_skipped_blocks_give_a_reason() -> None:
    assert BLOCKS, "no ```python blocks found: did the docs move?"
    assert all(block.skip for block in BLOCKS if block.skip is not None)


MIGRATING = ROOT / "docs" / "migrating.md"
_CALL = re.compile(r"^## (?P<number>\d+)\. (?P<title>.+)$", re.MULTILINE)
_TAB = re.compile(r'^=== "(?P<name>[^"]+)"[ \t]*$', re.MULTILINE)


def test_migrating_page_shows_each_call_in_every_client() -> None:
    """docs/migrating.md: ten calls, each with a tab per client in one order; hf_inference's
    tab always runs, a peer's tab runs that peer (an interop test) or says in a line why not."""
    text = MIGRATING.read_text(encoding="utf-8")
    calls = list(_CALL.finditer(text))
    assert [int(call["number"]) for call in calls] == list(range(1, 11))
    ends = [call.start() for call in calls[1:]] + [len(text)]
    for call, end in zip(calls, ends, strict=True):
        tabs = list(_TAB.finditer(text, call.end(), end))
        names = [tab["name"] for tab in tabs]
        assert names == ["huggingface_hub", "openai", "hf_inference"], call["title"]
        tab_ends = [tab.start() for tab in tabs[1:]] + [end]
        for tab, tab_end in zip(tabs, tab_ends, strict=True):
            first, last = (text.count("\n", 0, pos) + 1 for pos in (tab.end(), tab_end))
            blocks = [b for b in RUNNABLE if b.page == MIGRATING and first <= b.line <= last]
            where = f"{call['title']} / {tab['name']}"
            if tab["name"] == "hf_inference":
                assert len(blocks) == 1 and not blocks[0].peers, where
            elif blocks:
                assert len(blocks) == 1 and blocks[0].peers == [tab["name"]], where
            else:
                assert text[tab.end() : tab_end].strip(), f"{where}: no block and no reason"
