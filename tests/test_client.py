"""The core client against the local API server over real sockets."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp
import anyio
import pytest

import hf_inference
from hf_inference import (
    AsyncInferenceClient,
    AuthenticationError,
    GenerationError,
    GoneError,
    IncompleteStreamError,
    InvalidInputError,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
    accumulate_chat_stream,
)
from hf_inference.testing import Drop, ErrorEvent, Reply, Stall

pytestmark = pytest.mark.anyio

TOKEN = "hf_test_token_0123456789"
GPT2 = "openai-community/gpt2"
CHAT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
MESSAGES = [{"role": "user", "content": "Count to three"}]


async def test_text_generation_sends_the_wire_request(client, server):
    out = await client.text_generation(
        "The answer is", model=GPT2, parameters={"max_new_tokens": 5, "seed": None}
    )
    assert isinstance(out, hf_inference.types.TextGenerationOutput)
    assert out.generated_text
    request = server.requests[-1]
    assert request.path == f"/hf-inference/models/{GPT2}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith("hf_inference/")
    assert "aiohttp/" in request.headers["user-agent"]
    assert request.json == {"inputs": "The answer is", "parameters": {"max_new_tokens": 5}}


async def test_text_generation_details_keeps_huge_seed(client, server):
    body = [
        {
            "generated_text": "x",
            "details": {
                "finish_reason": "length",
                "generated_tokens": 1,
                "seed": 18435558523380366744,
                "prefill": [],
                "tokens": [{"id": 1, "text": "x", "logprob": -0.5, "special": False}],
            },
        }
    ]
    server.script(GPT2, Reply(body=body))
    out = await client.text_generation("a", model=GPT2, parameters={"details": True})
    assert out.details is not None
    assert out.details.seed == 18435558523380366744
    assert out.details.tokens[0].text == "x"


async def test_stream_yields_tokens_then_final_event(client, server):
    stream = client.text_generation_stream("hi", model=GPT2, parameters={"max_new_tokens": 7})
    events = [event async for event in stream]
    assert len(events) == 7
    assert all(e.generated_text is None for e in events[:-1])
    assert events[-1].generated_text == "".join(e.token.text for e in events)
    assert stream.status == 200
    assert stream.request_id is not None
    assert stream.closed
    assert server.requests[-1].json["stream"] is True


async def test_async_with_stream_exposes_metadata_and_closes(client, server):
    # The server keeps the stream open after two tokens: only the client can end it.
    server.script(GPT2, Stall(after_chunks=[_token_event(0), _token_event(1)]))
    async with client.text_generation_stream("hi", model=GPT2) as stream:
        assert stream.status == 200
        assert stream.headers is not None
        assert stream.request_id is not None
        first = await stream.__anext__()
        assert first.token.text == "t0"
    assert stream.closed
    # Closed by the exit itself (the stream is still referenced, so not by a finaliser).
    await server.wait_connections(0, timeout=0.5)


async def test_event_stream_reads_its_socket_64_kib_at_a_time(client, server):
    # asyncio's default of 256 KiB per recv() costs a mmap/mremap/munmap per read.
    from hf_inference._transport import STREAM_READ_SIZE

    server.script(GPT2, Stall(after_chunks=[_token_event(1)]))
    async with client.text_generation_stream("hi", model=GPT2) as stream:
        await stream.__anext__()
        transport = stream._response._raw.connection.transport
        if type(transport).__module__.startswith("asyncio."):
            assert transport.max_size == STREAM_READ_SIZE == 64 * 1024
    # A big event still arrives whole over several reads.
    big = "x" * (3 * STREAM_READ_SIZE)
    event = b'data:{"index":1,"token":{"id":1,"text":"%s","logprob":-1.0,"special":false},' % (
        big.encode()
    )
    event += b'"generated_text":"%s","details":null}\n\n' % big.encode()
    server.script(GPT2, Reply(200, event, content_type="text/event-stream"))
    events = [e async for e in client.text_generation_stream("hi", model=GPT2)]
    assert [e.token.text for e in events] == [big]


def _token_event(i: int) -> bytes:
    return (
        b'data:{"index":%d,"token":{"id":%d,"text":"t%d","logprob":-1.0,"special":false},'
        b'"generated_text":null,"details":null}\n\n' % (i, i, i)
    )


async def test_breaking_out_200_times_leaves_no_connection_open(client, server):
    # The server sends 5 tokens and then keeps the stream open: only the client can end it.
    server.script_always(GPT2, Stall(after_chunks=[_token_event(i) for i in range(5)]))
    for _ in range(200):
        count = 0
        async for _event in client.text_generation_stream("hi", model=GPT2):
            count += 1
            if count == 3:
                break
    await server.wait_connections(0)
    assert server.open_connections == 0
    assert server.total_connections == 200


async def test_breaking_out_of_a_finished_body_reuses_the_connection(client, server):
    for _ in range(20):
        async for _event in client.text_generation_stream(
            "hi", model=GPT2, parameters={"max_new_tokens": 5}
        ):
            break
    # Each body had fully arrived when the loop broke: one connection served all 20 calls.
    assert server.total_connections == 1
    assert server.open_connections == 1


async def test_cancelling_the_consumer_releases_the_connection(client, server):
    server.script(GPT2, Stall(after_chunks=[b'data:{"index":1}\n\n']))
    started = anyio.Event()

    async def consume() -> None:
        async with client.streaming_request({"inputs": "x"}, model=GPT2) as stream:
            started.set()
            async for _ in stream:
                pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await started.wait()
        await server.wait_connections(1)
        tg.cancel_scope.cancel()
    await server.wait_connections(0)


async def test_aclose_from_another_task_is_idempotent(client, server):
    # The server keeps the stream open: only aclose() can end it.
    server.script(GPT2, Stall(after_chunks=[_token_event(i) for i in range(3)]))
    stream = client.text_generation_stream("hi", model=GPT2)
    await stream.start()
    await stream.__anext__()
    async with anyio.create_task_group() as tg:
        tg.start_soon(stream.aclose)
        tg.start_soon(stream.aclose)
    await stream.aclose()
    assert stream.closed
    assert [event async for event in stream] == []  # closed: nothing more, no error
    await server.wait_connections(0, timeout=0.5)


async def test_a_second_loop_resumes_where_a_break_left_off(client, server):
    params = {"max_new_tokens": 40}
    expected = [
        e.token.id async for e in client.text_generation_stream("hi", model=GPT2, parameters=params)
    ]
    stream = client.text_generation_stream("hi", model=GPT2, parameters=params)
    async with stream:
        first = []
        async for event in stream:
            first.append(event.token.id)
            if len(first) == 3:
                break
        rest = [event.token.id async for event in stream]
        # The abandoned loop is finalised by the event loop a few turns later: its counters
        # must not overwrite the newer loop's.
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
        assert f"events={len(expected)}" in repr(stream)
    assert first + rest == expected
    assert len(expected) == 40
    assert stream.closed


async def test_aclose_while_holding_an_item_ends_the_loop_at_once(client, server):
    # All 30 events arrive in one chunk: the loop must not go on yielding what is buffered.
    body = b"".join(_token_event(i) for i in range(30))
    server.script(GPT2, Stall(after_chunks=[body]))
    stream = client.text_generation_stream("hi", model=GPT2)
    seen = []
    async for event in stream:
        seen.append(event.index)
        if len(seen) == 2:
            await stream.aclose()
    assert seen == [0, 1]
    assert stream.closed
    await server.wait_connections(0)


async def test_error_event_mid_stream_raises_typed_error(client, server):
    server.script(
        GPT2, ErrorEvent(after_tokens=2, message="CUDA out of memory", error_type="generation")
    )
    seen = []
    stream = client.text_generation_stream("hi", model=GPT2)
    with pytest.raises(GenerationError, match="CUDA out of memory") as info:
        async for event in stream:
            seen.append(event)
    assert len(seen) == 2
    assert info.value.error_type == "generation"
    assert info.value.model == GPT2
    assert stream.closed


async def test_error_event_releases_the_connection_at_once(client, server):
    # The server keeps the connection open after its error event: the client must close it.
    error = b'data:{"error":"CUDA out of memory","error_type":"generation"}\n\n'
    server.script(GPT2, Stall(after_chunks=[_token_event(0), error]))
    stream = client.text_generation_stream("hi", model=GPT2)
    with pytest.raises(GenerationError):
        async for _ in stream:
            pass
    await server.wait_connections(0, timeout=0.5)


async def test_dropped_connection_mid_stream_is_incomplete(client, server):
    server.script(
        GPT2,
        Drop(
            after_chunks=[
                b'data:{"index":1,"token":{"id":1,"text":"a","logprob":0,"special":false}}\n\n'
            ]
        ),
    )
    with pytest.raises(IncompleteStreamError):
        async for _ in client.text_generation_stream("hi", model=GPT2):
            pass
    await server.wait_connections(0)


async def test_clean_eof_before_final_event_is_an_error(client, server):
    server.script(GPT2, Reply(body=_token_event(1), content_type="text/event-stream"))
    with pytest.raises(IncompleteStreamError, match="before the final event"):
        async for _ in client.text_generation_stream("hi", model=GPT2):
            pass


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"error": "Invalid credentials in Authorization header"}, AuthenticationError),
        (404, {"error": "Model x does not exist"}, NotFoundError),
        (410, {"error": "api-inference is no longer supported"}, GoneError),
        (422, "Failed to deserialize the JSON body into the target type", UnprocessableEntityError),
        (429, {"error": "Rate limit reached"}, RateLimitError),
    ],
)
async def test_status_errors_are_typed_and_never_carry_the_token(
    client, server, status, body, error
):
    server.script(GPT2, Reply(status=status, body=body))
    with pytest.raises(error) as info:
        await client.text_generation("x", model=GPT2)
    exc = info.value
    assert exc.status == status
    assert exc.model == GPT2
    assert exc.request_id is not None
    text = body if isinstance(body, str) else body["error"]
    assert text in str(exc)
    assert TOKEN not in str(exc) and TOKEN not in repr(exc)
    if status == 410:
        assert "router.huggingface.co" in str(exc)


async def test_chat_completion_and_stream(client, server):
    reply = await client.chat_completion(MESSAGES, model=CHAT_MODEL, max_tokens=20)
    assert reply.choices[0].message.content
    request = server.requests[-1]
    assert request.path == f"/hf-inference/models/{CHAT_MODEL}/v1/chat/completions"
    assert next(iter(request.json)) == "model"
    assert request.json["max_tokens"] == 20

    stream = client.chat_completion_stream(MESSAGES, model=CHAT_MODEL, max_tokens=20)
    completed = await accumulate_chat_stream(stream)
    assert completed.choices[0].message.content == reply.choices[0].message.content
    assert completed.choices[0].finish_reason
    await server.wait_connections(1)  # ended at [DONE]: the connection went back to the pool


async def test_chat_parameters_set_to_none_are_left_out(client, server):
    # None means "not set": a provider may reject an explicit null (or read it as a value).
    await client.chat_completion(
        MESSAGES, model=CHAT_MODEL, max_tokens=5, temperature=None, stop=None, seed=None
    )
    body = server.requests[-1].json
    assert body["max_tokens"] == 5
    assert not {"temperature", "stop", "seed"} & body.keys()


async def test_chat_stream_tool_calls_accumulate(client, server):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    stream = client.chat_completion_stream(
        MESSAGES, model=CHAT_MODEL, tools=tools, tool_choice="auto"
    )
    completed = await accumulate_chat_stream(stream)
    call = completed.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert isinstance(call.function.parsed_arguments(), dict)


async def test_provider_routed_chat_puts_model_in_body(server):
    async with AsyncInferenceClient(TOKEN, base_url=server.base_url, provider="together") as c:
        await c.chat_completion(MESSAGES, model=CHAT_MODEL)
    request = server.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.json["model"] == f"{CHAT_MODEL}:together"


async def test_provider_hf_inference_keeps_the_hf_inference_route(server):
    route = f"/hf-inference/models/{CHAT_MODEL}/v1/chat/completions"
    # Chosen on the client, then per call on a client without a provider: never the router.
    async with AsyncInferenceClient(TOKEN, base_url=server.base_url, provider="hf-inference") as c:
        await c.chat_completion(MESSAGES, model=CHAT_MODEL)
        assert server.requests[-1].path == route
        assert server.requests[-1].json["model"] == CHAT_MODEL
        events = [e async for e in c.chat_completion_stream(MESSAGES, model=CHAT_MODEL)]
        assert events and server.requests[-1].path == route
    async with AsyncInferenceClient(TOKEN, base_url=server.base_url) as c:
        await c.chat_completion(MESSAGES, model=CHAT_MODEL, provider="hf-inference")
        assert server.requests[-1].path == route
        assert server.requests[-1].json["model"] == CHAT_MODEL


async def test_an_endpoint_url_ending_in_chat_completions_gets_no_second_suffix(client, server):
    url = server.endpoint_url("tgi") + "/v1/chat/completions"
    assert (await client.chat_completion(MESSAGES, model=url)).choices
    assert server.requests[-1].path == "/endpoints/tgi/v1/chat/completions"
    assert server.requests[-1].json["model"] == "tgi"  # the URL names the model, not the body
    assert (await client.endpoint(url).chat_completion(MESSAGES)).choices
    assert server.requests[-1].path == "/endpoints/tgi/v1/chat/completions"
    # An endpoint root gets the OpenAI route appended.
    assert (await client.endpoint(server.endpoint_url("tgi")).chat_completion(MESSAGES)).choices
    assert server.requests[-1].path == "/endpoints/tgi/v1/chat/completions"


async def test_endpoint_client_shares_the_session(client, server):
    tgi = client.endpoint(server.endpoint_url("tgi"))
    out = await tgi.text_generation("hello", parameters={"max_new_tokens": 3})
    assert out.generated_text
    assert server.requests[-1].path == "/endpoints/tgi"
    reply = await tgi.chat_completion(MESSAGES)
    assert reply.choices
    assert server.requests[-1].path == "/endpoints/tgi/v1/chat/completions"
    await tgi.aclose()  # must not close the parent's session
    assert not client.closed
    assert (await client.text_generation("x", model=GPT2)).generated_text


async def test_model_may_be_an_endpoint_url(client, server):
    out = await client.text_generation("hello", model=server.endpoint_url("tgi"))
    assert out.generated_text
    assert server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    # A per-call URL on a host the user did not configure does not receive the token.
    other_origin = server.endpoint_url("tgi").replace("127.0.0.1", "localhost")
    out = await client.text_generation("hello", model=other_origin)
    assert out.generated_text
    assert "authorization" not in server.requests[-1].headers


@pytest.mark.parametrize(
    "model",
    ["../../v1/x", "a/%2e%2e/b", "gpt2?x=1", "gpt2#f", "gpt2\n", "gp t2", "mödel", "a\x00b", ""],
)
async def test_bad_model_ids_fail_before_any_socket(client, server, model):
    with pytest.raises(InvalidInputError):
        await client.text_generation("x", model=model)
    assert server.total_connections == 0


async def test_request_and_streaming_request_primitives(client, server):
    payload = await client.request(
        {"inputs": "hi", "parameters": {"max_new_tokens": 2}}, model=GPT2
    )
    assert isinstance(payload, list)
    assert payload[0]["generated_text"]
    events = [e async for e in client.streaming_request({"inputs": "hi"}, model=GPT2)]
    assert events[-1]["generated_text"]


async def test_user_session_is_used_and_left_open(server):
    async with aiohttp.ClientSession() as session:
        async with AsyncInferenceClient(False, base_url=server.base_url, session=session) as c:
            await c.text_generation("x", model=GPT2)
        assert not session.closed
        assert "authorization" not in server.requests[-1].headers


async def test_headers_bill_to_and_legacy_options(server):
    async with AsyncInferenceClient(
        TOKEN, base_url=server.base_url, bill_to="my-org", headers={"X-Custom": "1"}
    ) as c:
        await c.text_generation("x", model=GPT2, use_cache=False, wait_for_model=True)
    headers = server.requests[-1].headers
    assert headers["x-hf-bill-to"] == "my-org"
    assert headers["x-custom"] == "1"
    assert headers["x-use-cache"] == "false"
    assert headers["x-wait-for-model"] == "true"


def test_token_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_TOKEN_PATH", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert AsyncInferenceClient()._token is None
    (tmp_path / "token").write_text("hf_from_file\n")
    assert AsyncInferenceClient()._token == "hf_from_file"
    monkeypatch.setenv("HF_TOKEN", "hf_from_env\n")
    assert AsyncInferenceClient()._token == "hf_from_env"
    assert AsyncInferenceClient("hf_arg")._token == "hf_arg"
    client = AsyncInferenceClient("hf_secret_value")
    assert "hf_secret_value" not in repr(client)
    with pytest.raises(InvalidInputError):
        AsyncInferenceClient("hf_bad\r\nX-Evil: 1")


def test_module_functions_close_their_pool_at_exit(tmp_path):
    script = textwrap.dedent(
        """
        import asyncio, sys
        import hf_inference
        from hf_inference.testing import LocalInferenceServer

        async def main():
            async with LocalInferenceServer() as server:
                out = await hf_inference.text_generation(
                    "hi", model=server.endpoint_url("tgi"), token="hf_x"
                )
                print(out.generated_text != "")
                tokens = [e.token.text async for e in hf_inference.text_generation_stream(
                    "hi", model=server.endpoint_url("tgi"))]
                print(len(tokens) > 0)

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-X", "dev", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    assert "Unclosed" not in result.stderr
    assert "Warning" not in result.stderr
