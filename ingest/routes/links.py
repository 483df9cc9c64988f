"""`POST /v1/links` (secret key): mint a tracked click URL and open pixel for a recipient."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ingest.auth import require_secret_key
from ingest.body import json_body
from ingest.errors import BadInput
from ingest.links import mint_links
from ingest.responses import FastJSON

__all__ = ["router"]

router = APIRouter()


@router.post("/v1/links", response_class=FastJSON, dependencies=[Depends(require_secret_key)])
async def create_links(request: Request) -> dict[str, Any]:
    """`{"url", "email", "campaign"?, "expires_in_days"?}` -> `{"click_url", "open_url"}`."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadInput("body: must be a JSON object", field="body")
    unknown = sorted(set(body) - {"url", "email", "campaign", "expires_in_days"})
    if unknown:
        raise BadInput(f"{unknown[0]}: unknown field", field=unknown[0])
    try:
        return mint_links(
            request.app.state.settings,
            request.app.state.config,
            body.get("url"),  # type: ignore[arg-type]  # checked inside, with the field named
            body.get("email"),  # type: ignore[arg-type]
            body.get("campaign"),
            body.get("expires_in_days"),
        )
    except ValueError as exc:
        field = str(exc).split(":", 1)[0]
        raise BadInput(str(exc), field=field) from exc
