"""Health and readiness checks for load balancers and orchestrators."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, F, When
from django.db.models.functions import Greatest
from django.utils import timezone

TASK_BACKLOG_WARNING = timedelta(minutes=10)


@dataclass
class Check:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return Check(False, {"error": error.__class__.__name__})
    return Check(True, {"vendor": connection.vendor})


def check_task_queue() -> Check:
    """The database backend is healthy when no task waits longer than ten minutes (a worker is
    taking work); the Redis backend when Redis answers."""
    backend = settings.TASK_BACKEND
    if backend == "immediate":
        return Check(True, {"backend": backend})
    if backend == "redis":
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError as error:
            return Check(False, {"backend": backend, "error": error.__class__.__name__})
        return Check(True, {"backend": backend})
    from django_tasks_db.models import DBTaskResult, get_date_max

    try:
        now = timezone.now()
        # Waiting since it could first run: enqueued, or due (tasks scheduled for later).
        waiting = DBTaskResult.objects.ready().annotate(
            due=Case(
                When(run_after=get_date_max(), then=F("enqueued_at")),  # "run any time"
                default=Greatest("enqueued_at", "run_after"),
            )
        )
        count = waiting.count()
        oldest = waiting.order_by("due").values_list("due", flat=True).first()
    except DatabaseError as error:
        return Check(False, {"backend": backend, "error": error.__class__.__name__})
    age = (now - oldest).total_seconds() if oldest else 0.0
    return Check(
        age < TASK_BACKLOG_WARNING.total_seconds(),
        {"backend": backend, "waiting": count, "oldest_waiting_seconds": round(age, 1)},
    )


def check_migrations() -> Check:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return Check(False, {"error": error.__class__.__name__})
    return Check(not plan, {"unapplied": len(plan)})
