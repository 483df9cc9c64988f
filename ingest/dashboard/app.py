"""The dashboard as its own FastAPI app, mounted by ingest at `/dashboard`.

It reads only through the read facades (`scorer.read.facade`, `router.read`) with the Valkey
client ingest already holds, and every page but the login form sits behind one login
dependency. It shares ingest's state (settings, config, the Valkey client its lifespan
opens), so it opens no client of its own.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ingest.dashboard import account_view, alerts_view, lead_views, login, model_view, views
from ingest.dashboard.session import LoginRequired, require_login
from ingest.errors import install_error_handlers

__all__ = ["PAGES", "PREFIX", "create_dashboard", "mount"]

PREFIX = "/dashboard"
# Every page behind the login (all but the login form, login and logout).
PAGES = tuple(
    module.router for module in (views, lead_views, account_view, alerts_view, model_view)
)


async def _not_logged_in(request: Request, _exc: Exception) -> Response:
    if request.url.path.endswith(".json"):
        return JSONResponse(
            {"error": {"code": "unauthorized", "message": "log in first"}}, status_code=401
        )
    return RedirectResponse(login.LOGIN_URL, status_code=303)


def create_dashboard() -> FastAPI:
    """The dashboard app; its state is given by whoever mounts it (`mount`)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    # Ingest's answers for a missing page or a bug (counted in its metrics), as before.
    install_error_handlers(app)
    app.add_exception_handler(LoginRequired, _not_logged_in)
    app.include_router(login.router)
    for pages in PAGES:
        app.include_router(pages, dependencies=[Depends(require_login)])
    return app


class _Bare:
    """`/dashboard` itself, served as the dashboard's `/` (a mount matches only below it)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path", "") + PREFIX
        path = scope["path"] + "/"
        inner = {**scope, "root_path": root, "path": path, "raw_path": path.encode()}
        await self._app(inner, receive, send)


def mount(parent: FastAPI) -> FastAPI:
    """Mount a new dashboard on `parent` at `/dashboard`, sharing `parent`'s state."""
    dashboard = create_dashboard()
    dashboard.state = parent.state
    parent.mount(PREFIX, dashboard)
    parent.router.routes.append(Route(PREFIX, _Bare(dashboard), include_in_schema=False))
    return dashboard
