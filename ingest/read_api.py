"""The read API (secret key): leads, accounts, funnel; forgetting a person."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
