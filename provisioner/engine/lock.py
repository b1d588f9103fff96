"""One writer per environment: a lease held as an object in the provisioner's bucket.

The lock is an object created only if absent (`ifGenerationMatch=0`), holding who took it,
when, and until when. A holder renews its lease while it works, so a long apply keeps it;
a crashed holder stops renewing and its lease expires, so it blocks nobody for long. An
expired lease is taken over by deleting exactly the generation that was read, so two
processes can never both believe they hold it. `force-unlock LOCK_ID` exists for the rest.

The lock lives in the environment's state bucket, which the very first apply has to make:
an apply creates that bucket as the first thing it writes (a create is atomic: whoever
loses the race gets 409 and uses the bucket the winner made) and takes the lock in it
before anything else, so of first applies started together only the one holding the lock
writes anything beyond that bucket.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from provisioner.engine.retry import RetryPolicy
from provisioner.google.errors import classify

if TYPE_CHECKING:
    from provisioner.engine.kind import Kind
    from provisioner.engine.resource import Resource

log = logging.getLogger("provisioner.engine.lock")

#: What taking, renewing (an overwrite) and releasing the lock call on its object.
PERMISSIONS = ("storage.objects.create", "storage.objects.get", "storage.objects.delete")


@dataclass(frozen=True)
class LockInfo:
    id: str
    holder: str
    operation: str
    created: str
    expires: str
    host: str = ""
    pid: int = 0

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires) <= datetime.now(UTC)

    @property
    def holder_gone(self) -> bool:
        """The holder ran on this machine and its process no longer exists (it was killed)."""
        if not self.pid or self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        return (
            f"lock {self.id} held by {self.holder} for {self.operation}"
            f" since {self.created} (expires {self.expires})"
        )


class LockHeld(Exception):
    def __init__(self, info: LockInfo, bucket: str, name: str) -> None:
        super().__init__(
            f"another {info.operation} holds the lock on this environment: {info.describe()}.\n"
            f"Wait for it (--lock-timeout SECONDS), or if that process is gone for good:"
            f" python -m provisioner force-unlock {info.id} --env ...  (gs://{bucket}/{name})"
        )
        self.info = info


class LockError(Exception):
    pass


def default_holder() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    job = os.environ.get("CLOUD_RUN_JOB")
    where = f"cloud-run-job {job}" if job else socket.gethostname()
    return f"{user}@{where} pid {os.getpid()}"


def _status(exc: BaseException) -> int | None:
    err = classify(exc)
    return err.status if err else None


def lock_bucket(ctx: Any) -> str:
    """The bucket the environment's lock lives in: its state bucket."""
    return str(ctx.spec.bucket_name("state"))


def environment_lock(ctx: Any, home: Callable[[], tuple[Kind, Resource] | None] | None = None) -> LeaseLock:
    """The one lock of the environment `ctx` works on, kept in that environment's state bucket.

    With `home` (which finds the kind and desired resource of that bucket), a missing bucket
    is created before the lock is taken in it, as `Kind.standalone` allows it to be made before
    what it depends on; without, or when the spec has no such bucket, a `LockError`.
    """
    make_home = None
    if home is not None:
        find_home = home

        def make_home() -> bool:
            found = find_home()
            if found is None:
                raise LockError(f"the state bucket gs://{lock_bucket(ctx)} does not exist")
            return _make_home(ctx, *found)

    return LeaseLock(
        ctx.clients.storage(ctx.project), lock_bucket(ctx), ctx.env, retry=ctx.retry, make_home=make_home
    )


def _make_home(ctx: Any, kind: Kind, resource: Resource) -> bool:
    """Create the lock's bucket; a 409 means another writer made it first, which is as good.

    True when this call made it: then no other writer can have held a lock in it before us.
    """
    from provisioner.engine.operations import wait_for

    try:
        wait_for(kind.create(kind.standalone(resource)), ctx.retry, kind.poll_schedule.scaled(ctx.poll_scale))
    except Exception as exc:
        err = classify(exc)
        if err is None or not err.conflict:
            raise
        return False
    log.warning("created the state bucket gs://%s to hold the lock of this first apply", resource.name)
    return True


class LeaseLock:
    def __init__(
        self,
        storage_client: Any,
        bucket: str,
        env: str,
        retry: RetryPolicy | None = None,
        ttl: timedelta = timedelta(minutes=15),
        holder: str | None = None,
        make_home: Callable[[], bool] | None = None,
    ) -> None:
        self.client = storage_client
        self.bucket_name = bucket
        self.name = f"locks/{env}.json"
        self.retry = retry or RetryPolicy()
        self.ttl = ttl
        self.holder = holder or default_holder()
        self.info: LockInfo | None = None
        self._generation: int | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._lock = threading.Lock()
        self._make_home = make_home
        self._home_tried = False
        #: This apply made the lock's bucket and took the lock at its first try: no other
        #: writer can have held the lock, so nothing can have moved since this apply read.
        self.first_writer = False

    def _blob(self) -> Any:
        return self.client.bucket(self.bucket_name).blob(self.name)

    # -- reading ---------------------------------------------------------------------
    def current(self) -> tuple[LockInfo, int] | None:
        blob = self._blob()
        try:
            data = self.retry.call(blob.download_as_bytes, retry=None)
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise
        fields = {k: v for k, v in json.loads(data).items() if k in LockInfo.__dataclass_fields__}
        info = LockInfo(**fields)
        return info, int(blob.generation)

    # -- taking ----------------------------------------------------------------------
    def acquire(
        self, operation: str, timeout: float = 0.0, poll: float = 2.0, home_first: bool = False
    ) -> LockInfo:
        """Take the lock; with `home_first` (the caller saw no bucket), make the bucket before
        trying, rather than after a first try answered 404."""
        deadline = time.monotonic() + timeout
        now = datetime.now(UTC)
        mine = LockInfo(
            id=uuid.uuid4().hex[:12],
            holder=self.holder,
            operation=operation,
            created=now.isoformat(timespec="seconds"),
            expires=(now + self.ttl).isoformat(timespec="seconds"),
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        made_home = False
        if home_first and self._make_home is not None:
            self._home_tried = True
            made_home = self._make_home()
        attempts = 0
        while True:
            try:
                created = self._create(mine)
            except LockError:
                if self._make_home is None or self._home_tried:
                    raise
                self._home_tried = True
                made_home = self._make_home()
                continue
            attempts += 1
            if created:
                self.info = mine
                self.first_writer = made_home and attempts == 1
                self._start_renewing()
                return mine
            found = self.current()
            if found is None:
                continue  # released between our create and our read
            info, generation = found
            if info.id == mine.id:  # our create landed but its answer was lost
                self.info, self._generation = mine, generation
                self.first_writer = made_home and attempts == 1
                self._start_renewing()
                return mine
            if info.expired or info.holder_gone:
                why = "expired" if info.expired else "whose process is gone"
                log.warning("taking over a lease %s: %s", why, info.describe())
                self._delete(generation)
                continue
            if time.monotonic() >= deadline:
                raise LockHeld(info, self.bucket_name, self.name)
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    def _create(self, info: LockInfo) -> bool:
        blob = self._blob()
        payload = json.dumps(asdict(info))
        try:
            self.retry.call(
                blob.upload_from_string,
                payload,
                content_type="application/json",
                if_generation_match=0,
                retry=None,
            )
        except Exception as exc:
            if _status(exc) == 412:
                return False
            if _status(exc) == 404:
                raise LockError(f"the state bucket gs://{self.bucket_name} does not exist") from exc
            raise
        self._generation = int(blob.generation)
        return True

    def _delete(self, generation: int) -> None:
        try:
            self.retry.call(self._blob().delete, if_generation_match=generation, retry=None)
        except Exception as exc:
            if _status(exc) not in (404, 412):  # gone already, or someone else moved first
                raise

    # -- keeping ---------------------------------------------------------------------
    def _start_renewing(self) -> None:
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew_loop, name="lock-renewer", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                self.renew()
            except Exception as exc:  # a missed renewal is retried next time; expiry is the backstop
                log.warning("could not renew the lock: %s", classify(exc) or exc)

    def renew(self) -> None:
        with self._lock:
            if self.info is None or self._generation is None:
                return
            now = datetime.now(UTC)
            renewed = LockInfo(
                **{**asdict(self.info), "expires": (now + self.ttl).isoformat(timespec="seconds")}
            )
            blob = self._blob()
            self.retry.call(
                blob.upload_from_string,
                json.dumps(asdict(renewed)),
                content_type="application/json",
                if_generation_match=self._generation,
                retry=None,
            )
            self.info, self._generation = renewed, int(blob.generation)

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        with self._lock:
            if self._generation is not None:
                self._delete(self._generation)
            self.info, self._generation = None, None

    def force_unlock(self, lock_id: str) -> LockInfo:
        found = self.current()
        if found is None:
            raise LockError(f"no lock is held on gs://{self.bucket_name}/{self.name}")
        info, generation = found
        if info.id != lock_id:
            raise LockError(f"{lock_id} is not the current lock; the current one is {info.describe()}")
        self._delete(generation)
        return info
