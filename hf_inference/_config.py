"""Value objects and defaults: timeouts, limits, token and URL resolution, input validation.

Nothing here does I/O on the event loop: the token file is read once, when a client is built.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import msgspec

from ._exceptions import InvalidInputError

DEFAULT_BASE_URL: Final = "https://router.huggingface.co/hf-inference"
ROUTER_URL: Final = "https://router.huggingface.co"
#: The serverless API is the router's hf-inference route: each URL derives from the other.
_HF_INFERENCE_ROUTE: Final = "/hf-inference"
BASE_URL_ENV: Final = "HF_INFERENCE_BASE_URL"
ROUTER_URL_ENV: Final = "HF_INFERENCE_ROUTER_URL"
HUB_URL: Final = "https://huggingface.co"
#: Hosts that receive the token without the user naming them.
HUGGING_FACE_HOSTS: Final = frozenset({"router.huggingface.co", "huggingface.co"})

DEFAULT_MAX_EVENT_SIZE: Final = 16 * 1024 * 1024
#: Non-streamed bodies above this size are refused (a compressed bomb stops here).
DEFAULT_MAX_RESPONSE_SIZE: Final = 512 * 1024 * 1024


class Timeout(msgspec.Struct, frozen=True):
    """Time limits of one call, in seconds; ``None`` disables a limit.

    ``connect``: open the TCP/TLS connection. ``pool``: wait for a free connection slot.
    ``read``: idle time between two reads of the body (a stalled stream fails after this).
    ``first_byte``: from sending the request to the response headers.
    ``total``: the whole call, streams included (off by default: a healthy stream may be long).
    """

    connect: float | None = 5.0
    pool: float | None = 30.0
    read: float | None = 120.0
    first_byte: float | None = 300.0
    total: float | None = None

    @classmethod
    def of(cls, value: Timeout | float | None) -> Timeout:
        """``Timeout(...)`` as is, a number as the read and first-byte limit, None as no limit."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(connect=None, pool=None, read=None, first_byte=None, total=None)
        return cls(read=float(value), first_byte=float(value))


DEFAULT_TIMEOUT: Final = Timeout()

#: How long a provider job (queue, prediction) may run when the call sets no total timeout.
DEFAULT_JOB_TIMEOUT: Final = 600.0


def env_hub_url() -> str:
    """The Hub the model -> provider mapping is read from: ``HF_ENDPOINT``, else huggingface.co."""
    value = os.environ.get("HF_ENDPOINT", "").strip()
    return validate_url(value) if value else HUB_URL


def _hf_home() -> Path:
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(cache).expanduser() / "huggingface"


def token_file_path() -> Path:
    """Where the Hugging Face tools store the token (``$HF_TOKEN_PATH`` or ``$HF_HOME/token``)."""
    explicit = os.environ.get("HF_TOKEN_PATH")
    return Path(explicit).expanduser() if explicit else _hf_home() / "token"


def resolve_token(token: str | bool | None) -> str | None:
    """The token argument, else ``HF_TOKEN``, else the token file; ``False`` means anonymous."""
    if token is False:
        return None
    if isinstance(token, str):
        return check_header_value("token", token.strip()) or None
    env = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if env and env.strip():
        return check_header_value("token", env.strip())
    try:
        text = token_file_path().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return check_header_value("token", text) if text else None


def _env_url(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return validate_url(value)
    except InvalidInputError as exc:
        raise InvalidInputError(f"${name}: {exc.message}") from None


def router_for(base_url: str) -> str:
    """The router that goes with a serverless base URL (its root when it ends in /hf-inference)."""
    if base_url == DEFAULT_BASE_URL:
        return ROUTER_URL
    return base_url.removesuffix(_HF_INFERENCE_ROUTE) or base_url


def env_base_url() -> str:
    """The serverless base URL: ``$HF_INFERENCE_BASE_URL``, else derived from
    ``$HF_INFERENCE_ROUTER_URL`` (its ``/hf-inference`` route), else the default."""
    base = _env_url(BASE_URL_ENV)
    if base is not None:
        return base
    router = _env_url(ROUTER_URL_ENV)
    return router + _HF_INFERENCE_ROUTE if router is not None else DEFAULT_BASE_URL


def env_router_url() -> str:
    """The router URL: ``$HF_INFERENCE_ROUTER_URL``, else derived from
    ``$HF_INFERENCE_BASE_URL`` (as :func:`router_for` does), else the default."""
    router = _env_url(ROUTER_URL_ENV)
    if router is not None:
        return router
    base = _env_url(BASE_URL_ENV)
    return router_for(base) if base is not None else ROUTER_URL


def resolve_urls(base_url: str | None, router_url: str | None = None) -> tuple[str, str, bool]:
    """(base URL, router URL, whether the base was chosen) of a new client.

    Each is argument > environment > default. A base URL given as an argument or in
    ``$HF_INFERENCE_BASE_URL`` is *chosen*: calls go there as to hf-inference and the Hub is
    never asked. The router is the ``router_url`` argument, else ``$HF_INFERENCE_ROUTER_URL``,
    else the one that goes with the base URL; a base URL nobody chose follows the router.
    Read when a client is built, so a variable set after import counts.
    """
    base = validate_url(base_url) if base_url else _env_url(BASE_URL_ENV)
    router = validate_url(router_url) if router_url else _env_url(ROUTER_URL_ENV)
    if router is None:
        router = router_for(base) if base is not None else ROUTER_URL
    if base is not None:
        return base, router, True
    return (
        (DEFAULT_BASE_URL if router == ROUTER_URL else router + _HF_INFERENCE_ROUTE),
        router,
        False,
    )


_FORBIDDEN_HEADER_CHARS = re.compile(r"[\r\n\x00]")


def check_header_value(name: str, value: str) -> str:
    """Refuse CR, LF and NUL: they would split or truncate the HTTP header."""
    if _FORBIDDEN_HEADER_CHARS.search(value):
        # The value itself may be a secret: never echo it.
        raise InvalidInputError(f"{name} contains a CR, LF or NUL character")
    return value


# RFC 9110 token characters: anything else in a header name is refused by servers or, worse,
# read differently by proxies.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def check_header_name(name: str) -> str:
    """Refuse a header name that is not an RFC 9110 token (CR, LF, NUL, ':', space...)."""
    if not isinstance(name, str) or _HEADER_NAME.fullmatch(name) is None:
        # Not echoed: a misplaced secret is as likely here as in a value.
        raise InvalidInputError("invalid header name: use letters, digits and !#$%&'*+-.^_`|~ only")
    return name


# A Hub repo id: path segments of letters, digits, '-', '_', '.', each starting with a letter
# or digit as on the Hub (so no '.' segment); optionally a ':provider' or ':policy' suffix.
_MODEL_ID = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._\-]*(?:/[A-Za-z0-9][A-Za-z0-9._\-]*)*(?::[A-Za-z0-9._\-]+)?"
)


_VALID_MODEL_IDS: set[str] = set()


def validate_model_id(model: str) -> str:
    """Check a Hub model id before it becomes part of a URL path.

    yarl normalises ``..`` and ``%2e%2e`` in paths, so a crafted id could reach another route
    of the same host; anything but a plain repo id is refused here.
    """
    if type(model) is str and model in _VALID_MODEL_IDS:
        return model  # every call asks it of its model: remember the ids already checked
    if not isinstance(model, str) or not model:
        raise InvalidInputError("model must be a non-empty string (a Hub model id or a URL)")
    if not model.isascii():
        raise InvalidInputError(f"model id {model!r} must be ASCII")
    if ".." in model or "%" in model:
        raise InvalidInputError(f"model id {model!r} must not contain '..' or '%'")
    host_hint = _host_hint(model)
    if host_hint is not None:
        raise InvalidInputError(host_hint)
    if _MODEL_ID.fullmatch(model) is None:
        raise InvalidInputError(
            f"model id {model!r} is not a valid Hub id "
            "(letters, digits, '-', '_', '.', one '/', no spaces, '?', '#', CR, LF or NUL)"
        )
    if type(model) is str:  # not a str subclass, whose __eq__/__hash__ could lie
        if len(_VALID_MODEL_IDS) >= 1024:
            _VALID_MODEL_IDS.clear()
        _VALID_MODEL_IDS.add(model)
    return model


# What starts a model id that is really a server: a port (``localhost:8080``, ``:provider``
# suffixes are never all digits), an IPv4 address, localhost, or a dotted host name before the
# first '/' (Hub namespaces have no dots: ``xyz.endpoints.huggingface.cloud/gpt2``).
_HOST_PORT = re.compile(r"[^/]*:\d+(?:/.*)?")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DOTTED_HOST = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_HUB_HOSTS = frozenset({"huggingface.co", "hf.co", "www.huggingface.co"})


def _host_hint(model: str) -> str | None:
    """The error for a model id that names a host, or None for a plausible Hub id."""
    head, slash, rest = model.partition("/")
    host = head.rsplit(":", 1)[0] if _HOST_PORT.fullmatch(model) else head
    looks_like_host = (
        _HOST_PORT.fullmatch(model) is not None
        or host.lower() == "localhost"
        or _IPV4.fullmatch(host) is not None
        or (slash and _DOTTED_HOST.fullmatch(host) is not None)
    )
    if not looks_like_host:
        return None
    if host.lower() in _HUB_HOSTS and rest:
        return (
            f"model {model!r} starts with the Hub's host name: "
            f"pass the repo id alone, model={rest!r}"
        )
    return (
        f"model {model!r} looks like a server address, not a Hub model id (org/name): "
        f"to call a server, pass its URL, model='http://{model}' or model='https://{model}'"
    )


def is_url(model: str) -> bool:
    return model.startswith(("http://", "https://"))


def validate_url(url: str) -> str:
    """Check an endpoint or base URL: http(s), a host, no credentials, no CR/LF/NUL."""
    if not isinstance(url, str):
        raise InvalidInputError("URL must be a string")
    check_header_value("URL", url)
    if any(c.isspace() for c in url):
        raise InvalidInputError("URL must not contain whitespace")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        raise InvalidInputError("URL is malformed (host or port)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("URL must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise InvalidInputError("URL must not carry credentials; pass token= instead")
    return url.rstrip("/")


@functools.lru_cache(maxsize=512)
def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL; cached, as every request asks it of its URL."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port
