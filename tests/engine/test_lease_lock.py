"""The environment's lease lock against an in-memory bucket that keeps generations as GCS does.

Every write is conditional on a generation (`ifGenerationMatch`, 0 meaning "absent"), and
a mismatch is a 412, so these tests show what the lock does when another process moves
first: it never deletes a lease it did not read, and never believes it holds one it lost.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from provisioner.engine import lock as lock_module
from provisioner.engine.backoff import Backoff
from provisioner.engine.lock import LeaseLock, LockError, LockHeld, LockInfo, default_holder, environment_lock
from provisioner.engine.retry import RetryPolicy
from provisioner.google.errors import ApiError, ApiErrorException

BUCKET = "digitwin-live-dev-provisioner-state"
NAME = "locks/dev.json"


#: What a client library call retries with unless told otherwise: the lock must always say None.
LIBRARY_RETRY = "the library's own retry"


def _fail(status: int) -> ApiErrorException:
    return ApiErrorException(ApiError(status, None, f"HTTP {status}"))


class Bucket:
    """Objects by name with their generation; `before` hooks let a test act between two calls."""

    def __init__(self, exists: bool = True) -> None:
        self.exists = exists
        self.objects: dict[str, tuple[bytes, int]] = {}
        self.next_generation = 100
        self.calls: list[tuple[str, dict]] = []
        self.before: dict[str, list] = {"upload": [], "download": [], "delete": []}
        #: The next upload lands but its answer is lost (the caller sees a 503).
        self.drop_next_answer = False

    def put(self, name: str, data: dict) -> int:
        self.next_generation += 1
        self.objects[name] = (json.dumps(data).encode(), self.next_generation)
        return self.next_generation

    def read(self, name: str) -> dict:
        return json.loads(self.objects[name][0])

    def hook(self, verb: str) -> None:
        if self.before[verb]:
            self.before[verb].pop(0)()


class Blob:
    def __init__(self, bucket: Bucket, name: str) -> None:
        self.bucket, self.name, self.generation = bucket, name, None

    def download_as_bytes(self, retry=LIBRARY_RETRY) -> bytes:
        self.bucket.calls.append(("download", {"retry": retry}))
        self.bucket.hook("download")
        if not self.bucket.exists or self.name not in self.bucket.objects:
            raise _fail(404)
        data, self.generation = self.bucket.objects[self.name]
        return data

    def upload_from_string(
        self, payload, content_type=None, if_generation_match=None, retry=LIBRARY_RETRY
    ) -> None:
        self.bucket.calls.append(
            (
                "upload",
                {"content_type": content_type, "if_generation_match": if_generation_match, "retry": retry},
            )
        )
        self.bucket.hook("upload")
        if not self.bucket.exists:
            raise _fail(404)
        current = self.bucket.objects.get(self.name, (b"", 0))[1]
        if if_generation_match is not None and if_generation_match != current:
            raise _fail(412)
        self.generation = self.bucket.put(self.name, json.loads(payload))
        if self.bucket.drop_next_answer:
            self.bucket.drop_next_answer = False
            raise _fail(503)

    def delete(self, if_generation_match=None, retry=LIBRARY_RETRY) -> None:
        self.bucket.calls.append(("delete", {"if_generation_match": if_generation_match, "retry": retry}))
        self.bucket.hook("delete")
        if self.name not in self.bucket.objects:
            raise _fail(404)
        if if_generation_match is not None and if_generation_match != self.bucket.objects[self.name][1]:
            raise _fail(412)
        del self.bucket.objects[self.name]


class Storage:
    def __init__(self, bucket: Bucket) -> None:
        self.the_bucket = bucket
        self.asked: list[str] = []

    def bucket(self, name: str) -> SimpleNamespace:
        self.asked.append(name)
        return SimpleNamespace(blob=lambda blob_name: Blob(self.the_bucket, blob_name))


class Clock:
    """Stands in for the lock module's `time`: sleeping advances it, and may let a test act."""

    def __init__(self) -> None:
        self.now = 500.0
        self.sleeps: list[float] = []
        self.on_sleep = None

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep()


@pytest.fixture
def bucket() -> Bucket:
    return Bucket()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(lock_module, "time", fake)
    return fake


def _lease(bucket: Bucket, **kwargs) -> LeaseLock:
    kwargs.setdefault("retry", RetryPolicy(Backoff(initial=0.001, maximum=0.002), deadline=5))
    kwargs.setdefault("holder", "me@here pid 1")
    return LeaseLock(Storage(bucket), BUCKET, "dev", **kwargs)


def _other(expires_in: timedelta = timedelta(minutes=10), **fields) -> dict:
    now = datetime.now(UTC)
    return {
        "id": "theirs000001",
        "holder": "ops@laptop pid 42",
        "operation": "apply",
        "created": now.isoformat(timespec="seconds"),
        "expires": (now + expires_in).isoformat(timespec="seconds"),
        "host": "another-host",
        "pid": 42,
        **fields,
    }


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


# -- taking and giving back ----------------------------------------------------------------------
def test_a_free_lock_is_taken_with_who_when_and_until_when(bucket, clock):
    lease = _lease(bucket, ttl=timedelta(minutes=20))
    before = datetime.now(UTC).replace(microsecond=0)
    info = lease.acquire("apply")
    try:
        stored = bucket.read(NAME)
        assert stored == {
            "id": info.id,
            "holder": "me@here pid 1",
            "operation": "apply",
            "created": info.created,
            "expires": info.expires,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        assert len(info.id) == 12 and int(info.id, 16) >= 0
        created = datetime.fromisoformat(info.created)
        assert before <= created <= datetime.now(UTC)
        assert datetime.fromisoformat(info.expires) - created == timedelta(minutes=20)
        upload = next(kw for verb, kw in bucket.calls if verb == "upload")
        assert upload == {"content_type": "application/json", "if_generation_match": 0, "retry": None}
        assert lease.info == info and lease._renewer is not None and lease._renewer.is_alive()
        assert lease._renewer.daemon and lease._renewer.name == "lock-renewer"
        assert clock.sleeps == []
    finally:
        lease.release()
    assert NAME not in bucket.objects
    assert ("delete", {"if_generation_match": 101, "retry": None}) in bucket.calls
    assert lease.info is None and lease._generation is None
    assert not lease._renewer.is_alive()


def test_a_held_lock_is_refused_naming_its_holder_and_how_to_remove_it(bucket, clock):
    bucket.put(NAME, _other())
    lease = _lease(bucket)
    with pytest.raises(LockHeld) as refused:
        lease.acquire("apply")
    message = str(refused.value)
    assert message.startswith("another apply holds the lock on this environment: lock theirs000001 held by")
    assert "ops@laptop pid 42 for apply since" in message
    assert f"python -m provisioner force-unlock theirs000001 --env ...  (gs://{BUCKET}/{NAME})" in message
    assert "Wait for it (--lock-timeout SECONDS)" in message
    assert refused.value.info.id == "theirs000001"
    assert bucket.read(NAME)["id"] == "theirs000001"
    assert bucket.calls[1] == ("download", {"retry": None})
    assert [verb for verb, _ in bucket.calls] == ["upload", "download"]
    assert lease.info is None and clock.sleeps == []


def test_a_lock_held_until_the_timeout_is_waited_for_in_polls(bucket, clock):
    bucket.put(NAME, _other())
    lease = _lease(bucket)
    with pytest.raises(LockHeld):
        lease.acquire("apply", timeout=4.5)
    assert clock.sleeps == [2, 2, 0.5]  # every 2 seconds, never past the deadline


def test_a_lock_released_while_waiting_is_taken(bucket, clock):
    bucket.put(NAME, _other())
    clock.on_sleep = lambda: bucket.objects.clear() if len(clock.sleeps) == 2 else None
    lease = _lease(bucket)
    info = lease.acquire("drift", timeout=60, poll=3)
    try:
        assert clock.sleeps == [3, 3]
        assert bucket.read(NAME)["id"] == info.id and info.operation == "drift"
    finally:
        lease.release()


def test_an_expired_lease_is_taken_over_by_deleting_exactly_what_was_read(bucket, clock, caplog):
    generation = bucket.put(NAME, _other(expires_in=timedelta(seconds=-1)))
    lease = _lease(bucket)
    with caplog.at_level(logging.WARNING, logger="provisioner.engine.lock"):
        info = lease.acquire("apply")
    try:
        assert ("delete", {"if_generation_match": generation, "retry": None}) in bucket.calls
        assert bucket.read(NAME)["id"] == info.id
        (message,) = [r.getMessage() for r in caplog.records if r.name == "provisioner.engine.lock"]
        assert message.startswith("taking over a lease expired: lock theirs000001 held by ops@laptop")
    finally:
        lease.release()


def test_a_lease_whose_process_is_gone_is_taken_over(bucket, clock, caplog):
    bucket.put(NAME, _other(host=socket.gethostname(), pid=_dead_pid()))
    lease = _lease(bucket)
    with caplog.at_level(logging.WARNING, logger="provisioner.engine.lock"):
        info = lease.acquire("apply")
    try:
        assert bucket.read(NAME)["id"] == info.id
        assert "taking over a lease whose process is gone" in caplog.text
    finally:
        lease.release()


def test_a_takeover_that_loses_the_race_does_not_delete_the_winner(bucket, clock):
    """Between our read of the expired lease and our delete, someone else took it over."""
    bucket.put(NAME, _other(expires_in=timedelta(seconds=-1)))
    winner = _other(id="winner000001")
    bucket.before["delete"].append(lambda: bucket.put(NAME, winner))
    with pytest.raises(LockHeld) as refused:
        _lease(bucket).acquire("apply")
    assert refused.value.info.id == "winner000001"
    assert bucket.read(NAME)["id"] == "winner000001"


def test_a_create_whose_answer_was_lost_is_recognised_as_ours(bucket, clock):
    """The upload landed, its answer did not; the retry then finds the object present (412)."""
    bucket.drop_next_answer = True
    lease = _lease(bucket)
    info = lease.acquire("apply")
    try:
        assert [verb for verb, _ in bucket.calls] == ["upload", "upload", "download"]
        assert lease.info == info and lease._generation == bucket.objects[NAME][1]
        assert bucket.read(NAME)["id"] == info.id
        assert lease._renewer is not None and lease._renewer.is_alive()
    finally:
        lease.release()
    assert NAME not in bucket.objects


def test_a_lease_released_between_our_create_and_our_read_is_tried_again(bucket, clock):
    bucket.put(NAME, _other())
    bucket.before["download"].append(lambda: bucket.objects.clear())
    lease = _lease(bucket)
    info = lease.acquire("apply")
    try:
        assert bucket.read(NAME)["id"] == info.id
        assert [verb for verb, _ in bucket.calls] == ["upload", "download", "upload"]
    finally:
        lease.release()


def test_a_missing_state_bucket_is_named(clock):
    lease = _lease(Bucket(exists=False))
    with pytest.raises(LockError, match=f"^the state bucket gs://{BUCKET} does not exist$"):
        lease.acquire("apply")


def test_other_failures_to_create_are_raised(bucket, clock):
    bucket.before["upload"].append(lambda: (_ for _ in ()).throw(_fail(403)))
    with pytest.raises(ApiErrorException, match="403"):
        _lease(bucket).acquire("apply")


def test_a_failure_that_is_no_api_answer_is_raised_as_it_is(bucket, clock):
    bucket.before["upload"].append(lambda: (_ for _ in ()).throw(RuntimeError("client bug")))
    with pytest.raises(RuntimeError, match="client bug"):
        _lease(bucket).acquire("apply")


def test_other_failures_to_read_are_raised(bucket, clock):
    bucket.put(NAME, _other())
    bucket.before["download"].append(lambda: (_ for _ in ()).throw(_fail(403)))
    with pytest.raises(ApiErrorException, match="403"):
        _lease(bucket).current()


def test_a_lease_read_ignores_fields_it_does_not_know():
    bucket = Bucket()
    generation = bucket.put(NAME, {**_other(), "newer_field": 1})
    info, read_generation = _lease(bucket).current()
    assert (info.id, info.host, info.pid, read_generation) == ("theirs000001", "another-host", 42, generation)
    assert _lease(Bucket()).current() is None


def test_an_old_lease_without_host_and_pid_reads_with_defaults():
    bucket = Bucket()
    old = _other()
    del old["host"], old["pid"]
    bucket.put(NAME, old)
    info, _ = _lease(bucket).current()
    assert (info.host, info.pid) == ("", 0)
    assert not info.holder_gone


# -- keeping it ----------------------------------------------------------------------------------
def test_renewing_extends_the_lease_on_the_generation_it_holds(bucket, clock):
    lease = _lease(bucket, ttl=timedelta(minutes=3))
    info = lease.acquire("apply")
    try:
        held = lease._generation
        lease.renew()
        renewed = bucket.read(NAME)
        assert renewed["id"] == info.id and renewed["created"] == info.created
        expires = datetime.fromisoformat(renewed["expires"])
        assert (
            timedelta(minutes=3) - timedelta(seconds=2) <= expires - datetime.now(UTC) <= timedelta(minutes=3)
        )
        upload = [kw for verb, kw in bucket.calls if verb == "upload"][-1]
        assert upload == {"content_type": "application/json", "if_generation_match": held, "retry": None}
        assert lease._generation == bucket.objects[NAME][1] != held
        assert lease.info.expires == renewed["expires"]
    finally:
        lease.release()


def test_a_lease_lost_to_someone_else_is_not_renewed_over_them(bucket, clock):
    lease = _lease(bucket)
    lease.acquire("apply")
    bucket.put(NAME, _other())
    with pytest.raises(ApiErrorException, match="412"):
        lease.renew()
    assert bucket.read(NAME)["id"] == "theirs000001"
    lease.release()  # releasing deletes only its own generation
    assert bucket.read(NAME)["id"] == "theirs000001"


def test_renewing_or_releasing_what_is_not_held_does_nothing(bucket):
    lease = _lease(bucket)
    lease.renew()
    lease.release()
    assert bucket.calls == []


class Stop:
    """The renewer's stop event, answering `wait` from a script."""

    def __init__(self, answers: list[bool]) -> None:
        self.answers, self.waits = answers, []

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return self.answers.pop(0)


def test_the_renewer_renews_every_third_of_the_lease_until_stopped(bucket, caplog):
    lease = _lease(bucket, ttl=timedelta(minutes=9))
    renewals = []

    def renew():
        renewals.append(1)
        if len(renewals) == 2:
            raise _fail(503)
        if len(renewals) == 3:
            raise ConnectionResetError("peer reset")

    lease.renew = renew
    lease._stop = Stop([False, False, False, False, True])
    with caplog.at_level(logging.WARNING, logger="provisioner.engine.lock"):
        lease._renew_loop()
    assert lease._stop.waits == [180.0] * 5
    assert len(renewals) == 4  # a failed renewal is retried at the next turn
    assert [r.getMessage() for r in caplog.records if r.name == "provisioner.engine.lock"] == [
        "could not renew the lock: HTTP 503: HTTP 503",
        "could not renew the lock: connection: peer reset",
    ]


# -- removing someone else's ---------------------------------------------------------------------
def test_force_unlock_removes_the_named_lock_only(bucket):
    generation = bucket.put(NAME, _other())
    lease = _lease(bucket)
    with pytest.raises(LockError, match=r"^abc is not the current lock; the current one is lock theirs0+1"):
        lease.force_unlock("abc")
    assert NAME in bucket.objects
    info = lease.force_unlock("theirs000001")
    assert info.id == "theirs000001" and NAME not in bucket.objects
    assert ("delete", {"if_generation_match": generation, "retry": None}) in bucket.calls
    with pytest.raises(LockError, match=f"^no lock is held on gs://{BUCKET}/{NAME}$"):
        lease.force_unlock("theirs000001")


def test_a_delete_fails_loudly_except_when_gone_or_moved(bucket):
    lease = _lease(bucket)
    lease._delete(7)  # gone already (404)
    bucket.put(NAME, _other())
    lease._delete(7)  # someone else's generation (412)
    assert NAME in bucket.objects
    bucket.before["delete"].append(lambda: (_ for _ in ()).throw(_fail(403)))
    with pytest.raises(ApiErrorException, match="403"):
        lease._delete(bucket.objects[NAME][1])


# -- the lease itself ----------------------------------------------------------------------------
def test_a_lease_is_expired_from_its_expiry_on():
    assert LockInfo(**_other(expires_in=timedelta(seconds=-1))).expired
    assert not LockInfo(**_other(expires_in=timedelta(minutes=1))).expired


def test_a_holder_is_gone_only_when_it_ran_here_and_its_process_is_no_more(monkeypatch):
    here = socket.gethostname()
    assert LockInfo(**_other(host=here, pid=_dead_pid())).holder_gone
    assert not LockInfo(**_other(host=here, pid=os.getpid())).holder_gone
    assert not LockInfo(**_other(host="elsewhere", pid=_dead_pid())).holder_gone
    assert not LockInfo(**_other(host=here, pid=0)).holder_gone

    def denied(pid, signal):
        raise PermissionError

    monkeypatch.setattr(lock_module.os, "kill", denied)
    assert not LockInfo(**_other(host=here, pid=12345)).holder_gone  # alive, someone else's


def test_a_lease_describes_itself():
    info = LockInfo(
        "abc", "me@host pid 1", "restore", "2026-12-04T10:00:00+00:00", "2026-12-04T10:15:00+00:00"
    )
    assert info.describe() == (
        "lock abc held by me@host pid 1 for restore since 2026-12-04T10:00:00+00:00"
        " (expires 2026-12-04T10:15:00+00:00)"
    )


def test_the_holder_names_user_machine_or_job_and_process(monkeypatch):
    monkeypatch.setattr(lock_module.getpass, "getuser", lambda: "alice")
    monkeypatch.delenv("CLOUD_RUN_JOB", raising=False)
    assert default_holder() == f"alice@{socket.gethostname()} pid {os.getpid()}"
    monkeypatch.setenv("CLOUD_RUN_JOB", "digitwin-drift")
    assert default_holder() == f"alice@cloud-run-job digitwin-drift pid {os.getpid()}"

    def no_login():
        raise KeyError("no user")

    monkeypatch.setattr(lock_module.getpass, "getuser", no_login)
    assert default_holder().startswith("unknown@cloud-run-job")


def test_the_environment_s_lock_lives_in_its_state_bucket(monkeypatch):
    storage = Storage(Bucket())
    retry = RetryPolicy()
    ctx = SimpleNamespace(
        env="staging",
        project="p-staging",
        retry=retry,
        spec=SimpleNamespace(bucket_name=lambda purpose: f"b-{purpose}"),
        clients=SimpleNamespace(storage=lambda project: storage if project == "p-staging" else None),
    )
    monkeypatch.setattr(lock_module, "default_holder", lambda: "someone")
    lease = environment_lock(ctx)
    assert (lease.client, lease.bucket_name, lease.name, lease.retry) == (
        storage,
        "b-state",
        "locks/staging.json",
        retry,
    )
    assert lease.ttl == timedelta(minutes=15) and lease.holder == "someone"
    lease._blob()
    assert storage.asked == ["b-state"]
    assert isinstance(LeaseLock(storage, "b", "dev").retry, RetryPolicy)
