"""Edits of one shared document made together are written together, and fail alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from provisioner.engine.group_commit import GroupCommit


def test_edits_arriving_while_a_write_is_under_way_go_out_together_in_the_next_one():
    writes: list[list[str]] = []
    first_write_started = threading.Event()
    release_first_write = threading.Event()

    def write(edits: list[str]) -> None:
        writes.append(list(edits))
        if len(writes) == 1:
            first_write_started.set()
            release_first_write.wait(5)

    commit: GroupCommit[str] = GroupCommit(write)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(commit.submit, "a")
        assert first_write_started.wait(5)
        later = [pool.submit(commit.submit, name) for name in "bcdef"]
        while len(commit._pending) < 5:  # all five queued behind the first write
            threading.Event().wait(0.01)
        release_first_write.set()
        for future in [first, *later]:
            future.result(timeout=5)

    assert writes == [["a"], ["b", "c", "d", "e", "f"]]


def test_a_bad_edit_fails_only_the_change_that_made_it():
    written: list[str] = []

    def write(edits: list[str]) -> None:
        if "bad" in edits:
            raise ValueError("the API refused the whole policy")
        written.extend(edits)

    commit: GroupCommit[str] = GroupCommit(write)
    commit._pending = []
    gate = threading.Lock()
    with gate:
        # Hold the writer so the three edits queue up and go out as one batch.
        commit._writer.acquire()
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {name: pool.submit(commit.submit, name) for name in ("good", "bad", "fine")}
            while len(commit._pending) < 3:
                threading.Event().wait(0.01)
            commit._writer.release()
            assert futures["good"].result(timeout=5) is None
            assert futures["fine"].result(timeout=5) is None
            with pytest.raises(ValueError, match="refused"):
                futures["bad"].result(timeout=5)
    assert sorted(written) == ["fine", "good"]
