"""How a lead's state is kept in Valkey: its JSON, zstd-compressed against a fixed dictionary.

A state is about 1.4 KB of JSON, written at almost every event, and most of it is what every
lead repeats: field names, stage names, rule names, times. Compressed with zstd (level 1)
against `state_dictionary_v1.json`, a made-up lead that holds every field, it is about a
third of that: fewer bytes sent to Valkey and kept there.

A stored value starts with a version byte: `V1` (zstd, dictionary v1). A value that starts
with "{" is a state stored as JSON by earlier versions and reads as it is. The dictionary
never changes (a test holds its digest): another one would come with its own version byte,
and v1 values would stay readable.
"""

from __future__ import annotations

import threading
from pathlib import Path

import zstandard

__all__ = ["DICTIONARY_V1", "V1", "pack", "unpack"]

V1 = b"\x01"
LEVEL = 1
DICTIONARY_V1 = Path(__file__).with_name("state_dictionary_v1.json").read_bytes()
_DICTIONARY = zstandard.ZstdCompressionDict(DICTIONARY_V1, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


class _Codecs(threading.local):
    """A compressor and a decompressor per thread: zstandard's are not thread-safe."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=_DICTIONARY, write_checksum=False, write_dict_id=False
        )
        self.decompressor = zstandard.ZstdDecompressor(dict_data=_DICTIONARY)


_CODECS = _Codecs()


def pack(state_json: bytes) -> bytes:
    """A state's JSON as Valkey keeps it."""
    return V1 + _CODECS.compressor.compress(state_json)


def unpack(stored: bytes | str) -> bytes | str:
    """The JSON of a stored state (a plain JSON one as it is)."""
    if isinstance(stored, bytes) and stored[:1] == V1:
        return _CODECS.decompressor.decompress(memoryview(stored)[1:])
    return stored
