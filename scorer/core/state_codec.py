"""How a lead's state is kept in Valkey: its JSON, zstd-compressed against a fixed dictionary.

A state is one to a few kilobytes of JSON, written at almost every event, and most of it is
what every lead repeats: field names, stage names, rule names, times. A stored value starts
with a version byte naming its dictionary:

- `V2` (written now): zstd level 3 against `state_dictionary_v2.zstd`, trained by zstd on the
  states of the dev population (`bench/state_dictionary.py` says how, and what it saves). A
  trained dictionary carries entropy tables as well as content, which a value this small
  cannot pay for itself: about 20% fewer bytes than v1, and faster both ways.
- `V1`: zstd level 1 against `state_dictionary_v1.json`, a made-up lead that holds every
  field. Still read.
- A value that starts with "{" is a state stored as JSON by earlier versions, read as it is.

A dictionary never changes once values were written with it (a test holds each digest): a
new one comes with its own version byte, and the older values stay readable.
"""

from __future__ import annotations

import threading
from pathlib import Path

import zstandard

__all__ = ["DICTIONARY_V1", "DICTIONARY_V2", "LEVEL", "V1", "V2", "pack", "unpack"]

V1 = b"\x01"
V2 = b"\x02"
LEVEL = 3
_HERE = Path(__file__).parent
DICTIONARY_V1 = (_HERE / "state_dictionary_v1.json").read_bytes()
DICTIONARY_V2 = (_HERE / "state_dictionary_v2.zstd").read_bytes()
_V1 = zstandard.ZstdCompressionDict(DICTIONARY_V1, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
_V2 = zstandard.ZstdCompressionDict(DICTIONARY_V2, dict_type=zstandard.DICT_TYPE_FULLDICT)


class _Codecs(threading.local):
    """A compressor and the decompressors per thread: zstandard's are not thread-safe."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=_V2, write_checksum=False, write_dict_id=False
        )
        self.decompressors = {
            V1[0]: zstandard.ZstdDecompressor(dict_data=_V1),
            V2[0]: zstandard.ZstdDecompressor(dict_data=_V2),
        }


_CODECS = _Codecs()


def pack(state_json: bytes) -> bytes:
    """A state's JSON as Valkey keeps it."""
    return V2 + _CODECS.compressor.compress(state_json)


def unpack(stored: bytes | str) -> bytes | str:
    """The JSON of a stored state (a plain JSON one as it is)."""
    if isinstance(stored, bytes) and stored:
        decompressor = _CODECS.decompressors.get(stored[0])
        if decompressor is not None:
            return decompressor.decompress(memoryview(stored)[1:])
    return stored
