"""SQLite-backed state, shared by every service and by successive processes."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL, name TEXT NOT NULL, parent TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (kind, name));
CREATE INDEX IF NOT EXISTS resources_parent ON resources (kind, parent, name);
CREATE TABLE IF NOT EXISTS operations (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS operation_schedule (
    name TEXT PRIMARY KEY, done_at REAL NOT NULL, target TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS operation_schedule_due ON operation_schedule (done_at);
CREATE INDEX IF NOT EXISTS operation_schedule_target ON operation_schedule (target);
CREATE TABLE IF NOT EXISTS projects (project_id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, method_id TEXT, http_method TEXT NOT NULL,
    path TEXT NOT NULL, query TEXT NOT NULL, status INTEGER NOT NULL, ts REAL NOT NULL, body TEXT);
"""


class Store:
    """Resources, operations, projects and the request log, behind one lock.

    The lock is re-entrant so that a handler can hold it across several reads
    and writes and see a consistent state.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self.lock = threading.RLock()
        with self.lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(requests)")}
            if "body" not in columns:  # a state file written before the log kept bodies
                self._db.execute("ALTER TABLE requests ADD COLUMN body TEXT")

    def close(self) -> None:
        with self.lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # resources
    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute(
                "SELECT data FROM resources WHERE kind=? AND name=?", (kind, name)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, name: str, data: dict[str, Any], parent: str = "") -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO resources (kind, name, parent, data) VALUES (?, ?, ?, ?)",
                (kind, name, parent, json.dumps(data)),
            )

    def parent_of(self, kind: str, name: str) -> str | None:
        with self.lock:
            row = self._db.execute(
                "SELECT parent FROM resources WHERE kind=? AND name=?", (kind, name)
            ).fetchone()
        return row[0] if row else None

    def delete(self, kind: str, name: str) -> bool:
        with self.lock:
            cur = self._db.execute("DELETE FROM resources WHERE kind=? AND name=?", (kind, name))
        return cur.rowcount > 0

    def list(self, kind: str, parent: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            if parent is None:
                rows = self._db.execute("SELECT data FROM resources WHERE kind=? ORDER BY name", (kind,))
            else:
                rows = self._db.execute(
                    "SELECT data FROM resources WHERE kind=? AND parent=? ORDER BY name", (kind, parent)
                )
            return [json.loads(r[0]) for r in rows.fetchall()]

    def count(self, kind: str, parent: str) -> int:
        with self.lock:
            row = self._db.execute("SELECT COUNT(*) FROM resources WHERE kind=? AND parent=?", (kind, parent))
            return int(row.fetchone()[0])

    # operations
    def get_operation(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._db.execute("SELECT data FROM operations WHERE name=?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_operation(self, name: str, data: dict[str, Any]) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO operations (name, data) VALUES (?, ?)", (name, json.dumps(data))
            )

    def list_operations(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self._db.execute("SELECT data FROM operations ORDER BY name").fetchall()
        return [json.loads(r[0]) for r in rows]

    # operations not yet settled: when they finish and what they act on
    def schedule_operation(self, name: str, done_at: float, target: str = "") -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO operation_schedule (name, done_at, target) VALUES (?, ?, ?)",
                (name, done_at, target),
            )

    def unschedule_operation(self, name: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM operation_schedule WHERE name=?", (name,))

    def due_operations(self, now: float) -> list[str]:
        """Names of unsettled operations whose done time has passed, earliest first."""
        return self._scheduled("done_at <= ?", now)

    def scheduled_for(self, target: str) -> list[str]:
        """Names of unsettled operations acting on `target`, oldest first."""
        return self._scheduled("target=?", target)

    def _scheduled(self, condition: str, value: Any) -> list[str]:
        with self.lock:
            rows = self._db.execute(
                f"SELECT name FROM operation_schedule WHERE {condition} ORDER BY done_at, rowid", (value,)
            ).fetchall()
        return [r[0] for r in rows]

    # projects
    def add_project(self, project_id: str, number: str) -> None:
        with self.lock:
            self._db.execute(
                "INSERT OR IGNORE INTO projects (project_id, number) VALUES (?, ?)", (project_id, number)
            )

    def projects(self) -> dict[str, str]:
        with self.lock:
            return dict(
                self._db.execute("SELECT project_id, number FROM projects ORDER BY project_id").fetchall()
            )

    # request log
    def log_request(
        self,
        method_id: str | None,
        http_method: str,
        path: str,
        query: str,
        status: int,
        ts: float,
        body: str | None = None,
    ) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO requests (method_id, http_method, path, query, status, ts, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (method_id, http_method, path, query, status, ts, body),
            )

    def requests(self) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._db.execute(
                "SELECT seq, method_id, http_method, path, query, status, ts, body FROM requests ORDER BY seq"
            ).fetchall()

    def clear_requests(self) -> None:
        with self.lock:
            self._db.execute("DELETE FROM requests")

    # settings that outlive a process: how far tests moved the clock forward
    def setting(self, key: str, default: str) -> str:
        with self.lock:
            row = self._db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.lock:
            self._db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    def reset(self) -> None:
        """Forget every resource, operation and logged request; projects stay registered."""
        with self.lock:
            self._db.executescript(
                "DELETE FROM resources; DELETE FROM operations; DELETE FROM operation_schedule; "
                "DELETE FROM requests;"
            )
