"""The dashboard at `/dashboard`: funnel, leads, accounts, alerts and the model, for people."""

from fastapi import APIRouter

from ingest.dashboard import alerts_view, model_view, views

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(views.router)
router.include_router(alerts_view.router)
router.include_router(model_view.router)
