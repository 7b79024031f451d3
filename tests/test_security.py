"""Security: the token never leaks, goes only where the user sent it, and input is validated.

The leak test triggers every kind of failure against the local server and scans everything a
user or a log pipeline could see: ``str``/``repr`` of the client and of each exception in the
cause/context chain, their attributes, formatted tracebacks, every log line at DEBUG and every
warning.
"""

from __future__ import annotations

import gc
import logging
import shutil
import socket
import ssl
import subprocess
import traceback
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hf_inference import (
    APIConnectionError,
    AsyncInferenceClient,
    AuthenticationError,
    HfInferenceError,
    HTTPStatusError,
    IncompleteStreamError,
    InferenceTimeoutError,
    InvalidInputError,
    ServerError,
    Timeout,
)
from hf_inference.testing import Drop, Loading, LocalInferenceServer, Reply, Stall

pytestmark = pytest.mark.anyio

SECRET = "hf_SeCrEtScAnMe0123456789abcdefXYZ"
GPT2 = "openai-community/gpt2"
VIT = "google/vit-base-patch16-224"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
async def client(server: LocalInferenceServer) -> AsyncIterator[AsyncInferenceClient]:
    async with AsyncInferenceClient(SECRET, base_url=server.base_url, max_retries=0) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def other_origin(url: str) -> str:
    """The same server under another origin (``localhost`` instead of ``127.0.0.1``)."""
    return url.replace("127.0.0.1", "localhost")


# -- the token never leaks ---------------------------------------------------------------------


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def visible_text(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc))]
    for link in exception_chain(exc):
        parts += [str(link), repr(link), repr(link.args), repr(vars(link))]
    return "\n".join(parts)


async def _failures(server: LocalInferenceServer, secured: LocalInferenceServer) -> list[Any]:
    """Every kind of failure, each with a client holding SECRET."""
    failures: list[Any] = []

    async def attempt(coro: Any) -> None:
        try:
            await coro
        except HfInferenceError as exc:
            failures.append(exc)
        else:
            raise AssertionError("expected a failure")

    async def drain(stream: Any) -> None:
        async for _ in stream:
            pass

    base = server.base_url
    short = Timeout(first_byte=0.2, read=0.2)
    async with AsyncInferenceClient(SECRET, base_url=base, max_retries=0) as c:
        failures.append(repr(c))
        failures.append(repr(c.endpoint(server.endpoint_url())))
        server.script(GPT2, Reply(status=500, body={"error": "boom"}))
        await attempt(c.text_generation("x", model=GPT2))
        server.script(GPT2, Stall(send_headers=False))
        await attempt(c.text_generation("x", model=GPT2, timeout=short))
        server.script(GPT2, Stall(after_chunks=[b"data:{}\n\n"]))
        await attempt(drain(c.streaming_request({"inputs": "x"}, model=GPT2, timeout=short)))
        server.script(GPT2, Drop(send_headers=False))
        await attempt(c.text_generation("x", model=GPT2))
        server.script(GPT2, Drop(after_chunks=[b"data:{}\n\n"]))
        await attempt(drain(c.streaming_request({"inputs": "x"}, model=GPT2)))
        await attempt(c.text_generation("x", model="bad model id"))
        await attempt(c.text_generation("x", model="http://[::1"))
        await attempt(c.text_generation("x", model=GPT2, headers={"x-key": SECRET + "\n"}))
        await attempt(c.text_generation("x", model=GPT2, token=SECRET + "\r\nX-Evil: 1"))
    async with AsyncInferenceClient(SECRET, base_url=secured.base_url) as c:
        await attempt(c.text_generation("x", model=GPT2))

    async def no_wait(_: float) -> None:
        return None

    # Retries and loading waits log at DEBUG and INFO: those lines are scanned too.
    async with AsyncInferenceClient(SECRET, base_url=base, sleep=no_wait, max_retries=1) as c:
        server.script(GPT2, Loading(estimated_time=1.0), Reply(status=503), Reply(status=503))
        await attempt(c.text_generation("x", model=GPT2))
        server.script(GPT2, Drop(send_headers=False), Drop(send_headers=False))
        await attempt(c.text_generation("x", model=GPT2))
    tls = base.replace("http://", "https://")
    async with AsyncInferenceClient(SECRET, base_url=tls, max_retries=0) as c:
        await attempt(c.text_generation("x", model=GPT2))
    refused = f"http://127.0.0.1:{free_port()}/hf-inference"
    async with AsyncInferenceClient(SECRET, base_url=refused, max_retries=0) as c:
        await attempt(c.text_generation("x", model=GPT2))
    for kwargs in (
        {"base_url": "http://[::1"},
        {"base_url": "http://127.0.0.1:99999"},
        {"base_url": f"https://user:{SECRET}@example.com"},
        {"headers": {"Authorization": SECRET + "\r\n"}},
        {"headers": {SECRET + ":": "x"}},
        {"bill_to": SECRET + "\n"},
    ):
        try:
            AsyncInferenceClient(SECRET, **kwargs)
        except InvalidInputError as exc:
            failures.append(exc)
    try:
        AsyncInferenceClient(SECRET + "\nX-Evil: 1")
    except InvalidInputError as exc:
        failures.append(exc)
    return failures


async def test_the_token_is_in_no_error_log_line_or_warning(server, caplog):
    caplog.set_level(logging.DEBUG)
    async with LocalInferenceServer(token="hf_another_token") as secured:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            failures = await _failures(server, secured)
            gc.collect()
    errors = [f for f in failures if isinstance(f, BaseException)]
    kinds = {type(e) for e in errors}
    for expected in (
        AuthenticationError,
        ServerError,
        InferenceTimeoutError,
        APIConnectionError,
        IncompleteStreamError,
        InvalidInputError,
    ):
        assert expected in kinds, expected
    assert any("TLS" in str(e) for e in errors)
    for failure in failures:
        text = visible_text(failure) if isinstance(failure, BaseException) else failure
        assert SECRET not in text, text
        assert SECRET[3:20] not in text  # not even a fragment
    # aiohttp exceptions carry request headers in their repr: none may be in a chain.
    for error in errors:
        for link in exception_chain(error):
            assert not type(link).__module__.startswith("aiohttp"), type(link)
    ours = [r.getMessage() for r in caplog.records if r.name == "hf_inference"]
    assert any("retry" in line for line in ours) and any("loading" in line for line in ours)
    assert SECRET not in caplog.text
    assert SECRET not in "\n".join(str(w.message) for w in caught)
    assert caught == []


# -- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_not_followed_on_post(client, server, status):
    target = other_origin(server.base_url) + "/models/redirect/target"
    server.script(GPT2, Reply(status=status, headers={"Location": target}, body=b"moved"))
    with pytest.raises(HTTPStatusError) as info:
        await client.text_generation("x", model=GPT2)
    error = info.value
    assert error.status == status
    assert "redirect" in str(error) and "localhost" in str(error)
    assert error.headers["location"] == target
    assert [r.model for r in server.requests] == [GPT2]  # the target never saw a request


async def test_a_redirected_stream_is_an_error(client, server):
    server.script(GPT2, Reply(status=307, headers={"Location": "/elsewhere"}))
    with pytest.raises(HTTPStatusError, match="redirect"):
        async for _ in client.text_generation_stream("x", model=GPT2):
            pass
    assert len(server.requests) == 1


async def test_followed_download_redirects_keep_credentials_on_their_origin(server):
    """Input URLs are downloaded (GET) following redirects; another origin gets no secrets."""
    same = "/hf-inference/models/img/same-origin"
    elsewhere = other_origin(server.base_url) + "/models/img/elsewhere"
    server.script("img/start", Reply(status=302, headers={"Location": same}))
    server.script("img/same-origin", Reply(status=307, headers={"Location": elsewhere}))
    server.script("img/elsewhere", Reply(body=PNG, content_type="image/png"))
    async with AsyncInferenceClient(
        SECRET,
        base_url=server.base_url,
        bill_to="my-org",
        headers={"X-Api-Key": "custom-secret"},
    ) as c:
        await c.image_classification(server.base_url + "/models/img/start", model=VIT)
    by_model = {r.model: r for r in server.requests}
    for hop in ("img/start", "img/same-origin"):
        assert by_model[hop].headers["authorization"] == f"Bearer {SECRET}"
        assert by_model[hop].headers["x-api-key"] == "custom-secret"
    moved = by_model["img/elsewhere"].headers
    assert "authorization" not in moved
    assert "x-api-key" not in moved and "x-hf-bill-to" not in moved
    assert by_model[VIT].body == PNG


async def test_download_redirect_loops_stop(client, server):
    server.script_always("img/loop", Reply(status=302, headers={"Location": "loop"}))
    with pytest.raises(InvalidInputError, match="redirects"):
        await client.image_classification(server.base_url + "/models/img/loop", model=VIT)
    assert len(server.requests) == 6


# -- validation before any socket --------------------------------------------------------------

BAD_MODEL_IDS = [
    "../../v1/x",
    "a/../b",
    "..",
    "a/%2e%2e/b",
    "a/%2E%2E",
    "%2e",
    "a/./b",
    "./gpt2",
    "/gpt2",
    "gpt2/",
    "a//b",
    "-gpt2",
    "gpt2?x=1",
    "gpt2#frag",
    "gpt2\n",
    "gpt2\r",
    "gp\nt2",
    "gpt2\x00",
    "gp t2",
    "gpt2\t",
    " gpt2",
    "gpt2\u00a0",
    "mödel",
    "gpt2\u2028",
    "",
]


@pytest.mark.parametrize("model", BAD_MODEL_IDS)
async def test_bad_model_ids_fail_before_any_socket(client, server, model):
    with pytest.raises(InvalidInputError) as info:
        await client.text_generation("x", model=model)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidInputError):
        client.text_generation_stream("x", model=model)
    with pytest.raises(InvalidInputError):
        await client.chat_completion([{"role": "user", "content": "x"}], model=model)
    with pytest.raises(InvalidInputError):
        AsyncInferenceClient(SECRET, model=model or "\n")
    assert server.total_connections == 0


@pytest.mark.parametrize(
    "model",
    ["gpt2", "openai-community/gpt2", "meta-llama/Llama-3.1-8B-Instruct", "org/m_1.v2", "a/b:fast"],
)
async def test_good_model_ids_pass(client, server, model):
    assert (await client.text_generation("x", model=model)).generated_text is not None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bill_to": "org\r\nX-Evil: 1"},
        {"bill_to": "org\x00"},
        {"headers": {"X-Custom": "a\nb"}},
        {"headers": {"X-Custom": "a\x00"}},
        {"headers": {"X-Evil\r\nHost": "v"}},
        {"headers": {"X Space": "v"}},
        {"headers": {"X:Colon": "v"}},
        {"headers": {"": "v"}},
    ],
)
async def test_cr_lf_nul_and_bad_names_are_rejected(server, kwargs):
    with pytest.raises(InvalidInputError):
        AsyncInferenceClient(SECRET, base_url=server.base_url, **kwargs)
    async with AsyncInferenceClient(SECRET, base_url=server.base_url) as c:
        with pytest.raises(InvalidInputError):
            await c.text_generation("x", model=GPT2, **kwargs)
    assert server.total_connections == 0


@pytest.mark.parametrize(
    "url", ["http://user:hunter2@127.0.0.1:9/hf-inference", "https://:hunter2@example.com"]
)
async def test_a_url_carrying_credentials_is_refused(client, server, url):
    # Credentials in a URL end up in logs, reprs and errors: a token goes in token=.
    for build in (
        lambda: AsyncInferenceClient(SECRET, base_url=url),
        lambda: AsyncInferenceClient(SECRET, model=url),
        lambda: client.endpoint(url),
    ):
        with pytest.raises(InvalidInputError, match="credentials") as info:
            build()
        assert "hunter2" not in str(info.value)
    with pytest.raises(InvalidInputError, match="credentials"):
        await client.text_generation("x", model=url)
    assert server.total_connections == 0


@pytest.mark.parametrize("token", ["hf_a\r\nX-Evil: 1", "hf_a\nb", "hf_\x00a", "hf_a\rb"])
async def test_tokens_with_cr_lf_nul_are_rejected(server, monkeypatch, token):
    with pytest.raises(InvalidInputError) as info:
        AsyncInferenceClient(token)
    assert token not in str(info.value)
    if "\x00" not in token:  # the environment itself cannot hold a NUL
        monkeypatch.setenv("HF_TOKEN", token)
        with pytest.raises(InvalidInputError):
            AsyncInferenceClient()
        monkeypatch.delenv("HF_TOKEN")
    async with AsyncInferenceClient(False, base_url=server.base_url) as c:
        with pytest.raises(InvalidInputError):
            await c.text_generation("x", model=GPT2, token=token)
    assert server.total_connections == 0


@pytest.mark.parametrize("raw", ["hf_env_token\n", "hf_env_token\r\n", "  hf_env_token \n"])
async def test_token_from_the_environment_is_stripped(server, monkeypatch, tmp_path, raw):
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setenv("HF_TOKEN", raw)
    async with AsyncInferenceClient(base_url=server.base_url) as c:
        await c.text_generation("x", model=GPT2)
    assert server.requests[-1].headers["authorization"] == "Bearer hf_env_token"
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_TOKEN_PATH", raising=False)
    (tmp_path / "token").write_text(raw)
    async with AsyncInferenceClient(base_url=server.base_url) as c:
        await c.text_generation("x", model=GPT2)
    assert server.requests[-1].headers["authorization"] == "Bearer hf_env_token"


# -- where the token goes ----------------------------------------------------------------------


def _auth(server: LocalInferenceServer) -> str | None:
    return server.requests[-1].headers.get("authorization")


async def test_token_goes_only_to_hosts_the_user_chose(client, server):
    bearer = f"Bearer {SECRET}"
    await client.text_generation("x", model=GPT2)
    assert _auth(server) == bearer  # base_url

    elsewhere = other_origin(server.endpoint_url("tgi"))
    await client.text_generation("x", model=elsewhere)
    assert _auth(server) is None  # a per-call URL on another origin (maybe user input)

    dedicated = client.endpoint(elsewhere)
    await dedicated.text_generation("x")
    assert _auth(server) == bearer  # endpoint(): the user named this host
    await client.text_generation("x", model=elsewhere)
    assert _auth(server) is None  # ...for the child only, not for the parent

    await client.text_generation("x", model=elsewhere, token="hf_for_this_call")
    assert _auth(server) == "Bearer hf_for_this_call"  # a token given with the call goes with it


async def test_model_url_on_the_client_is_trusted(server):
    elsewhere = other_origin(server.endpoint_url("tgi"))
    async with AsyncInferenceClient(SECRET, base_url=server.base_url, model=elsewhere) as c:
        await c.text_generation("x")
    assert _auth(server) == f"Bearer {SECRET}"


async def test_send_token_to_any_host_opts_in(server):
    elsewhere = other_origin(server.endpoint_url("tgi"))
    async with AsyncInferenceClient(
        SECRET, base_url=server.base_url, send_token_to_any_host=True
    ) as c:
        await c.text_generation("x", model=elsewhere)
    assert _auth(server) == f"Bearer {SECRET}"


def test_default_hosts_are_trusted_by_origin():
    client = AsyncInferenceClient(SECRET)

    def gets_token(url: str) -> bool:
        return "authorization" in client._headers(url, {}, None, None)

    assert gets_token("https://router.huggingface.co/hf-inference/models/gpt2")
    assert gets_token("https://huggingface.co/api/models/gpt2")
    assert not gets_token("http://router.huggingface.co/hf-inference/models/gpt2")  # scheme
    assert not gets_token("https://router.huggingface.co:8443/x")  # port
    assert not gets_token("https://router.huggingface.co.evil.example/x")
    assert not gets_token("https://evil.example/router.huggingface.co")


# -- TLS and proxies ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def https_url(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """A tiny HTTPS text-generation server with a self-signed certificate."""
    cert, key = certificate

    async def generate(request: web.Request) -> web.Response:
        return web.json_response([{"generated_text": "over tls"}])

    app = web.Application()
    app.router.add_post("/hf-inference/models/{model:.*}", generate)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context)
    await site.start()
    try:
        yield f"https://127.0.0.1:{port}/hf-inference"
    finally:
        await runner.cleanup()


async def test_tls_is_verified_by_default(https_url):
    async with AsyncInferenceClient(SECRET, base_url=https_url, max_retries=0) as c:
        with pytest.raises(APIConnectionError, match="TLS"):
            await c.text_generation("x", model=GPT2)


async def test_a_custom_ssl_context_trusts_a_private_ca(https_url, certificate):
    context = ssl.create_default_context(cafile=str(certificate[0]))
    async with AsyncInferenceClient(SECRET, base_url=https_url, ssl=context) as c:
        assert (await c.text_generation("x", model=GPT2)).generated_text == "over tls"


def _proxy_env(monkeypatch: pytest.MonkeyPatch, proxy: str) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy)


async def test_proxies_from_the_environment_are_honoured(server, monkeypatch):
    _proxy_env(monkeypatch, server.url)
    # Nothing listens at the target: only the proxy (the local server) can answer.
    target = f"http://127.0.0.1:{free_port()}"
    async with AsyncInferenceClient(SECRET, base_url=target + "/hf-inference") as c:
        assert (await c.text_generation("x", model=GPT2)).generated_text
    proxied = server.requests[-1]
    assert proxied.path == f"/hf-inference/models/{GPT2}"
    assert proxied.headers["host"] == target.removeprefix("http://")


async def test_trust_env_false_ignores_proxy_settings(server, monkeypatch):
    _proxy_env(monkeypatch, server.url)
    target = f"http://127.0.0.1:{free_port()}/hf-inference"
    async with AsyncInferenceClient(SECRET, base_url=target, trust_env=False, max_retries=0) as c:
        with pytest.raises(APIConnectionError):
            await c.text_generation("x", model=GPT2)
    assert server.requests == []


async def test_proxy_credentials_and_no_proxy(server, monkeypatch):
    _proxy_env(monkeypatch, server.url.replace("http://", "http://proxyuser:proxypass@"))
    target = f"http://127.0.0.1:{free_port()}/hf-inference"
    async with AsyncInferenceClient(SECRET, base_url=target) as c:
        await c.text_generation("x", model=GPT2)
    proxied = server.requests[-1].headers
    assert proxied["proxy-authorization"].startswith("Basic ")
    assert proxied["authorization"] == f"Bearer {SECRET}"  # the target's own credentials
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    async with AsyncInferenceClient(SECRET, base_url=target, max_retries=0) as c:
        with pytest.raises(APIConnectionError):  # straight to the closed port
            await c.text_generation("x", model=GPT2)
    assert len(server.requests) == 1


async def test_netrc_is_neither_sent_nor_in_the_way(server, monkeypatch, tmp_path):
    # aiohttp's own trust_env would send these credentials to any host for an anonymous
    # client, and refuse every request carrying a token ("Cannot combine AUTHORIZATION").
    netrc = tmp_path / "netrc"
    netrc.write_text("default login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    async with AsyncInferenceClient(SECRET, base_url=server.base_url) as c:
        assert (await c.text_generation("x", model=GPT2)).generated_text
    assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    async with AsyncInferenceClient(False, base_url=server.base_url) as c:
        await c.text_generation("x", model=other_origin(server.endpoint_url("tgi")))
    assert "authorization" not in server.requests[-1].headers
