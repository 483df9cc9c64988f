"""An event as Kafka gets it: its encoded envelope and the identity keys it is filed under.

The batch path builds the envelope's JSON document directly and encodes it once, rather
than validating three pydantic models per event only to dump them again; the bytes are
the ones `leadpulse.kernel.schema.encode` gives for the same envelope (a unit test holds the two
together), so the scorer decodes them as `EventEnvelope` unchanged.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from leadpulse.kernel.schema import EventEnvelope, encode

__all__ = ["Outgoing", "encode_document"]


class Outgoing(NamedTuple):
    """One event ready to publish; `keys[0]`, the strongest identity, is its Kafka key.

    A named tuple: one is made per event, and a frozen dataclass costs twice as much.
    """

    keys: tuple[str, ...]
    value: bytes

    @property
    def key(self) -> str:
        return self.keys[0]

    @classmethod
    def of(cls, envelope: EventEnvelope) -> Outgoing:
        """An envelope built as a model (the one-event channels)."""
        envelope.identity.key()  # raises, as publishing it would, when there is no identity
        return cls(tuple(envelope.identity.keys()), encode(envelope))


def encode_document(document: dict[str, Any]) -> bytes:
    """An envelope document (no None fields, UTC datetimes) as `encode` writes the model.

    pydantic writes UTC datetimes with a `Z`; so does orjson with OPT_UTC_Z.
    """
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)
