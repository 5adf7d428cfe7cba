"""The outbox worker: what django-tasks-db's own worker lacks.

- Retries with exponential backoff: a failed attempt goes back to READY with a later `run_after`
  until `OUTBOX_MAX_ATTEMPTS`; only then is it marked FAILED (and staff can see it in the admin).
- Re-queuing: a task left RUNNING longer than `OUTBOX_LEASE_SECONDS` belonged to a worker that was
  killed mid-task; it is put back in the queue. Sending is therefore at-least-once.
- Scheduled work on every pass: reminders that have come due, and requests that expired; once a
  day the patient-data purge (`run_daily`, its last run kept in the database).
Attempts are counted by the worker ids django-tasks-db appends on every claim.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.utils import get_exception_traceback, get_module_path
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("appointments.outbox")
BACKEND = "outbox"
REDACTED = "[sent]"  # noqa: S105 - a marker, not a secret


def max_attempts() -> int:
    return getattr(settings, "OUTBOX_MAX_ATTEMPTS", 10)


def backoff(attempt: int) -> dt.timedelta:
    """Delay before the next try after `attempt` failed tries: 30 s, 1 min, 2 min, … capped at 1 h."""
    base = getattr(settings, "OUTBOX_BACKOFF_SECONDS", 30)
    return dt.timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), 3600))


def requeue_abandoned(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    lease = dt.timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 600))
    count = DBTaskResult.objects.filter(
        backend_name=BACKEND, status=TaskResultStatus.RUNNING, started_at__lt=now - lease
    ).update(status=TaskResultStatus.READY, run_after=now)
    if count:
        logger.warning("Re-queued %s outbox task(s) left running by a stopped worker", count)
    return count


def claim_next(worker_id: str) -> DBTaskResult | None:
    tasks = DBTaskResult.objects.ready().filter(backend_name=BACKEND)
    try:
        # SQLite's IMMEDIATE mode takes the write lock at BEGIN; PostgreSQL skips rows other workers hold.
        with transaction.atomic(using=tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(worker_id)
            return task_result
    except OperationalError as error:
        if "locked" in str(error).lower():
            return None
        raise


def run_claimed(task_result: DBTaskResult) -> bool:
    """Run one claimed task; True when it succeeded."""
    try:
        task = task_result.task
        args_kwargs = task_result.args_kwargs
        value = task.call(*args_kwargs["args"], **args_kwargs["kwargs"])
    except Exception as error:  # any failure: the mail server, a template, the database
        attempts = len(task_result.worker_ids)
        task_result.exception_class_path = get_module_path(type(error))
        task_result.traceback = get_exception_traceback(error)
        if attempts < max_attempts():
            task_result.status = TaskResultStatus.READY
            task_result.run_after = timezone.now() + backoff(attempts)
            logger.warning(
                "Outbox task %s failed (attempt %s), retrying at %s", task_result.id, attempts, task_result.run_after
            )
        else:
            task_result.status = TaskResultStatus.FAILED
            task_result.finished_at = timezone.now()
            logger.error("Outbox task %s failed %s times; giving up", task_result.id, attempts)
        task_result.save(update_fields=["status", "run_after", "finished_at", "exception_class_path", "traceback"])
        return False
    kwargs = dict(task_result.args_kwargs["kwargs"])
    if kwargs.get("manage_token"):
        # The private link has been delivered; do not keep it readable in the queue.
        kwargs["manage_token"] = REDACTED
    task_result.args_kwargs = {"args": task_result.args_kwargs["args"], "kwargs": kwargs}
    task_result.status = TaskResultStatus.SUCCESSFUL
    task_result.finished_at = timezone.now()
    task_result.return_value = value
    task_result.exception_class_path = ""
    task_result.traceback = ""
    task_result.save(
        update_fields=["status", "finished_at", "return_value", "args_kwargs", "exception_class_path", "traceback"]
    )
    return True


PURGE_JOB = "purge_patient_data"
THROTTLE_PURGE_JOB = "purge_throttle_counters"


def daily_interval() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "WORKER_DAILY_SECONDS", 24 * 3600))


def run_daily(*, name: str, job, now: dt.datetime) -> bool:
    """Run `job(now=now)` if it has not run in the last day; True when it ran.

    The job and the record of its run commit together: a worker killed mid-job or a job that
    raises leaves the old record, so the next pass (or the next worker) runs it again; a restart
    after a successful run finds the record and waits for the rest of the day.
    """
    from .models import ScheduledRun

    with transaction.atomic():
        record, _ = ScheduledRun.objects.select_for_update().get_or_create(name=name)
        if record.last_run_at is not None and now - record.last_run_at < daily_interval():
            return False
        result = job(now=now)
        record.last_run_at = now
        record.save(update_fields=["last_run_at"])
    logger.info("Scheduled job %s ran: %s", name, result)
    return True


def run_scheduled(*, now: dt.datetime | None = None) -> None:
    from throttling.purge import purge_expired as purge_throttle_counters

    from .booking import expire_requests
    from .emails import queue_due_reminders
    from .patient_data import purge_expired

    now = now or timezone.now()
    requeue_abandoned(now=now)
    expire_requests(now=now)
    queue_due_reminders(now=now)
    run_daily(name=PURGE_JOB, job=purge_expired, now=now)
    # Ended throttle windows (database store; Redis expires its own keys).
    run_daily(name=THROTTLE_PURGE_JOB, job=purge_throttle_counters, now=now)


def drain(*, worker_id: str | None = None, limit: int = 1000) -> int:
    """Run every task that is ready now (once each); returns how many ran."""
    worker_id = worker_id or f"outbox-{uuid.uuid4().hex[:8]}"
    ran = 0
    while ran < limit:
        task_result = claim_next(worker_id)
        if task_result is None:
            break
        run_claimed(task_result)
        ran += 1
    return ran


def run_worker(*, interval: float = 2.0, once: bool = False, stop=lambda: False) -> None:
    worker_id = f"outbox-{uuid.uuid4().hex[:8]}"
    logger.info("Outbox worker %s started", worker_id)
    while not stop():
        try:
            run_scheduled()
            drain(worker_id=worker_id)
        except OperationalError:
            logger.exception("Database unavailable; the outbox worker tries again shortly")
        if once:
            return
        time.sleep(interval)
