"""The local alert inbox of `leadpulse dev` (`/inbox`): receives and verifies webhooks."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
