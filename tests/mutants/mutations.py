"""The curated list of realistic single bugs that ``run.py`` applies, one at a time.

Each entry breaks one guarantee the docs make, the way a plausible edit would (a condition
dropped, a branch simplified, a constant changed), and names the test files that must catch it.
``original`` must occur exactly once in ``file``; when a refactor moves or rewrites that code,
the entry is reported STALE: update it to the new code (the guarantee has not gone away) rather
than deleting it.

Growing the list: every new guarantee in the docs gets an entry here together with the test
that holds it. Run ``python tests/mutants/run.py -k <name>`` to see the new entry caught.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    name: str  # unique, kebab-case; the area first (sse-, stream-, send-, ...)
    file: str  # relative to the repository root
    original: str  # exact text, present exactly once in ``file``
    replacement: str
    tests: tuple[str, ...]  # pytest arguments: the test files (or node ids) that must fail
    why: str  # the guarantee this bug breaks


SSE = ("tests/test_sse.py", "tests/test_sse_hostile.py")
STREAMS = (
    "tests/test_client.py",
    "tests/test_sse_hostile.py",
    "tests/test_stream_fast_path.py",
    "tests/test_reliability.py",
)
SEND = ("tests/test_reliability.py", "tests/test_client.py")
TRANSPORT = ("tests/test_reliability.py", "tests/test_sse_hostile.py", "tests/test_client.py")
CREDENTIALS = ("tests/test_security.py", "tests/test_client.py")
ROUTING = ("tests/test_client.py", "tests/test_conformance.py", "tests/test_tasks.py")
SHAPING = ("tests/test_tasks.py", "tests/test_conformance.py", "tests/test_types.py")
INTEGRATIONS = ("tests/test_integrations.py",)
PARAMS = ("tests/test_parameters.py", "tests/test_sync.py")
PROVIDERS_TESTS = ("tests/test_providers.py",)
ENVIRONMENT = ("tests/test_first_hour.py", "tests/test_providers.py")

_INCOMPLETE = (
    "class IncompleteStreamError(HfInferenceError):\n"
    '    """The body ended, or the connection broke, before the stream\'s final event."""\n\n\n'
)
_CONNECTION = (
    "class APIConnectionError(HfInferenceError):\n"
    '    """The connection could not be made or broke (DNS, refused, reset, TLS)."""\n\n\n'
)
#: From IncompleteStreamError to the end of APIConnectionError in _exceptions.py (one snippet,
#: so that moving the first class below the second and rebasing it is one mutation).
_INCOMPLETE_THEN_CONNECTION = (
    _INCOMPLETE
    + "class InferenceTimeoutError(HfInferenceError, TimeoutError):\n"
    + '    """A connect, pool, read, first-byte or overall deadline passed."""\n'
    + "\n"
    + '    def __init__(self, message: str, *, phase: str = "read", **kwargs: Any):\n'
    + "        super().__init__(message, **kwargs)\n"
    + "        self.phase = phase\n\n\n"
    + "class ModelLoadingTimeout(InferenceTimeoutError):\n"
    + '    """The model was still loading when the loading budget ran out."""\n\n\n'
    + _CONNECTION
)

MUTATIONS: list[Mutation] = [
    # -- SSE decoder ------------------------------------------------------------------------------
    Mutation(
        "sse-bom-kept",
        "hf_inference/_sse.py",
        "return chunk[3:] if chunk.startswith(_BOM) else chunk",
        "return chunk",
        SSE,
        "a UTF-8 BOM at the start of the stream is stripped",
    ),
    Mutation(
        "sse-lone-cr-not-a-line-end",
        "hf_inference/_sse.py",
        'chunk = chunk.replace(b"\\r\\n", b"\\n").replace(b"\\r", b"\\n")',
        'chunk = chunk.replace(b"\\r\\n", b"\\n")',
        SSE,
        "CR, LF and CRLF all end a line",
    ),
    Mutation(
        "sse-space-after-data-kept",
        "hf_inference/_sse.py",
        "value = block[6:] if block[5] == 0x20 else block[5:]",
        "value = block[5:]",
        SSE,
        "one space after 'data:' is not part of the value",
    ),
    Mutation(
        "sse-data-lines-joined-without-newline",
        "hf_inference/_sse.py",
        'raw = data[0] if len(data) == 1 else b"\\n".join(data)',
        'raw = data[0] if len(data) == 1 else b"".join(data)',
        SSE,
        "multi-line data is joined with LF",
    ),
    Mutation(
        "sse-event-size-unbounded",
        "hf_inference/_sse.py",
        "                if size > limit:\n                    raise self._too_large()\n"
        "                data.append(",
        "                data.append(",
        SSE,
        "max_event_size bounds an event's data lines",
    ),
    Mutation(
        "sse-id-with-nul-accepted",
        "hf_inference/_sse.py",
        'elif name == b"id" and "\\0" not in text:',
        'elif name == b"id":',
        SSE,
        "an id containing NUL is ignored (WHATWG)",
    ),
    Mutation(
        "sse-open-event-not-pending",
        "hf_inference/_sse.py",
        "return bool(self._tail or self._size)",
        "return bool(self._tail)",
        SSE,
        "a body ending inside an event is reported as cut in the middle of an event",
    ),
    # -- streams -----------------------------------------------------------------------------------
    Mutation(
        "stream-done-with-spaces-not-recognised",
        "hf_inference/_streaming.py",
        'if data.strip() == "[DONE]":',
        'if data == "[DONE]":',
        STREAMS,
        "[DONE] ends a stream whatever the spacing around it",
    ),
    Mutation(
        "stream-named-error-event-with-text-skipped",
        "hf_inference/_streaming.py",
        'if event.event == "error" or _is_error_payload(payload):',
        "if _is_error_payload(payload):",
        STREAMS,
        "an 'event: error' with plain-text data raises a typed StreamError",
    ),
    Mutation(
        "stream-untyped-error-payload-yielded",
        "hf_inference/_streaming.py",
        'self._check_errors = getattr(decoder, "type", Any) is Any',
        "self._check_errors = False",
        STREAMS,
        "an error payload in an untyped stream (streaming_request) raises, is not yielded",
    ),
    Mutation(
        "stream-clean-eof-before-final-event-accepted",
        "hf_inference/_streaming.py",
        "if truncated or not complete:",
        "if truncated:",
        STREAMS,
        "a body that ends before the final event is IncompleteStreamError",
    ),
    Mutation(
        "stream-eof-inside-an-event-accepted",
        "hf_inference/_streaming.py",
        "if truncated or not complete:",
        "if not complete:",
        STREAMS,
        "a body that ends inside an event is IncompleteStreamError",
    ),
    Mutation(
        "stream-error-event-keeps-the-connection",
        "hf_inference/_streaming.py",
        "        self._finish(discard=True)\n        raise error_from_stream_event(",
        "        raise error_from_stream_event(",
        STREAMS,
        "an in-band error closes the stream and releases its connection",
    ),
    Mutation(
        "stream-async-with-exit-leaves-it-open",
        "hf_inference/_streaming.py",
        "        tb: TracebackType | None,\n    ) -> None:\n        self._finish(discard=True)",
        "        tb: TracebackType | None,\n    ) -> None:\n        pass",
        STREAMS,
        "leaving 'async with' closes the stream and its connection at once",
    ),
    Mutation(
        "stream-aclose-does-nothing",
        "hf_inference/_streaming.py",
        "        # Closing the socket is synchronous, so there is no await here to be cancelled.\n"
        "        self._finish(discard=True)",
        "        return",
        STREAMS,
        "aclose() from any task releases the connection",
    ),
    Mutation(
        "stream-break-leaves-socket-to-gc",
        "hf_inference/_streaming.py",
        "        if not self._closed and self._response is not None:\n"
        "            self._response.close()",
        "        pass",
        STREAMS,
        "break out of 'async for' closes the socket at once",
    ),
    Mutation(
        "stream-any-text-answer-read-as-events",
        "hf_inference/_streaming.py",
        '        if media == "text/event-stream":\n            response.use_stream_reads()',
        '        if media.startswith("text/"):\n            response.use_stream_reads()',
        STREAMS,
        "a 200 answer that is not text/event-stream (an HTML page) is a DecodeError",
    ),
    Mutation(
        "stream-tgi-final-details-without-text-incomplete",
        "hf_inference/_tasks.py",
        "return event.generated_text is not None or event.details is not None",
        "return event.generated_text is not None",
        STREAMS,
        "a TGI final event with details but no generated_text completes the stream",
    ),
    Mutation(
        "stream-chat-usage-chunk-incomplete",
        "hf_inference/_tasks.py",
        "return event.usage is not None or any(c.finish_reason for c in event.choices)",
        "return any(c.finish_reason for c in event.choices)",
        STREAMS,
        "a chat stream whose last chunk carries only usage is complete",
    ),
    # -- transport and timeouts --------------------------------------------------------------------
    Mutation(
        "timeout-read-counts-the-consumer-time",
        "hf_inference/_transport.py",
        "            data = await content.readany()\n            watchdog.waiting_since = None",
        "            data = await content.readany()",
        TRANSPORT,
        "the read timeout measures the server's silence, not the consumer's work",
    ),
    Mutation(
        "timeout-idle-even-when-not-reading",
        "hf_inference/_transport.py",
        "idle_passed = self._idle is not None and since is not None and now >= since + self._idle",
        "idle_passed = self._idle is not None and now >= (since or 0.0) + self._idle",
        TRANSPORT,
        "time between reads is never idle time",
    ),
    Mutation(
        "timeout-read-reported-as-first-byte",
        "hf_inference/_transport.py",
        '                f"no data received for {self._idle:g} s (read timeout)",\n'
        '                phase="read",',
        '                f"no data received for {self._idle:g} s (read timeout)",\n'
        '                phase="first_byte",',
        TRANSPORT,
        "a stalled body is InferenceTimeoutError phase 'read'",
    ),
    Mutation(
        "timeout-total-deadline-not-on-the-body",
        "hf_inference/_transport.py",
        "return Response(raw, model=model, timeout=timeout, deadline=deadline)",
        "return Response(raw, model=model, timeout=timeout, deadline=None)",
        TRANSPORT,
        "the total deadline covers the stream's body too",
    ),
    Mutation(
        "transport-connection-lost-is-a-connection-error",
        "hf_inference/_transport.py",
        "            content.set_exception(\n                IncompleteStreamError(",
        "            content.set_exception(\n                APIConnectionError(",
        TRANSPORT,
        "a connection that breaks mid-body is IncompleteStreamError, not APIConnectionError",
    ),
    Mutation(
        "transport-incomplete-body-is-a-connection-error",
        "hf_inference/_exceptions.py",
        _INCOMPLETE_THEN_CONNECTION,
        _INCOMPLETE_THEN_CONNECTION.replace(_INCOMPLETE, "").replace(
            _CONNECTION,
            _CONNECTION + _INCOMPLETE.replace("(HfInferenceError)", "(APIConnectionError)"),
        ),
        TRANSPORT,
        "a body cut short is IncompleteStreamError, never an APIConnectionError (may be retried)",
    ),
    Mutation(
        "transport-aiohttp-error-chained",
        "hf_inference/_transport.py",
        "        except (aiohttp.ClientError, OSError, ValueError) as exc:\n"
        "            error = translate_error(exc, model=model, url=url)",
        "        except (aiohttp.ClientError, OSError, ValueError) as exc:\n"
        "            raise translate_error(exc, model=model, url=url) from exc",
        CREDENTIALS,
        "no aiohttp exception (its repr carries Authorization) is chained to ours",
    ),
    Mutation(
        "transport-error-body-unbounded",
        "hf_inference/_transport.py",
        "            while size <= limit:\n                chunk = await self.read_chunk()",
        "            while True:\n                chunk = await self.read_chunk()",
        ("tests/test_sse_hostile.py", "tests/test_security.py", "tests/test_reliability.py"),
        "an error body is read up to 64 KiB, never whole",
    ),
    # -- sending, retries, model loading -----------------------------------------------------------
    Mutation(
        "send-one-shot-body-resent-after-reset",
        "hf_inference/_client.py",
        "if not (retryable and replayable and retries < max_retries):",
        "if not (retryable and retries < max_retries):",
        SEND,
        "an async-iterable body is never sent again after a connection reset",
    ),
    Mutation(
        "send-one-shot-body-resent-after-loading",
        "hf_inference/_client.py",
        "if isinstance(error, ModelLoadingError) and wait_for_model and replayable:",
        "if isinstance(error, ModelLoadingError) and wait_for_model:",
        SEND,
        "an async-iterable body is never sent again after a model-loading wait",
    ),
    Mutation(
        "send-one-shot-body-resent-after-status",
        "hf_inference/_client.py",
        "                and replayable\n                and retries < max_retries",
        "                and retries < max_retries",
        SEND,
        "an async-iterable body is never sent again after a retryable status",
    ),
    Mutation(
        "send-first-byte-timeout-retried",
        "hf_inference/_client.py",
        'retryable = isinstance(exc, APIConnectionError) or exc.phase == "connect"',
        "retryable = True",
        SEND,
        "a first-byte or total timeout is not retried (the server may be working on it)",
    ),
    Mutation(
        "send-one-retry-too-many",
        "hf_inference/_client.py",
        "                and retries < max_retries\n            ):",
        "                and retries <= max_retries\n            ):",
        SEND,
        "max_retries=2 means three attempts",
    ),
    Mutation(
        "send-loading-waits-use-up-retries",
        "hf_inference/_client.py",
        "                loading_waited += wait\n                continue",
        "                loading_waited += wait\n"
        "                retries += 1\n"
        "                continue",
        SEND,
        "waiting for a loading model does not use up retries",
    ),
    Mutation(
        "send-wait-past-the-deadline",
        "hf_inference/_client.py",
        "if deadline is not None and anyio.current_time() + delay >= deadline:",
        "if False:",
        SEND,
        "a wait that would pass the total deadline is not started",
    ),
    Mutation(
        "retry-server-delay-ignored",
        "hf_inference/_retry.py",
        "            return min(requested, self.retry_after_max)",
        "            return self.backoff(retry)",
        SEND,
        "Retry-After / retry-after-ms / RateLimit are honoured",
    ),
    Mutation(
        "retry-server-delay-uncapped",
        "hf_inference/_retry.py",
        "            return min(requested, self.retry_after_max)",
        "            return requested",
        SEND,
        "a server's requested delay is capped at retry_after_max",
    ),
    Mutation(
        "retry-backoff-uncapped",
        "hf_inference/_retry.py",
        "base = min(self.backoff_max, self.backoff_initial * (2 ** min(retry - 1, 62)))",
        "base = self.backoff_initial * (2 ** min(retry - 1, 62))",
        SEND,
        "backoff is capped at 8 s",
    ),
    Mutation(
        "retry-client-errors-retried",
        "hf_inference/_retry.py",
        "RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})",
        "RETRY_STATUSES: Final = frozenset({400, 408, 422, 429, 500, 502, 503, 504})",
        SEND,
        "a 4xx other than 408/429 is sent once",
    ),
    Mutation(
        "retry-loading-budget-overshot",
        "hf_inference/_retry.py",
        "return min(self.loading_sleep(estimated_time), left)",
        "return self.loading_sleep(estimated_time)",
        SEND,
        "the last loading sleep is shortened to what is left of the budget",
    ),
    # -- credentials and input checks --------------------------------------------------------------
    Mutation(
        "credentials-token-to-any-host",
        "hf_inference/_client.py",
        "elif self._token and (self._send_token_anywhere or origin_of(url) in "
        "self._trusted_origins):",
        "elif self._token:",
        CREDENTIALS,
        "the client's token goes only to the hosts it belongs to",
    ),
    Mutation(
        "credentials-kept-across-a-cross-origin-redirect",
        "hf_inference/_client.py",
        "            if origin_of(url) != origin:\n                headers = default_headers()",
        "            if False:\n                headers = default_headers()",
        CREDENTIALS,
        "a download redirected to another origin carries no token",
    ),
    Mutation(
        "credentials-token-in-repr",
        "hf_inference/_client.py",
        'auth = "token=***" if self._token else "anonymous"',
        'auth = f"token={self._token}" if self._token else "anonymous"',
        CREDENTIALS,
        "the token never appears in a repr",
    ),
    Mutation(
        "credentials-url-with-userinfo-accepted",
        "hf_inference/_config.py",
        "    if parts.username or parts.password:\n",
        "    if False:\n",
        CREDENTIALS,
        "a URL carrying credentials is refused",
    ),
    Mutation(
        "input-header-crlf-accepted",
        "hf_inference/_config.py",
        '_FORBIDDEN_HEADER_CHARS = re.compile(r"[\\r\\n\\x00]")',
        '_FORBIDDEN_HEADER_CHARS = re.compile(r"[\\x00]")',
        CREDENTIALS,
        "CR/LF in a token or header value is refused (no header injection)",
    ),
    Mutation(
        "input-model-id-prefix-match",
        "hf_inference/_config.py",
        "if _MODEL_ID.fullmatch(model) is None:",
        "if _MODEL_ID.match(model) is None:",
        CREDENTIALS,
        "a model id with '?', '#', spaces or CR/LF is refused before any socket",
    ),
    # -- routing -----------------------------------------------------------------------------------
    Mutation(
        "routing-hf-inference-provider-sent-to-the-router",
        "hf_inference/providers/__init__.py",
        "if provider in (None, HF_INFERENCE):",
        "if provider is None:",
        (*ROUTING, "tests/test_providers.py"),
        "provider='hf-inference' keeps the hf-inference route",
    ),
    Mutation(
        "routing-chat-completions-suffix-doubled",
        "hf_inference/providers/__init__.py",
        'if chat and not url.endswith("/chat/completions"):',
        "if chat:",
        ROUTING,
        "an endpoint URL already ending in /chat/completions gets no second suffix",
    ),
    Mutation(
        "routing-provider-suffix-missing-from-body",
        "hf_inference/_chat.py",
        'return f"{model}:{provider}"',
        "return model",
        ROUTING,
        "the router gets 'model:provider' in the body",
    ),
    Mutation(
        "routing-pipeline-route-dropped",
        "hf_inference/providers/__init__.py",
        'return f"{base_url}/models/{model}/pipeline/{task}"',
        'return f"{base_url}/models/{model}"',
        ROUTING,
        "feature extraction and sentence similarity use the /pipeline/<task> route",
    ),
    Mutation(
        "routing-endpoint-chat-body-names-the-url",
        "hf_inference/_chat.py",
        'if model is None or model.startswith(("http://", "https://")):',
        "if model is None:",
        ROUTING,
        "chat on an endpoint URL sends model 'tgi', never the URL",
    ),
    # -- shaping: bodies and answers ---------------------------------------------------------------
    Mutation(
        "shaping-batch-text-classification-flattened",
        "hf_inference/_tasks.py",
        "        and isinstance(wire[0], list)\n        and not isinstance(inputs, list)\n",
        "        and isinstance(wire[0], list)\n",
        SHAPING,
        "batch text classification returns one list of labels per input",
    ),
    Mutation(
        "shaping-batch-reduced-to-its-first",
        "hf_inference/_tasks.py",
        "return wire if isinstance(inputs, list) else (wire[0] if wire else None)",
        "return wire[0] if wire else None",
        SHAPING,
        "a batch of inputs (summarization, translation) returns one output per input",
    ),
    Mutation(
        "shaping-zero-shot-batch-reduced",
        "hf_inference/_tasks.py",
        "return results if isinstance(inputs, list) else results[0]",
        "return results[0]",
        SHAPING,
        "zero-shot classification of a batch returns one list per input",
    ),
    Mutation(
        "shaping-json-accepted-as-binary-output",
        "hf_inference/_tasks.py",
        'if response.media_type != "application/json":',
        "if True:",
        SHAPING,
        "a JSON answer to an image/audio task is a DecodeError, not bytes",
    ),
    Mutation(
        "shaping-chat-stream-flag-missing",
        "hf_inference/_chat.py",
        '    if stream:\n        body["stream"] = True\n    return json_body(body)',
        "    return json_body(body)",
        STREAMS,
        "a chat stream asks the server for a stream",
    ),
    Mutation(
        "shaping-none-parameters-sent",
        "hf_inference/_payloads.py",
        "        params = drop_none(parameters)",
        "        params = dict(parameters)",
        (*SHAPING, "tests/test_client.py"),
        "parameters set to None are left out of the body",
    ),
    Mutation(
        "shaping-none-chat-parameters-sent",
        "hf_inference/_params.py",
        "if k not in CALL_OPTION_NAMES and v is not None}",
        "if k not in CALL_OPTION_NAMES}",
        (*SHAPING, "tests/test_client.py"),
        "chat parameters set to None are left out of the body",
    ),
    # -- providers: the auto policy, the mapping, typed errors before any inference request ------
    Mutation(
        "providers-auto-takes-a-staging-provider",
        "hf_inference/providers/__init__.py",
        'if entry.status == "live" and _offers(entry, task):',
        "if _offers(entry, task):",
        PROVIDERS_TESTS,
        "auto skips providers whose mapping is in staging",
    ),
    Mutation(
        "providers-auto-ignores-the-task",
        "hf_inference/providers/__init__.py",
        'if entry.status == "live" and _offers(entry, task):',
        'if entry.status == "live" and entry.provider in registry():',
        PROVIDERS_TESTS,
        "auto skips providers that serve the model for another task",
    ),
    Mutation(
        "providers-auto-takes-the-last-live-provider",
        "hf_inference/providers/__init__.py",
        '        for entry in entries:\n            if entry.status == "live"',
        '        for entry in reversed(entries):\n            if entry.status == "live"',
        PROVIDERS_TESTS,
        "auto picks the first live provider in the user's preference order",
    ),
    Mutation(
        "providers-unknown-provider-left-to-the-hub",
        "hf_inference/providers/__init__.py",
        "    if provider != AUTO:\n        row = provider_row(provider)",
        "    if provider != AUTO and provider in registry():\n        row = provider_row(provider)",
        PROVIDERS_TESTS,
        "an unknown provider is UnknownProviderError, before any request",
    ),
    Mutation(
        "providers-task-checked-only-after-the-lookup",
        "hf_inference/providers/__init__.py",
        "        shape_of(row, task, model)\n        if not row.mapped:",
        "        if not row.mapped:",
        PROVIDERS_TESTS,
        "a provider without the task is ProviderTaskError, before the Hub is asked",
    ),
    Mutation(
        "providers-named-provider-for-another-task-accepted",
        "hf_inference/providers/__init__.py",
        "            if not _task_matches(entry, task):\n                raise ProviderTaskError(",
        "            if False:\n                raise ProviderTaskError(",
        PROVIDERS_TESTS,
        "a named provider that serves the model for another task is ProviderTaskError",
    ),
    Mutation(
        "providers-chat-auto-routing-with-a-provider-key",
        "hf_inference/providers/__init__.py",
        'if credential is not None and not credential.startswith("hf_"):',
        "if False:",
        PROVIDERS_TESTS,
        "the router's chat auto-routing refuses a provider key before sending it anywhere",
    ),
    Mutation(
        "providers-direct-only-provider-through-the-router",
        "hf_inference/providers/__init__.py",
        "if through_router and not row.routed:",
        "if False:",
        PROVIDERS_TESTS,
        "a direct-only provider (openai) refuses a Hugging Face token with a typed error",
    ),
    Mutation(
        "mapping-legacy-dict-form-dropped",
        "hf_inference/_mapping.py",
        "list(raw.items()) if isinstance(raw, dict) else",
        "[] if isinstance(raw, dict) else",
        PROVIDERS_TESTS,
        "the Hub's legacy dict form of the mapping is read",
    ),
    Mutation(
        "mapping-no-single-flight",
        "hf_inference/_mapping.py",
        "            if flight is None:\n                return await self._lead(model)",
        "            if True:\n                return await self._lead(model)",
        PROVIDERS_TESTS,
        "concurrent calls for one uncached model share one Hub lookup",
    ),
    Mutation(
        "mapping-failure-cached",
        "hf_inference/_mapping.py",
        "        finally:\n            del self._flights[model]",
        "        finally:\n            self._store(model, flight.entries or ())\n"
        "            del self._flights[model]",
        PROVIDERS_TESTS,
        "a failed Hub lookup is not cached: the next call asks again",
    ),
    Mutation(
        "mapping-ttl-ignored",
        "hf_inference/_mapping.py",
        "if self._clock() >= found[0]:",
        "if False:",
        PROVIDERS_TESTS,
        "a cached mapping older than mapping_ttl is asked for again",
    ),
    Mutation(
        "mapping-size-bound-evicts-the-newest",
        "hf_inference/_mapping.py",
        "self._entries.popitem(last=False)",
        "self._entries.popitem()",
        PROVIDERS_TESTS,
        "the mapping cache holds at most max_size models, the oldest go first",
    ),
    # -- providers: credentials per host ----------------------------------------------------------
    Mutation(
        "credentials-provider-key-to-the-hub",
        "hf_inference/_routing.py",
        'if self._token and self._token.startswith("hf_"):',
        "if self._token:",
        PROVIDERS_TESTS,
        "a provider key never goes to the Hub (the lookup is then anonymous)",
    ),
    Mutation(
        "credentials-provider-url-takes-the-hf-token",
        "hf_inference/providers/__init__.py",
        '    if through_router:\n        base = f"{router_url}/{row.name}"',
        "    if through_router and row.name not in (provider_urls or {}):\n"
        '        base = f"{router_url}/{row.name}"',
        PROVIDERS_TESTS,
        "a Hugging Face token goes through the router, never to a provider host (provider_urls)",
    ),
    Mutation(
        "credentials-provider-key-to-the-router",
        "hf_inference/providers/__init__.py",
        'through_router = credential is None or credential.startswith("hf_")',
        "through_router = True",
        PROVIDERS_TESTS,
        "a provider's own key goes straight to that provider, never to the router",
    ),
    Mutation(
        "credentials-provider-key-in-the-bearer-scheme",
        "hf_inference/_exchange.py",
        'headers["authorization"] = f"{plan.provider.key_scheme} {credential}"',
        'headers["authorization"] = f"Bearer {credential}"',
        PROVIDERS_TESTS,
        "a provider's own key is sent in that provider's scheme (fal: 'Key <key>')",
    ),
    Mutation(
        "credentials-bill-to-sent-to-a-provider-host",
        "hf_inference/_exchange.py",
        '            headers.pop("x-hf-bill-to", None)\n',
        "",
        PROVIDERS_TESTS,
        "bill_to goes to the router only, never to a provider's own host",
    ),
    Mutation(
        "credentials-media-download-carries-the-token",
        "hf_inference/_exchange.py",
        "        url = validate_url(url)\n        headers = default_headers()",
        "        url = validate_url(url)\n        headers = self.headers",
        PROVIDERS_TESTS,
        "a media URL a provider names is fetched with no credentials",
    ),
    # -- providers: jobs ---------------------------------------------------------------------------
    Mutation(
        "jobs-fal-queue-url-leaves-the-router",
        "hf_inference/_exchange.py",
        '        path = urlsplit(url).path if "://" in url else url\n',
        '        if "://" in url:\n            return url\n        path = url\n',
        PROVIDERS_TESTS,
        "job URLs a provider hands back are rebased onto the call's own base (the router)",
    ),
    Mutation(
        "jobs-fal-subdomain-dropped-from-polls",
        "hf_inference/providers/_base.py",
        'query = url.partition("?")[2]',
        'query = ""',
        PROVIDERS_TESTS,
        "fal queue URLs rewritten onto the router keep ?_subdomain=queue",
    ),
    Mutation(
        "jobs-fal-subdomain-dropped-from-submit",
        "hf_inference/providers/fal_ai.py",
        '("?_subdomain=queue" if call.routed else "")',
        '""',
        PROVIDERS_TESTS,
        "a fal queue job through the router is submitted with ?_subdomain=queue",
    ),
    Mutation(
        "jobs-poll-sleeps-past-the-deadline",
        "hf_inference/_jobs.py",
        "if anyio.current_time() + delay >= exchange.deadline:",
        "if anyio.current_time() >= exchange.deadline:",
        PROVIDERS_TESTS,
        "job polling never sleeps past the call's deadline (a clear 'still IN_QUEUE' timeout)",
    ),
    Mutation(
        "jobs-no-cancel-on-cancellation",
        "hf_inference/_jobs.py",
        "    except BaseException:\n        if cancel is not None:",
        "    except Exception:\n        if cancel is not None:",
        PROVIDERS_TESTS,
        "a cancelled job call sends the provider's cancel request",
    ),
    Mutation(
        "jobs-cancel-not-shielded",
        "hf_inference/_jobs.py",
        "with anyio.CancelScope(shield=True), anyio.move_on_after(CANCEL_BUDGET):",
        "with anyio.move_on_after(CANCEL_BUDGET):",
        PROVIDERS_TESTS,
        "the cancel request survives the caller's own cancellation",
    ),
    Mutation(
        "jobs-failure-without-the-job-id",
        "hf_inference/_jobs.py",
        'f"{exchange.provider} job {job_id} failed: {state.failure}"',
        'f"{exchange.provider} job failed: {state.failure}"',
        PROVIDERS_TESTS,
        "a failed job is JobError naming the provider's message and the job id",
    ),
    Mutation(
        "jobs-replicate-failure-message-dropped",
        "hf_inference/providers/_base.py",
        'message = (error_text(data.get("error")) or f"status {status}") if failed else None',
        'message = f"status {status}" if failed else None',
        PROVIDERS_TESTS,
        "a failed replicate prediction's JobError carries the provider's message",
    ),
    Mutation(
        "jobs-fal-completed-with-error-accepted",
        "hf_inference/providers/_base.py",
        '    failure = error_text(data.get("error"))\n    if failure is None and status in',
        "    failure = None\n    if failure is None and status in",
        PROVIDERS_TESTS,
        "a fal job COMPLETED with an error is a JobError, not a result",
    ),
    Mutation(
        "jobs-polls-not-retried",
        "hf_inference/_exchange.py",
        "        options = dict(self._options)\n",
        '        options = dict(self._options)\n        options["max_retries"] = 0\n',
        PROVIDERS_TESTS,
        "a 5xx while polling a job is retried like any request",
    ),
    Mutation(
        "jobs-media-404-returned-as-media",
        "hf_inference/_client.py",
        "if status < 300 or (redirects and status < 400):",
        "if status < 300 or redirects:",
        PROVIDERS_TESTS,
        "a media URL answering 404 is a NotFoundError, not bytes",
    ),
    Mutation(
        "jobs-replicate-prefer-wait-dropped",
        "hf_inference/providers/replicate.py",
        'headers: ClassVar[Mapping[str, str]] = {"prefer": "wait"}',
        "headers: ClassVar[Mapping[str, str]] = {}",
        PROVIDERS_TESTS,
        "a replicate prediction is submitted with 'Prefer: wait'",
    ),
    # -- routing: the chosen base URL and the environment -----------------------------------------
    Mutation(
        "routing-chosen-base-url-forgotten",
        "hf_inference/_routing.py",
        "self.explicit_base = self.base_url if chosen else None",
        "self.explicit_base = None",
        PROVIDERS_TESTS,
        "a chosen base URL takes every call that names no provider, without asking the Hub",
    ),
    Mutation(
        "routing-provider-beside-a-base-url-ignored",
        "hf_inference/providers/__init__.py",
        "if provider in (None, HF_INFERENCE):",
        "if not chat:",
        PROVIDERS_TESTS,
        "a provider named beside a base URL is routed, not ignored",
    ),
    Mutation(
        "config-environment-base-url-not-chosen",
        "hf_inference/_config.py",
        "    if base is not None:\n        return base, router, True",
        "    if base is not None:\n        return base, router, bool(base_url)",
        ENVIRONMENT,
        "a base URL from HF_INFERENCE_BASE_URL is chosen like the argument",
    ),
    Mutation(
        "config-environment-beats-the-argument",
        "hf_inference/_config.py",
        "base = validate_url(base_url) if base_url else _env_url(BASE_URL_ENV)",
        "base = _env_url(BASE_URL_ENV) or (validate_url(base_url) if base_url else None)",
        ENVIRONMENT,
        "an argument beats the environment, which beats the default",
    ),
    Mutation(
        "config-router-environment-ignored",
        "hf_inference/_config.py",
        "router = validate_url(router_url) if router_url else _env_url(ROUTER_URL_ENV)",
        "router = validate_url(router_url) if router_url else None",
        ENVIRONMENT,
        "HF_INFERENCE_ROUTER_URL is read when a client is built",
    ),
    Mutation(
        "config-hub-environment-ignored",
        "hf_inference/_routing.py",
        "self.hub_url = validate_url(hub_url) if hub_url else env_hub_url()",
        'self.hub_url = validate_url(hub_url) if hub_url else "https://huggingface.co"',
        ENVIRONMENT,
        "the Hub the mapping is read from follows HF_ENDPOINT",
    ),
    # -- integrations ------------------------------------------------------------------------------
    Mutation(
        "integrations-upstream-timeout-is-a-502",
        "hf_inference/integrations/starlette.py",
        "status = 504 if isinstance(exc, InferenceTimeoutError) else 502",
        "status = 502",
        INTEGRATIONS,
        "the SSE helper answers an upstream timeout with 504",
    ),
    Mutation(
        "integrations-upstream-http-error-is-a-200-stream",
        "hf_inference/integrations/starlette.py",
        "                try:\n                    await _start(self.upstream)\n",
        "                try:\n                    pass\n",
        INTEGRATIONS,
        "an upstream HTTP error becomes a 502 JSON answer, not a 200 stream",
    ),
    Mutation(
        "integrations-no-keepalive",
        "hf_inference/integrations/starlette.py",
        "                yield KEEPALIVE\n                continue",
        "                continue",
        INTEGRATIONS,
        "a silent upstream gets ': keep-alive' comments",
    ),
    Mutation(
        "integrations-upstream-error-ends-silently",
        "hf_inference/integrations/starlette.py",
        '                yield b"data: " + _encode(_error_payload(exc)) + b"\\n\\n"\n'
        "                return",
        "                return",
        INTEGRATIONS,
        "an upstream error mid-stream becomes an error event",
    ),
    Mutation(
        "integrations-websocket-error-closes-normally",
        "hf_inference/integrations/starlette.py",
        "await websocket.close(code=1011, reason=reason)",
        "await websocket.close(code=1000, reason=reason)",
        INTEGRATIONS,
        "an upstream error closes the WebSocket with 1011",
    ),
    Mutation(
        "integrations-disconnect-not-watched",
        "hf_inference/integrations/starlette.py",
        "            scope.cancel()\n            return",
        "            return",
        INTEGRATIONS,
        "a browser that leaves cancels the upstream stream at once",
    ),
    # -- typed parameters ----------------------------------------------------------------------
    Mutation(
        "params-keywords-dropped",
        "hf_inference/_params.py",
        "            merged[key] = value",
        "            pass",
        PARAMS,
        "a task parameter given as a keyword reaches the wire as if given in parameters=",
    ),
    Mutation(
        "params-unknown-keyword-sent",
        "hf_inference/_params.py",
        "            raise unknown_keyword(task, key, names | CALL_OPTION_NAMES)",
        "            options[key] = value",
        PARAMS,
        "an unknown keyword is refused before any socket, not passed on",
    ),
    Mutation(
        "params-twice-overrides",
        "hf_inference/_params.py",
        "            if key in merged:",
        "            if False:",
        PARAMS,
        "a parameter given both as a keyword and in parameters= is refused, not overridden",
    ),
    Mutation(
        "params-no-closest-name",
        "hf_inference/_params.py",
        'hint = f"did you mean {close[0]!r}? " if close else ""',
        'hint = ""',
        PARAMS,
        "the unknown-keyword error names the closest valid one",
    ),
    Mutation(
        "params-feature-extraction-nested",
        "hf_inference/_tasks.py",
        "    if spec.parameters_at_top and parameters:",
        "    if False:",
        PARAMS,
        "feature-extraction parameters sit beside inputs, as its specification puts them",
    ),
    Mutation(
        "params-checked-keyword-sent",
        "hf_inference/_params.py",
        "            raise unknown_keyword(task, key, names, elsewhere)",
        "            pass",
        (*PARAMS, "tests/test_openai_surface.py"),
        "chat, responses.create and request() refuse a keyword they do not name, not send it",
    ),
    Mutation(
        "params-details-not-asked",
        "hf_inference/_client.py",
        '    return {**given, "details": True}',
        "    return dict(given)",
        PARAMS,
        "details=True asks the server for details",
    ),
    Mutation(
        "params-stream-keyword-ignored",
        "hf_inference/_client.py",
        "        if stream:\n            return self.text_generation_stream(",
        "        if False:\n            return self.text_generation_stream(",
        PARAMS,
        "text_generation(stream=True) streams instead of silently answering whole",
    ),
]
