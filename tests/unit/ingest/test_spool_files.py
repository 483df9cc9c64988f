"""The spool's files: appends are durable, replay is ordered, torn tails are cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import SpoolFull
from ingest.spool import Spool


async def test_records_come_back_in_order_and_commits_survive_reopening(tmp_path: Path) -> None:
    """Read returns append order; a commit's position holds after close and reopen."""
    spool = Spool(tmp_path, 1_000_000)
    spool.open()
    await spool.append([(b"k", f"v{i}".encode()) for i in range(5)])
    await spool.append([(b"k", b"v5")])
    assert [v for _, v in spool.read(3)] == [b"v0", b"v1", b"v2"]
    spool.commit(3)
    await spool.close()

    again = Spool(tmp_path, 1_000_000)
    again.open()
    assert again.events == 3
    assert [v for _, v in again.read(10)] == [b"v3", b"v4", b"v5"]
    again.commit(3)
    assert again.empty
    await again.close()


async def test_a_torn_tail_is_cut_off_at_open(tmp_path: Path) -> None:
    """Half a frame at the end (a crash mid-append) is dropped; whole frames stay."""
    spool = Spool(tmp_path, 1_000_000)
    spool.open()
    await spool.append([(b"k", b"whole")])
    segment = next(spool.directory.glob("seg-*.log"))
    await spool.close()
    with segment.open("ab") as handle:
        handle.write(b"\x00\x00\x00\x40garbage")
    again = Spool(tmp_path, 1_000_000)
    again.open()
    assert [v for _, v in again.read(10)] == [b"whole"]
    await again.close()


async def test_a_full_spool_refuses_the_whole_append(tmp_path: Path) -> None:
    """Past max_bytes an append raises SpoolFull and writes nothing."""
    spool = Spool(tmp_path, 200)
    spool.open()
    await spool.append([(b"k", b"x" * 100)])
    with pytest.raises(SpoolFull):
        await spool.append([(b"k", b"y" * 10), (b"k", b"z" * 100)])
    assert spool.events == 1
    await spool.close()


async def test_two_processes_never_share_a_slot(tmp_path: Path) -> None:
    """A second spool on the same root takes the next slot directory."""
    first, second = Spool(tmp_path, 1000), Spool(tmp_path, 1000)
    first.open()
    second.open()
    assert first.directory != second.directory
    await first.close()
    await second.close()


async def test_a_slot_left_by_a_gone_worker_is_adopted(tmp_path: Path) -> None:
    """Events in a slot no process holds are taken over, in order, by the next spool."""
    first, second = Spool(tmp_path, 10_000), Spool(tmp_path, 10_000)
    first.open()
    second.open()
    await second.append([(b"k", b"orphan-1"), (b"k", b"orphan-2")])
    await first.close()
    await second.close()  # the second worker is gone; its slot holds two events

    survivor = Spool(tmp_path, 10_000)
    survivor.open()
    assert [v for _, v in survivor.read(10)] == [b"orphan-1", b"orphan-2"]
    survivor.commit(2)
    await survivor.close()
    again = Spool(tmp_path, 10_000)
    again.open()
    assert again.empty
    await again.close()


async def test_events_spooled_after_a_restart_on_a_replayed_spool_survive_the_next(
    tmp_path: Path,
) -> None:
    """Ingest killed twice during one broker outage: the spool was replayed to its end, the
    restarted process spooled new events, and died before replaying them. The next one
    finds every new event, none cut or skipped."""
    first = Spool(tmp_path, 1_000_000)
    first.open()
    await first.append([(b"k", b"replayed")])
    assert first.read(1) == [(b"k", b"replayed")]
    first.commit(1)
    await first.close()

    second = Spool(tmp_path, 1_000_000)
    second.open()
    assert second.empty
    await second.append([(b"k", f"new{i}".encode()) for i in range(3)])
    await second.close()

    third = Spool(tmp_path, 1_000_000)
    third.open()
    assert [v for _, v in third.read(10)] == [b"new0", b"new1", b"new2"]
    await third.close()
