"""Provider jobs (fal queue, replicate predictions, wavespeed, together videos, zai, novita).

A job's progress is a *plan*: the phases it reports, one per status poll, so tests run a
job through queued -> running -> done (or failed, or queued forever) with no clock. The
submit answer shows the first phase; the n-th status poll shows phase n; the last phase
repeats for ever. A script step in a plan (``Reply(503, ...)``, ``Drop()``, ``Stall()``)
answers that poll as scripted (a 5xx while polling, a reset) without changing the job's state.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from .._base import digest
from .._faults import Fault, Reply, Step

__all__ = ["Done", "Failed", "Job", "JobBook", "JobPhase", "JobPlan", "Queued", "Running"]


@dataclass(frozen=True)
class Queued:
    """Waiting; ``position`` is the place in the provider's queue (fal reports it)."""

    position: int = 0


@dataclass(frozen=True)
class Running:
    """Started; ``progress`` in percent where the provider reports one (novita)."""

    progress: int = 50


@dataclass(frozen=True)
class Done:
    """Finished with a result."""


@dataclass(frozen=True)
class Failed:
    """Finished with the provider's error ``message``."""

    message: str = "Job failed: CUDA out of memory"


JobPhase = Union[Queued, Running, Done, Failed]  # noqa: UP007 (a runtime alias on 3.10)
_PHASES = (Queued, Running, Done, Failed)


@dataclass(frozen=True)
class JobPlan:
    phases: tuple[JobPhase | Step, ...]
    honour_wait: bool = True  # replicate's ``Prefer: wait`` runs the job before answering

    @classmethod
    def of(cls, phases: Sequence[JobPhase | Step], *, honour_wait: bool = True) -> JobPlan:
        if not phases or not isinstance(phases[0], _PHASES):
            raise ValueError(
                "a job plan starts with the phase the submit answer shows "
                "(Queued, Running, Done or Failed); script submit faults with server.script()"
            )
        for phase in phases:
            if not isinstance(phase, (*_PHASES, Reply, Fault)):
                raise TypeError(
                    f"not a job phase: {phase!r} (Queued, Running, Done, Failed or a script step)"
                )
        return cls(tuple(phases), honour_wait)


DEFAULT_PLAN = JobPlan((Queued(1), Running(), Done()))


@dataclass
class Job:
    id: str
    host: str  # the host name that runs it: "fal-ai-queue", "replicate", ...
    model: str  # the provider's model id
    task: str
    result: Any  # whatever the family's renderer needs (see _shapes)
    plan: JobPlan
    polls: int = 0
    cancelled: bool = False
    state: JobPhase = Queued()

    def __post_init__(self) -> None:
        first = self.plan.phases[0]
        assert isinstance(first, _PHASES)
        self.state = first

    def poll(self) -> JobPhase | Step:
        """The next phase; a script step leaves the state as it was."""
        self.polls += 1
        phases = self.plan.phases
        phase = phases[min(self.polls, len(phases) - 1)]
        if isinstance(phase, _PHASES) and not self.cancelled:
            self.state = phase
        return phase

    def wait(self) -> JobPhase:
        """Run to the first finished phase (or the plan's end), as ``Prefer: wait`` does."""
        phases = self.plan.phases
        while not isinstance(self.state, (Done, Failed)) and self.polls < len(phases) - 1:
            self.poll()
        return self.state

    @property
    def finished(self) -> bool:
        return self.cancelled or isinstance(self.state, (Done, Failed))


class JobBook:
    """Every job of one server, and the plans tests set."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.plans: dict[str, JobPlan] = {}
        self.cancelled: list[str] = []
        self._ids = itertools.count(1)

    def plan_for(self, model: str, host: str, provider: str) -> JobPlan:
        for key in (model, host, provider, "*"):
            plan = self.plans.get(key)
            if plan is not None:
                return plan
        return DEFAULT_PLAN

    def submit(self, host: str, provider: str, model: str, task: str, result: Any) -> Job:
        n = next(self._ids)
        job_id = str(uuid.UUID(int=(digest(host, model, n) << 96) | n, version=4))
        plan = self.plan_for(model, host, provider)
        job = Job(job_id, host, model, task, result, plan)
        self.jobs[job_id] = job
        return job

    def cancel(self, job: Job) -> bool:
        """Record a cancel request; False when the job had already finished."""
        self.cancelled.append(job.id)
        if job.finished:
            return False
        job.cancelled = True
        return True
