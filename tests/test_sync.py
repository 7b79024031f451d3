"""The blocking facade hf_inference.sync.InferenceClient against the local API server.

The server runs on its own event loop thread (a blocking portal), so the tests are plain
functions calling the blocking client the way a script or a notebook cell does.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import signal
import sys
import threading
import time
import types as types_module
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from stderr_support import without_slow_callback_reports

from hf_inference import (
    AsyncInferenceClient,
    AsyncStream,
    ClientClosedError,
    EventLoopError,
    InvalidInputError,
    NotFoundError,
    StreamError,
    types,
)
from hf_inference._tasks import TASKS
from hf_inference.sync import InferenceClient, SyncStream
from hf_inference.testing import ErrorEvent, LocalInferenceServer, Stall

CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
SLOW = {"x-test-token-delay": "0.01"}  # the server paces the stream: it is still open


class Server:
    """A LocalInferenceServer on its own loop thread, driven from the test's thread."""

    def __init__(self, portal: BlockingPortal, server: LocalInferenceServer) -> None:
        self.portal = portal
        self.server = server

    def wait_connections(self, n: int) -> None:
        self.portal.call(self.server.wait_connections, n)

    def run(self, coro_fn: Any, *args: Any) -> Any:
        return self.portal.call(coro_fn, *args)


@pytest.fixture
def local() -> Iterator[Server]:
    async def start() -> LocalInferenceServer:
        server = LocalInferenceServer()
        await server.start()
        return server

    with start_blocking_portal("asyncio") as portal:
        server = portal.call(start)
        try:
            yield Server(portal, server)
        finally:
            portal.call(server.close)


@pytest.fixture
def hf(local: Server) -> Iterator[InferenceClient]:
    with InferenceClient(False, base_url=local.server.base_url, max_retries=0) as client:
        yield client


def direct(local: Server, method: str, *args: Any, **kwargs: Any) -> Any:
    """The same call through the async client, on the server's loop."""

    async def call() -> Any:
        async with AsyncInferenceClient(False, base_url=local.server.base_url) as client:
            result = getattr(client, method)(*args, **kwargs)
            if isinstance(result, AsyncStream):
                return [event async for event in result]
            return await result

    return local.run(call)


def test_task_methods_return_what_the_async_client_returns(
    hf: InferenceClient, local: Server
) -> None:
    out = hf.text_generation("The answer is", model="gpt2")
    assert isinstance(out, types.TextGenerationOutput)
    assert out == direct(local, "text_generation", "The answer is", model="gpt2")
    masks = hf.fill_mask("Paris is the [MASK] of France.", model="bert-base-uncased")
    assert masks == direct(
        local, "fill_mask", "Paris is the [MASK] of France.", model="bert-base-uncased"
    )
    reply = hf.chat_completion([{"role": "user", "content": "Hi"}], model=CHAT_MODEL)
    assert reply.choices[0].message.content


def test_every_task_is_a_typed_method() -> None:
    public = {
        name
        for name, value in vars(AsyncInferenceClient).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }
    declared = set(vars(InferenceClient))
    assert set(TASKS) <= declared
    assert public - declared <= {"aclose", "endpoint"}
    assert InferenceClient.text_generation.__doc__ == AsyncInferenceClient.text_generation.__doc__


def test_stream_is_a_plain_iterator(hf: InferenceClient, local: Server) -> None:
    stream = hf.text_generation_stream("Once", model="gpt2", parameters={"max_new_tokens": 6})
    assert isinstance(stream, SyncStream)
    events = list(stream)
    assert events == direct(
        local, "text_generation_stream", "Once", model="gpt2", parameters={"max_new_tokens": 6}
    )
    assert events[-1].generated_text == "".join(e.token.text for e in events)
    assert stream.closed


def test_stream_context_manager_starts_at_once_and_closes(hf: InferenceClient) -> None:
    messages = [{"role": "user", "content": "Count"}]
    with hf.chat_completion_stream(messages, model=CHAT_MODEL, max_tokens=4) as stream:
        assert stream.status == 200
        assert stream.request_id is not None
        first = next(stream)
        assert first.choices[0].delta.content
    assert stream.closed


def test_break_releases_the_connection(hf: InferenceClient, local: Server) -> None:
    params = {"max_new_tokens": 1000}
    stream = hf.text_generation_stream("Go", model="gpt2", parameters=params, headers=SLOW)
    for i, _event in enumerate(stream):
        if i == 2:
            break
    del stream, _event
    # The dropped iterator closed its socket: the server sees no connection left.
    local.wait_connections(0)


def test_close_releases_a_stream_mid_way(hf: InferenceClient, local: Server) -> None:
    stream = hf.text_generation_stream(
        "Go",
        model="gpt2",
        parameters={"max_new_tokens": 1000},
        headers=SLOW,
    )
    next(stream)
    stream.close()
    stream.close()
    assert stream.closed
    assert list(stream) == []
    local.wait_connections(0)


def test_errors_are_the_async_clients(hf: InferenceClient, local: Server) -> None:
    with pytest.raises(NotFoundError) as info:
        hf.text_generation("x", model="missing/model")
    assert info.value.status == 404
    local.server.script("gpt2", ErrorEvent(after_tokens=1))
    stream = hf.text_generation_stream("x", model="gpt2")
    with pytest.raises(StreamError):
        list(stream)
    assert stream.closed


def test_refuses_a_running_event_loop_instead_of_deadlocking() -> None:
    # The local server runs on the very loop the blocking call would block: before, the call
    # hung until the 300 s read timeout. Now it fails at once, naming the async client.
    async def main() -> None:
        async with LocalInferenceServer() as server:
            with InferenceClient(False, base_url=server.base_url, max_retries=0) as hf:
                with pytest.raises(EventLoopError, match="AsyncInferenceClient") as info:
                    hf.text_generation("Hi", model="gpt2")
                assert isinstance(info.value, RuntimeError)
                with pytest.raises(EventLoopError):
                    hf.text_generation_stream("Hi", model="gpt2")
                # The same call from a worker thread (no loop there) is fine, and the loop
                # keeps serving meanwhile.
                out = await anyio.to_thread.run_sync(
                    functools.partial(hf.text_generation, "Hi", model="gpt2")
                )
                assert out.generated_text
            assert server.requests[-1].path == "/hf-inference/models/gpt2"

    started = time.perf_counter()
    asyncio.run(main())
    assert time.perf_counter() - started < 30  # not the read timeout


def test_notebook_cells_may_block(hf: InferenceClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Jupyter cell is synchronous code running inside the kernel's loop; the kernel is
    # recognised by ipykernel being loaded (its loop never hosts the server here).
    monkeypatch.setitem(sys.modules, "ipykernel", types_module.ModuleType("ipykernel"))

    async def cell() -> str:
        tokens = hf.text_generation_stream("Hi", model="gpt2", parameters={"max_new_tokens": 3})
        return "".join(event.token.text for event in tokens)

    assert len(asyncio.run(cell()).split()) == 3


def test_endpoint_shares_the_session(hf: InferenceClient, local: Server) -> None:
    tgi = hf.endpoint(local.server.endpoint_url("tgi"))
    assert tgi.text_generation("Hello").generated_text
    assert tgi.async_client._transport is hf.async_client._transport
    assert local.server.requests[-1].path == "/endpoints/tgi"


def test_other_attributes_come_from_the_async_client(hf: InferenceClient, local: Server) -> None:
    assert hf.base_url == local.server.base_url
    assert hf.model is None
    with pytest.raises(AttributeError):
        hf._private  # noqa: B018


def test_close_is_idempotent_and_final(local: Server) -> None:
    client = InferenceClient(False, base_url=local.server.base_url)
    thread_count = threading.active_count()
    assert client.fill_mask("a [MASK]", model="bert-base-uncased")
    client.close()
    client.close()
    assert client.closed
    assert threading.active_count() == thread_count - 1
    with pytest.raises(ClientClosedError, match="create a new") as info:
        client.fill_mask("a [MASK]", model="bert-base-uncased")
    assert isinstance(info.value, RuntimeError)  # what it raised before


def test_ctrl_c_cancels_the_call_and_releases_its_connection(
    hf: InferenceClient, local: Server
) -> None:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGINT"):
        pytest.skip("needs signals in the main thread")
    local.server.script("gpt2", Stall(send_headers=False))

    def interrupt_when_sent() -> None:
        local.wait_connections(1)
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=interrupt_when_sent)
    helper.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            hf.text_generation("x", model="gpt2")
    finally:
        helper.join()
    local.wait_connections(0)


UNCLOSED = """
import sys
from hf_inference.sync import InferenceClient

hf = InferenceClient(False, base_url=sys.argv[1])
stream = hf.text_generation_stream(
    "x", model="gpt2", parameters={"max_new_tokens": 1000}, headers={"x-test-token-delay": "0.01"}
)
next(stream)
print("leaving mid-stream")
"""


@pytest.mark.anyio
async def test_a_script_that_never_closes_exits_cleanly(
    tmp_path: Path, server: LocalInferenceServer
) -> None:
    script = tmp_path / "script.py"
    script.write_text(UNCLOSED, encoding="utf-8")
    with anyio.fail_after(30):
        result = await anyio.run_process(
            [sys.executable, "-X", "dev", "-W", "error", str(script), server.base_url],
            check=False,
        )
        await server.wait_connections(0)
    assert result.returncode == 0
    assert result.stdout == b"leaving mid-stream\n"
    # No ResourceWarning, no "Unclosed connection".
    assert without_slow_callback_reports(result.stderr) == ""


def test_openai_shaped_namespaces_block_too(hf: InferenceClient) -> None:
    messages = [{"role": "user", "content": "Hi"}]
    reply = hf.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=4)
    direct = hf.chat_completion(messages, model=CHAT_MODEL, max_tokens=4)
    # The two answers may straddle a second boundary; only `created` may differ.
    assert msgspec.structs.replace(reply, created=direct.created) == direct
    with hf.chat.completions.create(
        model=CHAT_MODEL, messages=messages, max_tokens=4, stream=True
    ) as chunks:
        assert isinstance(chunks, SyncStream)
        assert len(list(chunks)) == 4
    response = hf.responses.create(model=CHAT_MODEL, input="Tell me about Paris")
    assert isinstance(response, types.Response)
    stream = hf.responses.create(model=CHAT_MODEL, input="Tell me about Paris", stream=True)
    events = list(stream)
    deltas = [e.delta for e in events if isinstance(e, types.ResponseTextDeltaEvent)]
    assert "".join(deltas) == response.output_text
    assert stream.closed


def test_keywords_details_and_stream_true_work_blocking(hf: InferenceClient) -> None:
    reply = hf.text_generation("hi", model="gpt2", max_new_tokens=3, details=True)
    assert isinstance(reply, types.DetailedTextGenerationOutput)
    assert reply.details.generated_tokens == 3
    stream = hf.text_generation("hi", model="gpt2", max_new_tokens=3, stream=True)
    assert isinstance(stream, SyncStream)
    assert "".join(event.token.text for event in stream) == reply.generated_text
    chunks = hf.chat_completion(
        [{"role": "user", "content": "hi"}], model=CHAT_MODEL, max_tokens=3, stream=True
    )
    assert isinstance(chunks, SyncStream)
    assert any(chunk.choices and chunk.choices[0].delta.content for chunk in chunks)
    with pytest.raises(InvalidInputError, match="did you mean 'max_new_tokens'"):
        hf.text_generation("hi", model="gpt2", max_new_token=3)  # type: ignore[call-overload]
