"""Deterministic text generation in TGI's wire format (``/generate``, ``/generate_stream``).

Tokens come from a fixed 64-word vocabulary, picked from a hash of the prompt and the seed:
the same request always yields the same tokens. Each vocabulary token's JSON is encoded once,
so a stream of 20,000 events costs little more than joining bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._base import deserialize_error, digest, encode, validation_error

#: TGI's ``max_total_tokens`` as this server reports it.
MAX_TOTAL_TOKENS = 1_000_000
DEFAULT_MAX_NEW_TOKENS = 20
MAX_STOP_SEQUENCES = 4
MAX_BEST_OF = 2
MAX_TOP_N_TOKENS = 5

_WORDS = (
    " the",
    " model",
    " learns",
    " from",
    " data",
    " and",
    " a",
    " network",
    " of",
    " layers",
    " with",
    " many",
    " neurons",
    " to",
    " predict",
    " the",
    " next",
    " token",
    " in",
    " deep",
    " learning",
    " is",
    " fast",
    " local",
    " server",
    " answer",
    " stream",
    " text",
    " test",
    " simple",
    " output",
    " every",
    " step",
    " for",
    " each",
    " request",
    " that",
    " we",
    " send",
    " back",
    " as",
    " small",
    " pieces",
    " over",
    " one",
    " socket",
    " until",
    " done",
    ".",
    ",",
    " it",
    " works",
    " well",
    " here",
    " again",
    " today",
    " now",
    " so",
    " more",
    " words",
    " follow",
    " this",
    " line",
    "\n",
)


class Token:
    """One generated token; its TGI JSON and its JSON-quoted text are encoded once."""

    __slots__ = ("id", "json", "logprob", "obj", "special", "text", "text_json")

    def __init__(self, id: int, text: str, logprob: float, special: bool = False) -> None:
        self.id = id
        self.text = text
        self.logprob = logprob
        self.special = special
        self.obj = {"id": id, "text": text, "logprob": logprob, "special": special}
        self.json = encode(self.obj)
        self.text_json = encode(text)


VOCAB = tuple(
    Token(1000 + i, w, -round(0.02 + ((i * 37) % 97) / 41.0, 4)) for i, w in enumerate(_WORDS)
)
_STEP = 13  # coprime with 64: a prompt walks the whole vocabulary before repeating


def vocab_tokens(h: int, n: int, start: int = 0) -> list[Token]:
    vocab = VOCAB
    return [vocab[(h + j * _STEP) & 63] for j in range(start, start + n)]


def forced_tokens(text: str) -> list[Token]:
    """Split a fixed text (grammar output, tool arguments) into tokens of a few characters."""
    pieces: list[str] = []
    i = 0
    while i < len(text):
        size = 3 if text[i] in ' {"' else 4
        pieces.append(text[i : i + size])
        i += size
    return [Token(2000 + digest(p) % 30000, p, -0.01) for p in pieces]


def word_tokens(text: str) -> list[Token]:
    """The words of a text as tokens (the echo part of chat answers)."""
    words = text.split()
    return [
        Token(3000 + digest(w) % 30000, w if i == 0 else " " + w, -0.05)
        for i, w in enumerate(words)
    ]


def input_length(text: str) -> int:
    return max(1, len(text.split()))


def sample_from_schema(
    schema: Any, string: str = "example", depth: int = 0, root: Any = None
) -> Any:
    """A value that satisfies a (simple) JSON schema: the grammar / tool-call output.

    ``$ref`` to ``#/$defs/...`` (or ``#/definitions/...``) is followed (msgspec's schemas of
    nested Structs use it).
    """
    if not isinstance(schema, dict) or depth > 8:
        return string
    root = schema if root is None else root
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
        section, _, name = ref[2:].partition("/")
        target = (root.get(section) or {}).get(name)
        return sample_from_schema(target, string, depth + 1, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample_from_schema(schema[key][0], string, depth + 1, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties")
        if not isinstance(props, dict):
            return {}
        return {k: sample_from_schema(v, string, depth + 1, root) for k, v in props.items()}
    if kind == "array":
        return [sample_from_schema(schema.get("items"), string, depth + 1, root)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return string


@dataclass
class GenerateRequest:
    """A validated TGI ``{"inputs", "parameters"}`` body."""

    inputs: str
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    details: bool = False
    decoder_input_details: bool = False
    return_full_text: bool = False
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    sampling: bool = False
    best_of: int = 1
    top_n_tokens: int = 0
    grammar: Any = None


@dataclass
class Generation:
    tokens: list[Token]
    finish_reason: str
    seed: int | None
    text: str


def parse_generate(body: Any, *, stream: bool, raw_length: int) -> GenerateRequest:
    """Validate like TGI: type errors are plain-text 422s, range errors 422 validation."""
    if not isinstance(body, dict):
        raise deserialize_error(
            f"invalid type: expected struct GenerateRequest at line 1 column {raw_length}"
        )
    inputs = body.get("inputs")
    if "inputs" not in body:
        raise deserialize_error(f"missing field `inputs` at line 1 column {raw_length}")
    if not isinstance(inputs, str):
        raise deserialize_error(
            f"inputs: invalid type: {type(inputs).__name__}, expected a string at line 1 column 1"
        )
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise deserialize_error("parameters: invalid type, expected struct GenerateParameters")
    req = GenerateRequest(inputs)
    req.max_new_tokens = _int(params, "max_new_tokens", DEFAULT_MAX_NEW_TOKENS)
    req.details = bool(params.get("details"))
    req.decoder_input_details = bool(params.get("decoder_input_details"))
    req.return_full_text = bool(params.get("return_full_text"))
    req.best_of = _int(params, "best_of", 1)
    req.top_n_tokens = _int(params, "top_n_tokens", 0)
    req.grammar = params.get("grammar")
    stop = params.get("stop") or []
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise deserialize_error("parameters.stop: invalid type, expected a sequence of strings")
    req.stop = stop
    seed = params.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise deserialize_error("parameters.seed: invalid type, expected u64")
    req.sampling = bool(params.get("do_sample")) or any(
        params.get(k) is not None for k in ("temperature", "top_k", "top_p", "typical_p")
    )
    _check_ranges(req, params, stream)
    if seed is None and (req.sampling or req.best_of > 1):
        # Real seeds are random u64s, often above 2**63: clients must parse them as ints.
        seed = (digest(inputs, "seed") * 0x9E3779B97F4A7C15 + 0xFFFF) % 2**64
    req.seed = seed
    return req


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise deserialize_error(f"parameters.{name}: invalid type: {value!r}, expected u32")
    return value


def _check_ranges(req: GenerateRequest, params: dict[str, Any], stream: bool) -> None:
    n_in = input_length(req.inputs)
    if req.max_new_tokens <= 0:
        raise validation_error("`max_new_tokens` must be strictly positive")
    if n_in + req.max_new_tokens > MAX_TOTAL_TOKENS:
        raise validation_error(
            f"`inputs` tokens + `max_new_tokens` must be <= {MAX_TOTAL_TOKENS}. "
            f"Given: {n_in} `inputs` tokens and {req.max_new_tokens} `max_new_tokens`"
        )
    for name in ("temperature", "repetition_penalty", "top_k"):
        value = params.get(name)
        if isinstance(value, (int, float)) and value <= 0:
            raise validation_error(f"`{name}` must be strictly positive")
    top_p = params.get("top_p")
    if isinstance(top_p, (int, float)) and not 0.0 < top_p < 1.0:
        raise validation_error("`top_p` must be > 0.0 and < 1.0")
    if len(req.stop) > MAX_STOP_SEQUENCES:
        raise validation_error(
            f"`stop` supports up to {MAX_STOP_SEQUENCES} stop sequences. Given: {len(req.stop)}"
        )
    if not 0 <= req.top_n_tokens <= MAX_TOP_N_TOKENS:
        raise validation_error(
            f"`top_n_tokens` must be >= 0 and <= {MAX_TOP_N_TOKENS}. Given: {req.top_n_tokens}"
        )
    if req.best_of != 1:
        if stream:
            raise validation_error("`best_of` != 1 is not supported when streaming tokens")
        if not 0 < req.best_of <= MAX_BEST_OF:
            raise validation_error(
                f"`best_of` must be > 0 and <= {MAX_BEST_OF}. Given: {req.best_of}"
            )
        if not req.sampling:
            raise validation_error("you must use sampling when `best_of` is > 1")


def generate(req: GenerateRequest, variant: int = 0) -> Generation:
    seed = req.seed if variant == 0 else (req.seed or 0) // (variant + 1) + variant
    grammar = req.grammar
    finish = "length"
    if isinstance(grammar, dict) and grammar.get("type") in ("json", "json_object"):
        tokens = forced_tokens(encode(sample_from_schema(grammar.get("value"))).decode())
        if len(tokens) <= req.max_new_tokens:
            finish = "eos_token"
        tokens = tokens[: req.max_new_tokens]
    else:
        tokens = vocab_tokens(digest(req.inputs, seed), req.max_new_tokens)
    if req.stop:
        tokens, finish = _apply_stop(tokens, req.stop, finish)
    text = "".join(t.text for t in tokens)
    if req.return_full_text:
        text = req.inputs + text
    return Generation(tokens, finish, seed, text)


def _apply_stop(tokens: list[Token], stops: list[str], finish: str) -> tuple[list[Token], str]:
    longest = max(len(s) for s in stops)
    tail = ""
    for i, token in enumerate(tokens):
        tail = (tail + token.text)[-(longest + len(token.text)) :]
        if any(s and tail.endswith(s) for s in stops):
            return tokens[: i + 1], "stop_sequence"
    return tokens, finish


def _prefill(req: GenerateRequest) -> list[dict[str, Any]]:
    if not req.decoder_input_details:
        return []
    words = word_tokens(req.inputs) or [Token(0, "<s>", 0.0)]
    return [
        {"id": t.id, "text": t.text, "logprob": None if i == 0 else t.logprob}
        for i, t in enumerate(words)
    ]


def _top_tokens(token: Token, n: int) -> list[dict[str, Any]]:
    first = VOCAB.index(token) if token in VOCAB else token.id % 64
    alternatives = [token] + [VOCAB[(first + k * 7) & 63] for k in range(1, n)]
    return [t.obj for t in alternatives[:n]]


def details_object(req: GenerateRequest, gen: Generation) -> dict[str, Any]:
    details: dict[str, Any] = {
        "finish_reason": gen.finish_reason,
        "generated_tokens": len(gen.tokens),
        "seed": gen.seed,
        "prefill": _prefill(req),
        "tokens": [t.obj for t in gen.tokens],
    }
    if req.top_n_tokens:
        details["top_tokens"] = [_top_tokens(t, req.top_n_tokens) for t in gen.tokens]
    if req.best_of > 1:
        others = [generate(req, variant) for variant in range(1, req.best_of)]
        details["best_of_sequences"] = [
            {
                "generated_text": g.text,
                "finish_reason": g.finish_reason,
                "generated_tokens": len(g.tokens),
                "seed": g.seed,
                "prefill": details["prefill"],
                "tokens": [t.obj for t in g.tokens],
            }
            for g in others
        ]
    return details


def generate_object(req: GenerateRequest) -> tuple[dict[str, Any], int]:
    """The ``/generate`` answer and its token count; serverless wraps it in a list."""
    gen = generate(req)
    answer: dict[str, Any] = {"generated_text": gen.text}
    if req.details:
        answer["details"] = details_object(req, gen)
    return answer, len(gen.tokens)


def generate_events(req: GenerateRequest, prefix: bytes) -> list[bytes]:
    """The ``/generate_stream`` events, each a complete ``data:...\\n\\n`` line."""
    gen = generate(req)
    tokens = gen.tokens
    last = len(tokens)
    if req.top_n_tokens:
        events = [
            prefix
            + encode(
                {
                    "index": i,
                    "token": t.obj,
                    "top_tokens": _top_tokens(t, req.top_n_tokens),
                    "generated_text": None,
                    "details": None,
                }
            )
            + b"\n\n"
            for i, t in enumerate(tokens[:-1], 1)
        ]
    else:
        head = prefix + b'{"index":'
        tail = b',"generated_text":null,"details":null}\n\n'
        events = [
            b'%s%d,"token":%s%s' % (head, i, t.json, tail) for i, t in enumerate(tokens[:-1], 1)
        ]
    final: dict[str, Any] = {"index": last, "token": tokens[-1].obj}
    if req.top_n_tokens:
        final["top_tokens"] = _top_tokens(tokens[-1], req.top_n_tokens)
    final["generated_text"] = gen.text
    final["details"] = (
        {
            "finish_reason": gen.finish_reason,
            "generated_tokens": last,
            "seed": gen.seed,
            "input_length": input_length(req.inputs),
        }
        if req.details
        else None
    )
    events.append(prefix + encode(final) + b"\n\n")
    return events


def error_event(prefix: bytes, message: str, error_type: str) -> bytes:
    return prefix + encode({"error": message, "error_type": error_type}) + b"\n\n"
