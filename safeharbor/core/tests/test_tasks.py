"""Background tasks: immediate in tests, the database backend by default, RQ on Redis to scale."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.core.management import call_command

from safeharbor.accounts.models import User
from safeharbor.accounts.tasks import send_verification_email


@pytest.fixture
def unverified(db: None) -> User:
    return User.objects.create(username="rita", email="rita@example.org")


def test_tasks_run_immediately_in_tests(unverified: User) -> None:
    result = send_verification_email.enqueue(unverified.pk)
    assert result.return_value is True
    assert mail.outbox[-1].to == ["rita@example.org"]


def test_a_task_is_idempotent_once_its_work_is_done(unverified: User) -> None:
    from django.utils import timezone

    unverified.email_verified_at = timezone.now()
    unverified.save()
    assert send_verification_email.enqueue(unverified.pk).return_value is False
    assert mail.outbox == []


def test_registration_enqueues_its_email_only_after_commit(
    db: None,
    django_capture_on_commit_callbacks,
) -> None:
    from safeharbor.accounts.services import register_researcher

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        register_researcher(username="sam", email="sam@example.org", password="x" * 20)
    assert mail.outbox == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert mail.outbox[-1].to == ["sam@example.org"]


@pytest.mark.django_db(
    transaction=True
)  # the worker closes connections that are inside a transaction
def test_the_database_backend_stores_tasks_for_the_worker(settings, unverified: User) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASK_BACKEND = "database"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    result = send_verification_email.enqueue(unverified.pk)
    assert mail.outbox == []
    stored = DBTaskResult.objects.get(id=result.id)
    assert stored.status == "READY"
    assert stored.args_kwargs["args"] == [unverified.pk]  # the id, never the object or a token
    call_command("worker", "--burst")
    stored.refresh_from_db()
    assert stored.status == "SUCCESSFUL"
    assert mail.outbox[-1].to == ["rita@example.org"]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_same_task_runs_through_rq_on_redis(settings) -> None:
    """The scale-out path: tasks on Redis, executed by an RQ worker (here a burst worker in this
    process, so it sees the test database)."""
    import django_rq
    import redis
    from django_tasks_rq import Job
    from rq import SimpleWorker

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {url}: {error}")
    queue_name = f"safeharbor-test-{uuid.uuid4().hex[:8]}"
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq"]
    settings.RQ_QUEUES = {
        "default": {"URL": url, "DEFAULT_TIMEOUT": 60},
        queue_name: {"URL": url, "DEFAULT_TIMEOUT": 60},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    user = User.objects.create(username="quinn", email="quinn@example.org")
    result = send_verification_email.using(queue_name=queue_name).enqueue(user.pk)
    assert mail.outbox == []
    queue = django_rq.get_queue(queue_name, job_class=Job)
    try:
        assert queue.count == 1
        worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
        assert worker.work(burst=True)
        result.refresh()
        assert result.status == "SUCCESSFUL"
        assert result.return_value is True
        assert mail.outbox[-1].to == ["quinn@example.org"]
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)
