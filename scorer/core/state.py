"""A lead's state as the scorer keeps it in Valkey: one compact JSON value per lead,
compressed (`state_codec`); a long-lived lead's older steps apart (`state_layout`).

Times are UTC epoch seconds (floats). Per score model, engagement is kept per rule as a value
at the lead's anchor time (see `decay`), so the breakdown always sums to the score.

The states are msgspec structs: a field still at its default is left out of the stored JSON
(most of a lead's fields, most of the time), and a stored value is decoded straight into
the struct.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import orjson

from scorer.core.state_codec import pack, unpack

__all__ = ["NEVER", "AccountTouch", "LeadState", "ModelState"]

# `omit_defaults` leaves a field out only when it holds the default object itself, not an
# equal float (decoded, from config, or computed): `__post_init__` puts those defaults back.
NEVER = 0.0
HALF_LIFE_DAYS = 30.0


def field(*, default_factory: Any) -> Any:
    return msgspec.field(default_factory=default_factory)


class ModelState(msgspec.Struct, omit_defaults=True):
    anchor: float
    half_life_days: float = HALF_LIFE_DAYS
    # rule -> [value at anchor, last time it scored]
    engagement: dict[str, list[float]] = field(default_factory=dict)
    # rule -> {period bucket -> points awarded in it}
    caps: dict[str, dict[str, float]] = field(default_factory=dict)
    # fit rule -> points (no decay)
    fit: dict[str, float] = field(default_factory=dict)
    fit_at: float = NEVER

    def __post_init__(self) -> None:
        if self.half_life_days == HALF_LIFE_DAYS:
            self.half_life_days = HALF_LIFE_DAYS
        if self.fit_at == NEVER:
            self.fit_at = NEVER


class LeadState(msgspec.Struct, omit_defaults=True, dict=True):
    lead_id: str
    created: float
    stage: str = "visitor"
    stage_at: float = 0.0
    keys: list[str] = field(default_factory=list)
    email: str | None = None
    # stage entries (`steps.Entry`): [stage, at, reason, trigger, source, campaign, ...]
    history: list[list[Any]] = field(default_factory=list)
    last_seen: float = 0.0
    last_page: float | None = None
    traits: dict[str, Any] = field(default_factory=dict)
    account: str | None = None
    # the account's traits from `group` (scorer.handlers.account_info), and when they were told
    account_traits: dict[str, Any] = field(default_factory=dict)
    account_at: float = NEVER
    owner: str | None = None
    verified: bool = False
    models: dict[str, ModelState] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    consideration: dict[str, int] = field(default_factory=dict)
    last_consideration: str | None = None
    paused_until: float | None = None
    lost: bool = False
    lost_returned: bool = False
    visits_since_lost: list[float] = field(default_factory=list)
    sla_member: str | None = None
    alerts: list[list[Any]] = field(default_factory=list)  # [type, alert_id, at]
    # when this person last told its account's scorer it engaged (at most once a day)
    touched_at: float | None = None
    # every event's stage-relevant record, in event-time order (`steps.Step`)
    steps: list[list[Any]] = field(default_factory=list)
    # a fast-pass event taken while anonymous, counted when the lead is identified
    held: str | None = None
    # where the list index (`lead_index.list_lead`) holds the lead on this partition
    listed: str | None = None
    # the account whose people (`PartitionKeys.account`) list the lead: written when saved
    # under another account, so a save under the same one writes no membership again
    member_of: str | None = None
    # what the last lead change for CRM connectors carried (`crm_changes`)
    crm: list[Any] | None = None
    # the live model's prediction as of the lead's last change (`scorer.core.conversion.live`)
    prediction: dict[str, Any] | None = None
    # what that prediction was made on: [version, stage, traits digest, changes since]
    predicted: list[Any] | None = None
    # the decisions (their times) whose horizon passed without an outcome (`conversion`)
    horizon_closed: list[float] = field(default_factory=list)
    # the examples this lead has on the outcomes topic: [id, digest, model] (`published`)
    examples: list[list[Any]] = field(default_factory=list)
    # how many example messages this lead (and those merged into it) published
    example_rev: int = 0

    def __post_init__(self) -> None:
        if self.account_at == NEVER:
            self.account_at = NEVER

    def dumps(self) -> bytes:
        return _ENCODER.encode(self)

    def stored(self) -> bytes:
        """As Valkey keeps it: the JSON, compressed."""
        return pack(_ENCODER.encode(self))

    @classmethod
    def loads(cls, raw: bytes | str) -> LeadState:
        """A state from its JSON, or as Valkey keeps it."""
        raw = unpack(raw)
        try:
            return _DECODER.decode(raw)
        except msgspec.ValidationError:
            return cls._loads_legacy(raw)

    @classmethod
    def _loads_legacy(cls, raw: bytes | str) -> LeadState:
        """A state stored before merges kept every closed horizon (one time, or none)."""
        data = orjson.loads(raw)
        closed = data.get("horizon_closed")
        if not isinstance(closed, list):
            data["horizon_closed"] = [] if closed is None else [closed]
        return msgspec.convert(data, cls)


@dataclass(slots=True)
class AccountTouch:
    """What an account's scorer learns about one engaged person."""

    account: str
    lead_id: str
    at: float
    summary: dict[str, Any]


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(LeadState)
