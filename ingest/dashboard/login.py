"""The dashboard's login form, login and logout: the pages open without a session."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ingest.dashboard.layout import login_page
from ingest.dashboard.session import COOKIE, SESSION_HOURS, check_key, new_session

__all__ = ["LOGIN_URL", "router"]

LOGIN_URL = "/dashboard/login"

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
async def login_form() -> HTMLResponse:
    return HTMLResponse(login_page())


@router.post("/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    offered = (form.get("key") or [""])[0]
    if not offered or not check_key(request, offered):
        return HTMLResponse(login_page("That key is not the secret key."), status_code=401)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        new_session(request),
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
    )
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse(LOGIN_URL, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
