"""The read API (secret key): leads, accounts, funnel; forgetting a person.

Reads go through `scorer.read.store` (read-only). Forgetting publishes a `forget` event keyed to
the person's lead, so the scorer owning it deletes state, identities and timeline in order
with the person's other events, and puts every identity on the suppression list.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from ingest.auth import require_secret_key
from ingest.errors import BadInput, IngestError
from leadpulse.kernel.messages import Forget, payload
from leadpulse.kernel.schema import STAGES, EventEnvelope, Identity
from scorer.read import store

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(require_secret_key)])

DEFAULT_FUNNEL_DAYS = 30
_IDENTITY_FIELDS = {
    "user": "user_id",
    "email": "email",
    "crm": "crm_lead_id",
    "anon": "anonymous_id",
}


class NotFound(IngestError):
    status = 404
    code = "not_found"


def _redis(request: Request) -> Any:
    return request.app.state.redis


@router.get("/v1/leads/{lead_ref}")
async def get_lead(request: Request, lead_ref: str) -> dict[str, Any]:
    """A lead by lead id or email."""
    lead = await store.get_lead(_redis(request), lead_ref)
    if lead is None:
        raise NotFound("no such lead", field="id")
    return lead


@router.get("/v1/leads")
async def list_leads(
    request: Request,
    stage: str | None = None,
    min_score: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    account: str | None = None,
    consideration: str | None = None,
    sort: str = "score",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    min_p_convert: Annotated[float | None, Query(ge=0, le=1, allow_inf_nan=False)] = None,
) -> dict[str, Any]:
    """Leads filtered by stage, score, account, consideration stage or p_convert; paged."""
    if stage is not None and stage not in STAGES:
        raise BadInput(f"stage must be one of {', '.join(STAGES)}", field="stage")
    if consideration is not None and consideration not in ("early", "mid", "late"):
        raise BadInput("consideration must be early, mid or late", field="consideration")
    if sort not in store.SORTS:
        raise BadInput(f"sort must be one of {', '.join(store.SORTS)}", field="sort")
    return await store.list_leads(
        _redis(request),
        stage=stage,
        min_score=min_score,
        account=account,
        consideration=consideration,
        sort=sort,
        offset=offset,
        limit=limit,
        min_p_convert=min_p_convert,
    )


@router.get("/v1/accounts/{account_id}")
async def get_account(request: Request, account_id: str) -> dict[str, Any]:
    """An account: score, people, buying group."""
    account = await store.get_account(_redis(request), account_id)
    if account is None:
        raise NotFound("no such account", field="id")
    return account


def _date(value: str | None, name: str, default: date) -> date:
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{name} must be an ISO date (YYYY-MM-DD)", field=name) from None


@router.get("/v1/funnel")
async def get_funnel(
    request: Request,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    by: str | None = None,
    period: str | None = None,
) -> dict[str, Any]:
    """Flow, balance and conversions per stage for [from, to] (default: the last 30 days)."""
    today = datetime.now(UTC).date()
    end = _date(to, "to", today)
    start = _date(from_, "from", end - timedelta(days=DEFAULT_FUNNEL_DAYS - 1))
    if start > end:
        raise BadInput("from must not be after to", field="from")
    if by not in (None, "channel", "campaign"):
        raise BadInput("by must be channel or campaign", field="by")
    if period not in (None, "day", "week", "month"):
        raise BadInput("period must be day, week or month", field="period")
    return await store.get_funnel(_redis(request), start=start, end=end, by=by, period=period)


@router.delete("/v1/leads/{lead_ref}", status_code=202)
async def forget_lead(request: Request, lead_ref: str) -> JSONResponse:
    """Forget a person: state, identities, timeline; later events from them are dropped."""
    target = await store.lead_identities(_redis(request), lead_ref)
    if target is None:
        raise NotFound("no such lead", field="id")
    routing_key, identities = target
    kind, _, value = routing_key.partition(":")
    now = datetime.now(UTC)
    event = EventEnvelope(
        event_id=f"forget-{uuid.uuid4().hex}",
        type="forget",
        source="api",
        identity=Identity.model_validate({_IDENTITY_FIELDS.get(kind, "anonymous_id"): value}),
        timestamp=now,
        received_at=now,
        control=payload(Forget(identities=tuple(identities))),
    )
    await request.app.state.publisher.publish(event)
    return JSONResponse({"status": "forgetting", "identities": len(identities)}, status_code=202)
