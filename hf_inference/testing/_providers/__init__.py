"""The provider side of the local server: the Hub mapping, the router's provider routes,
each provider's own hosts and wire shapes, jobs and media. See ``_host`` for the entry point
and ``_table`` for the provider table."""

from ._call import Call
from ._host import SHAPES, Match, ProviderHost
from ._jobs import Done, Failed, JobPhase, Queued, Running
from ._table import HOSTS, PROVIDERS, Host, Row, host_for, served_tasks

__all__ = [
    "HOSTS",
    "PROVIDERS",
    "SHAPES",
    "Call",
    "Done",
    "Failed",
    "Host",
    "JobPhase",
    "Match",
    "ProviderHost",
    "Queued",
    "Row",
    "Running",
    "host_for",
    "served_tasks",
]
