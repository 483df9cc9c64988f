"""What the edge remembers about CRM notifications, in Valkey.

- Delivery ids (HubSpot `eventId`, Salesforce Notification `Id`) are claimed with
  `SET NX EX`: the first delivery goes on, a redelivery is acknowledged and dropped. A
  delivery whose outcomes could not be published releases its claims so the vendor's retry
  is processed. Kept three days, past both vendors' 24-hour redelivery.
- The newest outcome time per person and vendor is a one-member sorted set raised with
  `ZADD GT`, so an outcome older than one already taken (out-of-order delivery) is dropped
  instead of undoing the newer one. Equal times pass: a redelivery of the same change.
Outcome event ids are derived from the delivery ids too, so should all of this be lost, the
scorer's own event-id dedupe still applies each outcome once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import structlog

from ingest.errors import PublishUnavailable
from leadpulse.kernel.valkey import VALKEY_FAILED, Valkey

__all__ = ["claim_deliveries", "is_newest", "release_deliveries"]

log = structlog.get_logger(__name__)

_CLAIM_TTL_SECONDS = 3 * 24 * 3600
_ORDER_TTL_SECONDS = 7 * 24 * 3600


def _claim_key(vendor: str, delivery_id: str) -> str:
    return f"lp:edge:crm:{vendor}:seen:{delivery_id}"


async def claim_deliveries(redis: Valkey, vendor: str, ids: Sequence[str]) -> list[bool]:
    """For each id, whether this is its first delivery (now claimed)."""
    if not ids:
        return []
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for delivery_id in ids:
                pipe.set(_claim_key(vendor, delivery_id), b"1", nx=True, ex=_CLAIM_TTL_SECONDS)
            answers = await pipe.execute()
    except VALKEY_FAILED as exc:
        log.warning("crm_delivery_claim_unavailable", vendor=vendor, error=type(exc).__name__)
        raise PublishUnavailable("cannot check for redelivery now") from exc
    return [bool(answer) for answer in answers]


async def release_deliveries(redis: Valkey, vendor: str, ids: Sequence[str]) -> None:
    """Forget claims whose outcomes were not published, so the vendor's retry goes through."""
    if not ids:
        return
    try:
        await redis.delete(*[_claim_key(vendor, delivery_id) for delivery_id in ids])
    except VALKEY_FAILED as exc:
        log.warning("crm_delivery_claims_not_released", vendor=vendor, error=type(exc).__name__)


def _order_key(vendor: str, person: str) -> str:
    # A digest, not the address: keys show up in Valkey tooling and slow logs.
    digest = hashlib.sha256(person.lower().encode()).hexdigest()[:32]
    return f"lp:edge:crm:{vendor}:newest:{digest}"


async def is_newest(redis: Valkey, vendor: str, person: str, at_ms: int) -> bool:
    """Record `at_ms` as this person's newest outcome time unless a later one is known;
    False when a later one is (this outcome is out of order and must not apply)."""
    key = _order_key(vendor, person)
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {"t": at_ms}, gt=True)
            pipe.zscore(key, "t")
            pipe.expire(key, _ORDER_TTL_SECONDS)
            _, newest, _ = await pipe.execute()
    except VALKEY_FAILED as exc:
        log.warning("crm_order_check_unavailable", vendor=vendor, error=type(exc).__name__)
        raise PublishUnavailable("cannot check the order of CRM outcomes now") from exc
    return newest is None or float(newest) <= at_ms
