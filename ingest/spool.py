"""The local spool: append-only, fsynced files that hold events while the broker is away.

Layout: `<spool_path>/w<N>/` is one process's slot, held with an exclusive `flock` so two
workers never share one; inside, numbered segment files of frames and a `position` file
saying how far replay has got. A frame is `[length u32][crc32 u32][key length u32][key]
[value]`; a torn tail (a crash mid-append, never acknowledged) fails its length or CRC
check and is cut off at open. Appends from concurrent requests are group-committed: one
write and one fsync for all that arrived meanwhile, and each caller is answered only after
that fsync.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import structlog

from ingest.errors import SpoolFull
from ingest.metrics import SPOOL_BYTES, SPOOL_EVENTS

__all__ = ["Record", "Spool", "claim_slot"]

_HEADER = struct.Struct(">III")
_SEGMENT_BYTES = 16 * 1024 * 1024
_POSITION = "position"
_LOCK = "lock"

log = structlog.get_logger(__name__)

Record = tuple[bytes, bytes]  # (key, value)


def _frame(key: bytes, value: bytes) -> bytes:
    payload = key + value
    return _HEADER.pack(len(payload), zlib.crc32(payload), len(key)) + payload


def _read_frames(handle: BinaryIO, limit: int | None = None) -> tuple[list[Record], int]:
    """Whole, valid frames from the handle's position; returns them and the bytes used."""
    records: list[Record] = []
    used = 0
    while limit is None or len(records) < limit:
        header = handle.read(_HEADER.size)
        if len(header) < _HEADER.size:
            break
        length, crc, key_length = _HEADER.unpack(header)
        payload = handle.read(length)
        if len(payload) < length or zlib.crc32(payload) != crc or key_length > length:
            break
        records.append((payload[:key_length], payload[key_length:]))
        used += _HEADER.size + length
    return records, used


@dataclass
class _Segment:
    path: Path
    size: int
    events: int


@dataclass
class _Pending:
    records: list[Record]
    size: int
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _segment_number(name: str | None) -> int:
    """The number in `seg-00000042.log` (0 for none)."""
    return int(name[4:12]) if name else 0


def _lock(slot: Path) -> int | None:
    """Lock a slot directory for this process; None when another process holds it."""
    slot.mkdir(parents=True, exist_ok=True)
    fd = os.open(slot / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def claim_slot(root: Path) -> tuple[Path, int]:
    """Take the first free slot directory under `root`; returns it and its lock's fd."""
    for n in range(64):
        slot = root / f"w{n}"
        fd = _lock(slot)
        if fd is not None:
            return slot, fd
    raise RuntimeError(f"no free spool slot under {root}")


class Spool:
    """One slot's segments: append (fsynced), read from the replay position, commit.

    `open()` once, `close()` idempotently. Reading and committing belong to one replayer.
    """

    def __init__(self, root: Path, max_bytes: int) -> None:
        self._root = root
        self._max_bytes = max_bytes
        self._dir: Path | None = None
        self._lock_fd: int | None = None
        self._segments: list[_Segment] = []
        # The highest segment number this slot has used, kept or not: numbers are never
        # reused, so the position file can never name a newer segment than it means.
        self._last_number = 0
        self._read_offset = 0  # within self._segments[0]
        self._writer: BinaryIO | None = None
        self._pending: list[_Pending] = []
        self._pending_bytes = 0
        self._flusher: asyncio.Task[None] | None = None
        self._appended = asyncio.Event()
        self._refused = False
        self._closed = False

    @property
    def directory(self) -> Path:
        if self._dir is None:
            raise RuntimeError("spool is not open")
        return self._dir

    @property
    def events(self) -> int:
        """Events written and not yet replayed (pending appends not included)."""
        return sum(segment.events for segment in self._segments)

    @property
    def bytes(self) -> int:
        return sum(segment.size for segment in self._segments) - self._read_offset

    @property
    def accepting(self) -> bool:
        """False from an append refused (the spool full, or its disk) until a write succeeds
        or replay frees room."""
        return not self._refused

    @property
    def empty(self) -> bool:
        return self.events == 0 and not self._pending

    @property
    def appended(self) -> asyncio.Event:
        """Set after every append; the replayer clears it when it looks."""
        return self._appended

    def open(self) -> None:
        """Claim a slot, load what it holds, and take over slots no process holds any more."""
        if self._dir is not None:
            raise RuntimeError("spool already open")
        self._dir, self._lock_fd = claim_slot(self._root)
        self._load()
        self._adopt_orphans()
        self._update_gauges()
        if self._segments:
            log.info(
                "spool_found_events", events=self.events, bytes=self.bytes, slot=self._dir.name
            )

    def _load(self) -> None:
        name, offset = self._load_position()
        self._last_number = _segment_number(name)
        for path in sorted(self.directory.glob("seg-*.log")):
            self._last_number = max(self._last_number, _segment_number(path.name))
            if name is not None and path.name < name:
                path.unlink()
                continue
            self._segments.append(self._scan(path, offset if path.name == name else 0))
        if self._segments and self._segments[0].path.name == name:
            self._read_offset = offset
        self._drop_finished()

    def _adopt_orphans(self) -> None:
        """Copy the events of unlocked slots (a worker that is gone) into this one, fsynced.

        So a restart with fewer workers than before still replays every spooled event.
        """
        for slot in sorted(self._root.glob("w*")):
            if slot == self._dir or not slot.is_dir():
                continue
            fd = _lock(slot)
            if fd is None:
                continue
            orphan = Spool(self._root, self._max_bytes)
            orphan._dir, orphan._lock_fd = slot, fd
            try:
                orphan._load()
                adopted = 0
                while records := orphan.read(10_000):
                    self._write(records)
                    orphan.commit(len(records))
                    adopted += len(records)
                if adopted:
                    log.info("spool_orphan_adopted", slot=slot.name, events=adopted)
            finally:
                os.close(fd)
                orphan._lock_fd = None

    def _load_position(self) -> tuple[str | None, int]:
        path = self.directory / _POSITION
        if not path.exists():
            return None, 0
        name, _, offset = path.read_text(encoding="ascii").partition(" ")
        return (name or None), int(offset or 0)

    def _scan(self, path: Path, offset: int) -> _Segment:
        """Count the valid frames after `offset`; cut a torn tail off."""
        with path.open("r+b") as handle:
            _, valid = _read_frames(handle)
            size = path.stat().st_size
            if valid < size:
                log.warning("spool_torn_tail_truncated", segment=path.name, bytes=size - valid)
                handle.truncate(valid)
                os.fsync(handle.fileno())
            handle.seek(offset)
            records, _ = _read_frames(handle)
        return _Segment(path, valid, len(records))

    def _new_segment(self) -> BinaryIO:
        self._last_number += 1
        path = self.directory / f"seg-{self._last_number:08d}.log"
        handle = path.open("ab")
        self._segments.append(_Segment(path, 0, 0))
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new file's name must survive a crash too
        finally:
            os.close(dir_fd)
        return handle

    async def append(self, records: list[Record]) -> None:
        """Write records durably: returns only after fsync. Raises SpoolFull, all or none."""
        if self._closed or self._dir is None:
            raise RuntimeError("spool is not open")
        size = sum(_HEADER.size + len(key) + len(value) for key, value in records)
        if self.bytes + self._pending_bytes + size > self._max_bytes:
            self._refused = True
            raise SpoolFull(f"the local spool is full ({self._max_bytes} bytes)")
        pending = _Pending(records, size)
        self._pending.append(pending)
        self._pending_bytes += size
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="spool-flush")
        await asyncio.shield(pending.done)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._write, [r for p in batch for r in p.records])
            except OSError as exc:
                self._refused = True
                log.exception("spool_write_failed", error=type(exc).__name__)
                for pending in batch:
                    self._pending_bytes -= pending.size
                    pending.done.set_exception(SpoolFull("the local spool cannot be written"))
                continue
            self._refused = False
            for pending in batch:
                self._pending_bytes -= pending.size
                pending.done.set_result(None)
            self._update_gauges()
            self._appended.set()

    def _write(self, records: list[Record]) -> None:
        if self._writer is None or self._segments[-1].size >= _SEGMENT_BYTES:
            if self._writer is not None:
                self._writer.close()
            self._writer = self._new_segment()
        data = b"".join(_frame(key, value) for key, value in records)
        segment = self._segments[-1]
        try:
            self._writer.write(data)
            self._writer.flush()
            os.fsync(self._writer.fileno())
        except OSError:
            self._cut_back(segment)
            raise
        segment.size += len(data)
        segment.events += len(records)

    def _cut_back(self, segment: _Segment) -> None:
        """A failed append (disk full) may have left part of its frames in the file, or in
        the writer's buffer: cut both back to what was acknowledged, so the next frames
        follow whole ones and replay reads past them."""
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()
        os.truncate(segment.path, segment.size)
        self._writer = segment.path.open("ab")

    def read(self, limit: int) -> list[Record]:
        """Up to `limit` records from the replay position, in append order (not removed)."""
        records: list[Record] = []
        offset = self._read_offset
        # Only frames already counted: a frame being written right now is not read early.
        for segment in list(self._segments):
            wanted = min(limit - len(records), segment.events)
            if wanted <= 0:
                if len(records) >= limit:
                    break
                offset = 0
                continue
            with segment.path.open("rb") as handle:
                handle.seek(offset)
                found, _ = _read_frames(handle, wanted)
            records += found
            offset = 0
        return records

    def commit(self, count: int) -> None:
        """Mark the first `count` records read as delivered; persist the position."""
        while count and self._segments:
            segment = self._segments[0]
            with segment.path.open("rb") as handle:
                handle.seek(self._read_offset)
                found, used = _read_frames(handle, count)
            self._read_offset += used
            segment.events -= len(found)
            count -= len(found)
            if segment.events == 0 and not self._is_writing(segment):
                self._drop_finished()
            elif not found:
                break
        self._save_position()
        self._refused = False
        self._update_gauges()

    def _is_writing(self, segment: _Segment) -> bool:
        return self._writer is not None and segment is self._segments[-1]

    def _drop_finished(self) -> None:
        while (
            self._segments
            and self._segments[0].events == 0
            and not self._is_writing(self._segments[0])
        ):
            self._segments.pop(0).path.unlink(missing_ok=True)
            self._read_offset = 0

    def _save_position(self) -> None:
        name = self._segments[0].path.name if self._segments else ""
        tmp = self.directory / (_POSITION + ".tmp")
        with tmp.open("w", encoding="ascii") as handle:
            handle.write(f"{name} {self._read_offset if name else 0}")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.directory / _POSITION)

    def _update_gauges(self) -> None:
        SPOOL_BYTES.set(self.bytes)
        SPOOL_EVENTS.set(self.events)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
