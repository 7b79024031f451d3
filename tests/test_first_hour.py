"""A new user's first hour: redirecting by environment, lifecycles across event loops, the
inputs people get wrong, and the conveniences code ported from huggingface_hub expects.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from stderr_support import without_slow_callback_reports

import hf_inference
from hf_inference import (
    AsyncInferenceClient,
    ClientClosedError,
    InvalidInputError,
    cli,
)
from hf_inference._config import (
    DEFAULT_BASE_URL,
    ROUTER_URL,
    env_base_url,
    env_router_url,
)
from hf_inference.testing import LocalInferenceServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TOKEN = "hf_first_hour_token"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_INFERENCE_BASE_URL", "HF_INFERENCE_ROUTER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)


@pytest.fixture
def threaded_server(no_env: None) -> Iterator[LocalInferenceServer]:
    """A local server on its own loop thread, for code that runs its own event loop."""

    async def start() -> LocalInferenceServer:
        server = LocalInferenceServer()
        await server.start()
        return server

    with start_blocking_portal("asyncio") as portal:
        server = portal.call(start)
        try:
            yield server
        finally:
            portal.call(server.close)


# -- 1. environment variables: argument > environment > default ---------------------------------


def test_defaults_without_environment(no_env: None) -> None:
    assert env_base_url() == DEFAULT_BASE_URL
    assert env_router_url() == ROUTER_URL
    client = AsyncInferenceClient()
    assert (client.base_url, client.router_url) == (DEFAULT_BASE_URL, ROUTER_URL)


def test_environment_is_read_when_a_client_is_built(
    no_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set after import: the variables count from the next client on.
    monkeypatch.setenv("HF_INFERENCE_BASE_URL", "http://127.0.0.1:8080/hf-inference/")
    assert env_base_url() == "http://127.0.0.1:8080/hf-inference"
    # One variable redirects both: the router is the base URL's root...
    assert env_router_url() == "http://127.0.0.1:8080"
    client = AsyncInferenceClient()
    assert (client.base_url, client.router_url) == (
        "http://127.0.0.1:8080/hf-inference",
        "http://127.0.0.1:8080",
    )
    # ...and the router alone gives the base URL as its /hf-inference route.
    monkeypatch.delenv("HF_INFERENCE_BASE_URL")
    monkeypatch.setenv("HF_INFERENCE_ROUTER_URL", "https://proxy.example/router")
    client = AsyncInferenceClient()
    assert client.base_url == "https://proxy.example/router/hf-inference"
    assert client.router_url == "https://proxy.example/router"


def test_argument_beats_environment(no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_INFERENCE_BASE_URL", "http://env.example/hf-inference")
    client = AsyncInferenceClient(base_url="http://arg.example/hf-inference")
    assert client.base_url == "http://arg.example/hf-inference"
    assert client.router_url == "http://arg.example"  # goes with the argument, not the env
    # A router the user named stays the router, whatever the base URL.
    monkeypatch.setenv("HF_INFERENCE_ROUTER_URL", "http://router.example")
    client = AsyncInferenceClient(base_url="http://arg.example/hf-inference")
    assert client.router_url == "http://router.example"
    both = AsyncInferenceClient()
    assert (both.base_url, both.router_url) == (
        "http://env.example/hf-inference",
        "http://router.example",
    )


@pytest.mark.parametrize("value", ["ftp://x", "not a url", "https://user:pw@host"])
def test_a_bad_environment_url_names_the_variable(
    no_env: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("HF_INFERENCE_ROUTER_URL", value)
    with pytest.raises(InvalidInputError, match=r"\$HF_INFERENCE_ROUTER_URL") as info:
        AsyncInferenceClient()
    assert "pw" not in str(info.value)


@pytest.mark.anyio
async def test_client_and_module_functions_follow_the_environment(
    no_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with LocalInferenceServer() as server:
        monkeypatch.setenv("HF_INFERENCE_BASE_URL", server.base_url)
        try:
            async with AsyncInferenceClient(max_retries=0) as client:
                assert (await client.text_generation("Hi", model="gpt2")).generated_text
                # Routed chat goes to the router that goes with it: the same local server.
                reply = await client.chat_completion(
                    [{"role": "user", "content": "Hi"}],
                    model="meta-llama/Llama-3.1-8B-Instruct:together",
                    max_tokens=3,
                )
                assert reply.choices[0].message.content
            assert [r.path for r in server.requests] == [
                "/hf-inference/models/gpt2",
                "/v1/chat/completions",
            ]
            # The host was chosen by the user: the token goes there.
            assert {r.headers.get("authorization") for r in server.requests} == {f"Bearer {TOKEN}"}
            out = await hf_inference.fill_mask("[MASK] world!", model="bert-base-uncased")
            assert out and server.requests[-1].path == "/hf-inference/models/bert-base-uncased"
        finally:
            await hf_inference.aclose_default_client()


def test_cli_follows_the_environment(
    threaded_server: LocalInferenceServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HF_INFERENCE_BASE_URL", threaded_server.base_url)
    assert cli.main(["text-generation", "--model", "gpt2", "Hello"]) == 0
    assert capsys.readouterr().out.strip()
    assert threaded_server.requests[-1].path == "/hf-inference/models/gpt2"


@pytest.mark.anyio
async def test_example_app_follows_the_environment(
    no_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fastapi")
    spec = importlib.util.spec_from_file_location("fastapi_app_env", EXAMPLES / "fastapi_app.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    async with LocalInferenceServer() as server:
        monkeypatch.setenv("HF_INFERENCE_BASE_URL", server.base_url)
        app = example.create_app()
        async with app.router.lifespan_context(app):
            status, body = await asgi_get(app, "/generate", "prompt=Hi&max_new_tokens=3")
    assert status == 200
    assert body.count(b"data:") >= 3
    assert server.requests[-1].path == "/hf-inference/models/gpt2"


async def asgi_get(app: Any, path: str, query: str) -> tuple[int, bytes]:
    """One GET through the ASGI interface: (status, body)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "app": app,
    }
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


# -- 5. closed clients and clients reused across event loops -----------------------------------


@pytest.mark.anyio
async def test_a_closed_client_says_what_to_do(server: LocalInferenceServer) -> None:
    async with AsyncInferenceClient(False, base_url=server.base_url) as client:
        assert await client.fill_mask("a [MASK]", model="bert-base-uncased")
    with pytest.raises(ClientClosedError, match="create a new AsyncInferenceClient") as info:
        await client.fill_mask("a [MASK]", model="bert-base-uncased")
    assert isinstance(info.value, hf_inference.HfInferenceError)
    assert isinstance(info.value, RuntimeError)  # what it was before: old handlers still work
    stream = client.text_generation_stream("Hi", model="gpt2")
    with pytest.raises(ClientClosedError):
        async for _ in stream:
            pass


@pytest.mark.anyio
async def test_close_is_an_alias_of_aclose(server: LocalInferenceServer) -> None:
    client = AsyncInferenceClient(False, base_url=server.base_url)
    assert await client.fill_mask("a [MASK]", model="bert-base-uncased")
    await client.close()
    assert client.closed
    await server.wait_connections(0)


_TWO_RUNS = """
import asyncio, gc, os
from anyio.from_thread import start_blocking_portal
import hf_inference
from hf_inference import AsyncInferenceClient
from hf_inference.testing import LocalInferenceServer

async def start():
    server = LocalInferenceServer()
    await server.start()
    return server

with start_blocking_portal("asyncio") as portal:
    server = portal.call(start)
    os.environ["HF_INFERENCE_BASE_URL"] = server.base_url  # for the module-level functions
    client = AsyncInferenceClient(False)  # a module-level client

    async def with_client():
        return (await client.text_generation("Hi", model="gpt2")).generated_text

    async def with_functions():
        out = await hf_inference.text_generation("Hi", model="gpt2", token=False)
        return out.generated_text

    results = [asyncio.run(with_client()), asyncio.run(with_client())]
    results += [asyncio.run(with_functions()), asyncio.run(with_functions())]
    assert len(set(results)) == 1 and results[0], results
    gc.collect()
    # Each loop closed its own connections when it shut down: none is left open.
    assert portal.call(server.wait_connections, 0) is None
    print("open connections:", server.open_connections)
    portal.call(server.close)
print("ok")
"""


def test_a_client_reused_across_asyncio_run_calls_just_works(no_env: None, tmp_path: Path) -> None:
    script = tmp_path / "two_runs.py"
    script.write_text(textwrap.dedent(_TWO_RUNS), encoding="utf-8")
    env = {"HF_INFERENCE_BASE_URL": "", "PATH": "", "PYTHONDEVMODE": "1"}
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "HF_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
    )
    # No "attached to a different loop", no "Task exception was never retrieved", no
    # unclosed-session or unclosed-socket warning: stderr stays empty.
    assert done.returncode == 0, done.stderr
    assert without_slow_callback_reports(done.stderr) == ""
    assert done.stdout.splitlines() == ["open connections: 0", "ok"]


def test_a_client_in_use_on_another_running_loop_says_so(
    threaded_server: LocalInferenceServer,
) -> None:
    client = AsyncInferenceClient(False, base_url=threaded_server.base_url)

    async def call() -> str:
        return (await client.text_generation("Hi", model="gpt2")).generated_text

    with start_blocking_portal("asyncio") as other:
        assert other.call(call)  # the client's connections now live on that running loop
        with pytest.raises(hf_inference.EventLoopError, match="one AsyncInferenceClient per"):
            asyncio.run(call())
        other.call(client.aclose)


# -- 6. the inputs people get wrong -------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "suggestion"),
    [
        ("localhost:8080", "model='http://localhost:8080'"),
        ("127.0.0.1:8080/x", "model='http://127.0.0.1:8080/x'"),
        ("xyz.endpoints.huggingface.cloud/gpt2", "'https://xyz.endpoints.huggingface.cloud/gpt2'"),
        ("huggingface.co/openai-community/gpt2", "model='openai-community/gpt2'"),
    ],
)
@pytest.mark.anyio
async def test_a_host_given_as_model_id_suggests_a_url(
    client: AsyncInferenceClient, server: LocalInferenceServer, model: str, suggestion: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        await client.text_generation("Hi", model=model)
    assert suggestion in str(info.value)
    with pytest.raises(InvalidInputError, match=r"looks like|host name"):
        AsyncInferenceClient(model=model)
    assert server.requests == []  # refused before any socket was opened


@pytest.mark.parametrize(
    "model",
    ["gpt2", "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct:together", "a/b.c"],
)
def test_hub_ids_are_not_taken_for_hosts(model: str) -> None:
    assert AsyncInferenceClient(model=model).model == model


@pytest.mark.anyio
async def test_parameters_must_be_a_mapping(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    bad: Any = [("max_new_tokens", 3)]
    with pytest.raises(InvalidInputError, match=r"parameters must be a mapping.*not a list"):
        await client.text_generation("Hi", model="gpt2", parameters=bad)
    with pytest.raises(InvalidInputError, match="parameters must be a mapping"):
        await client.request({"inputs": "Hi"}, model="gpt2", parameters=bad)
    with pytest.raises(InvalidInputError, match="parameters must be a mapping"):
        await client.image_classification(b"\x89PNG\r\n\x1a\n", model="m", parameters=bad)
    assert server.requests == []


@pytest.mark.parametrize("mode", ["CMYK", "YCbCr", "LAB", "RGBX", "PA"])
@pytest.mark.anyio
async def test_pil_images_in_other_colour_modes_are_converted(
    client: AsyncInferenceClient, server: LocalInferenceServer, mode: str
) -> None:
    image_module = pytest.importorskip("PIL.Image")
    image = image_module.new(mode, (8, 6))
    labels = await client.image_classification(image, model="google/vit-base-patch16-224")
    assert labels
    sent = image_module.open(io.BytesIO(server.requests[-1].body))
    assert sent.format == "PNG" and sent.size == (8, 6) and sent.mode in ("RGB", "RGBA")


@pytest.mark.parametrize("mode", ["F", "I"])
@pytest.mark.anyio
async def test_pil_images_of_no_fixed_range_say_convert(
    client: AsyncInferenceClient, server: LocalInferenceServer, mode: str
) -> None:
    image_module = pytest.importorskip("PIL.Image")
    with pytest.raises(InvalidInputError, match=r"convert\('RGB'\)"):
        await client.image_classification(image_module.new(mode, (4, 4)), model="m")
    assert server.requests == []


@pytest.mark.anyio
async def test_a_pil_image_is_not_audio(
    client: AsyncInferenceClient, server: LocalInferenceServer
) -> None:
    image_module = pytest.importorskip("PIL.Image")
    image = image_module.new("RGB", (4, 4))
    for call in (client.automatic_speech_recognition, client.audio_classification):
        with pytest.raises(InvalidInputError, match=r"PIL image .* takes audio"):
            await call(image, model="facebook/wav2vec2-base-960h")
    assert server.requests == []


# -- 7. what code ported from huggingface_hub expects --------------------------------------------


@pytest.mark.anyio
async def test_binary_images_become_pil_images(client: AsyncInferenceClient) -> None:
    image_module = pytest.importorskip("PIL.Image")
    out = await client.text_to_image("an astronaut", model="stabilityai/stable-diffusion-2")
    image = out.to_pil()
    assert isinstance(image, image_module.Image)
    assert image.size[0] > 0 and image.format == "PNG"
    speech = await client.text_to_speech("Hello", model="facebook/mms-tts-eng")
    with pytest.raises(hf_inference.DecodeError, match="not an image"):
        speech.to_pil()


def test_to_pil_without_pillow_names_the_extra(tmp_path: Path) -> None:
    script = """
import sys
sys.modules["PIL"] = None  # as if Pillow were not installed
from hf_inference import BinaryOutput
try:
    BinaryOutput(b"\\x89PNG", "image/png").to_pil()
except ImportError as exc:
    print(exc)
"""
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert done.stderr == ""
    assert "pip install 'hf-inference[pillow]'" in done.stdout


@pytest.mark.anyio
async def test_feature_extraction_as_numpy(client: AsyncInferenceClient) -> None:
    np = pytest.importorskip("numpy")
    one = hf_inference.as_array(
        await client.feature_extraction("Hello", model="sentence-transformers/all-MiniLM-L6-v2")
    )
    assert isinstance(one, np.ndarray) and one.dtype == np.float32 and one.ndim >= 1
    batch = hf_inference.as_array(
        await client.feature_extraction(
            ["Hello", "World"], model="sentence-transformers/all-MiniLM-L6-v2"
        )
    )
    assert batch.shape[0] == 2 and batch.shape[1:] == one.shape


def test_sync_client_close_alias(threaded_server: LocalInferenceServer) -> None:
    from hf_inference.sync import InferenceClient

    hf = InferenceClient(False, base_url=threaded_server.base_url)
    assert hf.fill_mask("a [MASK]", model="bert-base-uncased")
    hf.close()
    assert hf.closed
    with pytest.raises(ClientClosedError, match=r"new hf_inference\.sync\.InferenceClient"):
        hf.fill_mask("a [MASK]", model="bert-base-uncased")


# -- 2. the one line that aims everything at the local server ----------------------------------


@pytest.mark.anyio
async def test_the_local_servers_export_line_aims_the_cli_at_it(
    no_env: None, tmp_path: Path
) -> None:
    import anyio
    from anyio.streams.text import TextReceiveStream

    base_env = {"PATH": os.defpath, "HF_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    with anyio.fail_after(60):
        async with await anyio.open_process(
            [sys.executable, "-m", "hf_inference.testing", "--samples", str(tmp_path / "s")],
            env=base_env,
        ) as server:
            assert server.stdout is not None and server.stderr is not None
            url = ""
            async for text in TextReceiveStream(server.stdout):
                url += text
                if "\n" in url:
                    break
            err = ""
            async for text in TextReceiveStream(server.stderr):
                err += text
                if "export " in err and err.endswith("\n"):
                    break
            export = next(line for line in err.splitlines() if line.startswith("export "))
            exported = dict(pair.split("=", 1) for pair in export.split()[1:])
            assert exported["HF_INFERENCE_BASE_URL"] == url.strip() + "/hf-inference"
            assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
                "article.txt",
                "cats.png",
                "invoice.png",
                "sample1.flac",
            ]
            done = await anyio.run_process(
                [sys.executable, "-m", "hf_inference", "text-generation", "--model", "gpt2", "Hi"],
                env={**base_env, **exported},
                check=False,
            )
            server.terminate()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_module_functions_in_the_asyncio_repl_exit_cleanly(
    threaded_server: LocalInferenceServer, tmp_path: Path
) -> None:
    # `python -m asyncio` stops its loop without shutting down async generators; the shared
    # client's connections are still closed at exit, with no "Unclosed connector" noise.
    typed = (
        "from hf_inference import fill_mask\n"
        'print(await fill_mask("[MASK] world!", model="bert-base-uncased"))\n'
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "asyncio"],
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": os.defpath,
            "HF_HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            "HF_INFERENCE_BASE_URL": threaded_server.base_url,
        },
    )
    assert "FillMaskOutputElement(" in done.stdout
    assert "Unclosed" not in done.stdout + done.stderr
    assert "Error" not in done.stdout + done.stderr
    threaded_server_requests = [r.path for r in threaded_server.requests]
    assert threaded_server_requests == ["/hf-inference/models/bert-base-uncased"]
