"""The scenarios of issue 5, as tables of (client, command) entries.

Sizes are the issue's; ``quick`` shrinks them (and the harness runs once or twice) so that a
whole quick pass takes a couple of minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .harness import Entry, Table

RAW = "raw-msgspec"
HF = "hf_inference"
PEERS = ("huggingface_hub", "text_generation", "openai")
#: Every client of a streaming or request table: the raw loops, hf_inference on both loops,
#: then the peers (a peer without the API shows up as a note, not a silent gap).
ALL = (RAW, "raw-json", HF, f"{RAW}@uvloop", f"{HF}@uvloop", *PEERS)


@dataclass(frozen=True)
class Sizes:
    quick: bool
    runs: int

    def pick(self, full: int, quick: int) -> int:
        return quick if self.quick else full


def _entries(
    clients: tuple[str, ...],
    command: dict[str, object],
    warmup: dict[str, object],
    repeat: int = 1,
) -> list[Entry]:
    """One entry per client; all but the slow peers repeat ``command`` ``repeat`` times a run."""
    return [
        Entry(c, c, {**command, "repeat": 1 if c in PEERS else repeat}, warmup=dict(warmup))
        for c in clients
    ]


def stream_tables(s: Sizes, kind: str = "tgi") -> list[Table]:
    what = "TGI text-generation" if kind == "tgi" else "chat-completion"
    prefix = "stream" if kind == "tgi" else "chat"
    scenario = "stream" if kind == "tgi" else "chat-stream"
    long_tokens = s.pick(20_000, 5_000)
    many_tokens = s.pick(1_000, 250)
    burst = (
        "the server writes the pre-encoded body in 64 KiB slices, as fast as it is read. "
        "Except for the peers, each run repeats the workload (10 or 4 times) to outlast noise"
    )
    return [
        Table(
            key=f"{prefix}-1",
            scenario=scenario,
            title=f"One {long_tokens:,}-token {what} stream",
            unit="token",
            entries=_entries(
                ALL,
                {"op": "streams", "kind": kind, "streams": 1, "tokens": long_tokens},
                {"op": "streams", "kind": kind, "streams": 1, "tokens": 2_000},
                repeat=s.pick(10, 4),
            ),
            runs=s.runs,
            notes=[f"Unpaced: {burst}."],
        ),
        Table(
            key=f"{prefix}-64",
            scenario=scenario,
            title=f"64 concurrent {many_tokens:,}-token {what} streams",
            unit="token",
            entries=_entries(
                ALL,
                {"op": "streams", "kind": kind, "streams": 64, "tokens": many_tokens},
                {"op": "streams", "kind": kind, "streams": 8, "tokens": 200},
                repeat=s.pick(4, 2),
            ),
            runs=s.runs,
            notes=[f"Unpaced: {burst}."],
        ),
    ]


def chat_stream_tables(s: Sizes) -> list[Table]:
    return stream_tables(s, "chat")


def responses_stream_tables(s: Sizes) -> list[Table]:
    """A Responses stream against a chat stream of the same words, per token of text."""
    tokens = s.pick(20_000, 5_000)
    rows = []
    for kind in ("chat", "responses"):
        for client in (RAW, HF, "openai"):
            command = {"op": "streams", "kind": kind, "streams": 1, "tokens": tokens}
            warmup = {"op": "streams", "kind": kind, "streams": 1, "tokens": 2_000}
            repeat = 1 if client in PEERS else s.pick(10, 4)
            rows.append(
                Entry(
                    f"{client}:{kind}",
                    client,
                    {**command, "repeat": repeat},
                    f"{client} ({'Responses API' if kind == 'responses' else 'chat'} stream)",
                    warmup=warmup,
                )
            )
    return [
        Table(
            key="responses-1",
            scenario="responses-stream",
            title=f"One {tokens:,}-token Responses API stream against a chat stream",
            unit="token",
            entries=rows,
            runs=s.runs,
            baseline=f"{HF}:chat",
            notes=[
                "Both streams spell the same words; the Responses stream sends each as a named "
                "event (`event: response.output_text.delta` + `data: {...}`) and 8 framing "
                "events around them, the chat stream a `data:` chunk. CPU per token of text; "
                "the ratio column is against hf_inference's chat stream. Unpaced, 64 KiB "
                "writes."
            ],
        )
    ]


def paced_tables(s: Sizes) -> list[Table]:
    tokens = s.pick(500, 100)
    rate = 100
    headers = {"x-bench-rate": str(rate)}
    runs = min(s.runs, 3)
    note = (
        f"Each token in its own socket write, {rate} tokens/s per stream ({tokens / rate:g} s "
        "per run): the event loop, not parsing, dominates. Median of 3 runs (peers: 2)."
    )
    tables = []
    for kind, clients in (
        ("tgi", (RAW, "raw-json", HF, f"{RAW}@uvloop", f"{HF}@uvloop", *PEERS)),
        ("chat", (RAW, HF, f"{RAW}@uvloop", f"{HF}@uvloop", "openai")),
    ):
        what = "TGI text-generation" if kind == "tgi" else "chat-completion"
        tables.append(
            Table(
                key=f"paced-{kind}",
                scenario="paced",
                title=f"64 paced {what} streams x {tokens} tokens at {rate} tokens/s",
                unit="token",
                entries=_entries(
                    clients,
                    {"op": "streams", "kind": kind, "streams": 64, "tokens": tokens},
                    {"op": "streams", "kind": kind, "streams": 64, "tokens": 10},
                ),
                runs=runs,
                notes=[note],
            )
        )
        for entry in tables[-1].entries:
            entry.command["headers"] = headers
            assert entry.warmup is not None
            entry.warmup["headers"] = headers
    return tables


def request_tables(s: Sizes) -> list[Table]:
    total = s.pick(5_000, 1_000)
    tables = []
    for kind, what in (("generate", "text_generation"), ("chat", "chat_completion")):
        tables.append(
            Table(
                key=f"requests-{kind}",
                scenario="requests",
                title=f"{total:,} non-streamed {what} requests, 64 at a time",
                unit="request",
                entries=_entries(
                    ALL,
                    {
                        "op": "requests",
                        "kind": kind,
                        "total": total,
                        "concurrency": 64,
                        "tokens": 20,
                    },
                    {"op": "requests", "kind": kind, "total": 200, "concurrency": 64, "tokens": 20},
                ),
                runs=s.runs,
                peer_runs=1 if s.quick else 2,
                notes=[
                    "20-token answers (text generation with details=True: 20 token records). "
                    "Requests/s is wall time, with the load server sharing the machine's two "
                    "cores; CPU per request is the steadier figure."
                ],
            )
        )
    return tables


def large_tables(s: Sizes) -> list[Table]:
    calls = s.pick(5, 2)
    embed = {"op": "embed", "calls": calls, "trace": True}
    decode = {"op": "decode", "calls": calls}
    embedding = Table(
        key="large-embedding",
        scenario="large",
        title="feature_extraction: a 512 x 1024 float matrix (about 6 MB of JSON)",
        unit="call",
        entries=[
            Entry("decode:raw-msgspec", RAW, decode, "msgspec.json.decode, bytes in memory"),
            Entry("decode:raw-json", "raw-json", decode, "json.loads, bytes in memory"),
            Entry(RAW, RAW, embed),
            Entry("raw-json", "raw-json", embed),
            Entry(HF, HF, embed),
            Entry("huggingface_hub", "huggingface_hub", embed),
        ],
        runs=s.runs,
        baseline="decode:raw-msgspec",
        columns=("peak",),
        notes=[
            "The first two rows decode bytes already in memory: the floor. The others POST, "
            "read and decode. huggingface_hub returns a float32 NumPy array. text_generation "
            "and openai have no feature-extraction call. Peak heap: tracemalloc peak during "
            "one call (the decoded nested lists are most of it)."
        ],
    )
    image = {"op": "image", "calls": s.pick(10, 3), "trace": True}
    binary = Table(
        key="large-binary",
        scenario="large",
        title="text_to_image: a 4 MiB binary answer",
        unit="call",
        entries=[Entry(RAW, RAW, image), Entry(HF, HF, image)],
        runs=s.runs,
        columns=("copies",),
        notes=[
            "Peak heap / body: tracemalloc peak during one call over the body size. aiohttp "
            "holds the received chunks and joins them once, so ~2.0 means one copy after the "
            "socket. huggingface_hub's text_to_image decodes into a PIL image (not comparable)."
        ],
    )
    return [embedding, binary]


def many_tables(s: Sizes) -> list[Table]:
    streams = 1_000
    tokens = s.pick(12, 8)
    rate = 2
    command = {
        "op": "many",
        "kind": "tgi",
        "streams": streams,
        "tokens": tokens,
        "rate": rate,
        "warmup": 20,
        "ramp": 1.0,
        "headers": {"x-bench-rate": str(rate)},
    }
    clients = (RAW, HF, f"{RAW}@uvloop", f"{HF}@uvloop", "huggingface_hub", "text_generation")
    entries = [Entry(c, c, dict(command)) for c in clients]
    entries.append(
        Entry(
            "openai",
            "openai",
            {**command, "kind": "chat"},
            "openai AsyncOpenAI (chat stream)",
        )
    )
    return [
        Table(
            key="many",
            scenario="many",
            title=f"{streams:,} concurrent slow streams ({tokens} tokens at {rate} tokens/s)",
            unit="token",
            entries=entries,
            runs=1 if s.quick else min(s.runs, 2),
            fresh_process=True,
            columns=("rss", "lag"),
            notes=[
                "Streams arrive over 1 s (one per millisecond), then all stay open together. "
                "Each run in a fresh process: RSS per stream is (peak RSS while the streams "
                "are open - RSS before) / 1,000, after a 20-stream warm-up. Event-loop lag is "
                "the lateness of a 5 ms sleep: p99 over the steady phase (from 1 s after the "
                "last arrival until the first stream ends), max over the whole run, arrivals "
                "included. CPU per token includes opening the connections. openai streams chat "
                "chunks (it has no TGI call)."
            ],
        )
    ]


SCENARIOS: dict[str, Callable[[Sizes], list[Table]]] = {
    "stream": stream_tables,
    "chat-stream": chat_stream_tables,
    "responses-stream": responses_stream_tables,
    "paced": paced_tables,
    "requests": request_tables,
    "large": large_tables,
    "many": many_tables,
}
#: Scenarios measured outside the worker tables.
SPECIAL = ("import", "profile", "providers")
ORDER = (*SCENARIOS, *SPECIAL)
