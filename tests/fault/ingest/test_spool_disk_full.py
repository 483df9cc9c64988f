"""A disk that fills mid-append: the failed append is refused whole and leaves no bytes
behind, so what is appended after the disk has room again is replayed too (a small real
tmpfs, mounted for the test; the suite runs as root, as `make test` does)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.errors import SpoolFull
from ingest.spool import Spool


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        # Lazy: detached even if a failed test left a file open on it.
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(disk: Path) -> Path:
    """Fill the filesystem to its last byte; the next write gets ENOSPC."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (65536, 4096, 1):  # tmpfs allocates pages: end byte by byte
            with contextlib.suppress(OSError):
                while True:
                    out.write(b"\0" * chunk)
    return filler


async def test_an_append_refused_on_a_full_disk_leaves_nothing_that_blocks_replay(
    small_disk: Path,
) -> None:
    spool = Spool(small_disk / "spool", 10_000_000)
    spool.open()
    try:
        await spool.append([(b"k", b"before")])
        filler = _fill(small_disk)
        with pytest.raises(SpoolFull):
            await spool.append([(b"k", b"refused" * 2000)])
        filler.unlink()
        await spool.append([(b"k", b"after")])

        assert [value for _, value in spool.read(10)] == [b"before", b"after"]
        spool.commit(2)
        assert spool.empty
    finally:
        await spool.close()
