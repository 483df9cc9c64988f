"""Serve the demo site's pages with the snippet tag, and the forms' thank-you page."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ingest.demo.pages import PAGES, Page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_NAV = [
    ("product", "Product"),
    ("pricing", "Pricing"),
    ("blog/five-trends-2027", "Blog"),
    ("research/state-of-ops", "Research"),
    ("case-studies/globex", "Customers"),
    ("careers", "Careers"),
]

_STYLE = """
:root{--ink:#14213d;--muted:#5c677d;--brand:#0b6e4f;--bg:#f7f8fa;--card:#fff}
*{box-sizing:border-box}body{margin:0;font:16px/1.55 system-ui,sans-serif;color:var(--ink);
background:var(--bg)}header,footer{background:var(--ink);color:#fff}
.wrap{max-width:960px;margin:0 auto;padding:0 24px}header .wrap{display:flex;gap:20px;
align-items:center;height:60px}header a{color:#dfe7f2;text-decoration:none}
header .logo{font-weight:700;color:#fff;margin-right:auto}main .wrap{padding:40px 24px}
.kicker{color:var(--brand);font-weight:600;text-transform:uppercase;font-size:13px;
letter-spacing:.06em}h1{font-size:34px;margin:6px 0 18px}.card{background:var(--card);
border-radius:10px;padding:20px;box-shadow:0 1px 3px rgba(20,33,61,.12)}
.plans{display:grid;grid-template-columns:repeat(3,1fr);gap:16px}.featured{outline:2px solid
var(--brand)}.price{font-size:26px;font-weight:700}.price span{font-size:14px;
color:var(--muted)}.form{display:grid;gap:12px;max-width:420px;margin-top:20px}
label{display:grid;gap:4px;font-size:14px;color:var(--muted)}input{font:inherit;padding:8px;
border:1px solid #c9d1dd;border-radius:6px}button,.button{background:var(--brand);color:#fff;
border:0;border-radius:6px;padding:10px 16px;font:inherit;cursor:pointer;
text-decoration:none;display:inline-block}.ghost{background:transparent;color:var(--brand);
outline:1px solid var(--brand)}footer .wrap{padding:24px;display:flex;gap:24px;
align-items:end;justify-content:space-between}footer form{display:flex;gap:8px}
footer input{min-width:240px}
"""

_NEWSLETTER = """
<form method="post" action="/demo/thanks" data-lp-form="newsletter">
  <input type="email" name="email" placeholder="you@company.com" required
         aria-label="Email for the newsletter">
  <button type="submit">Get the newsletter</button>
</form>"""


def _render(page: Page, write_key: str) -> str:
    nav = "".join(f'<a href="/demo/{path}">{label}</a>' for path, label in _NAV)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(page.title)} · Fieldline</title><style>{_STYLE}</style>
<script src="/lp.js" data-write-key="{escape(write_key)}" async></script></head>
<body><header><div class="wrap"><a class="logo" href="/demo/">Fieldline</a>{nav}
<a class="button" href="/demo/demo">Request a demo</a></div></header>
<main><div class="wrap"><div class="kicker">{escape(page.kicker)}</div>
<h1>{escape(page.title)}</h1>{page.body}</div></main>
<footer><div class="wrap"><div>Fieldline · a LeadPulse demo site</div>{_NEWSLETTER}</div>
</footer></body></html>"""


def _write_key(request: Request) -> str:
    return str(request.app.state.settings.require_secret("write_key"))


@router.get("/demo")
async def demo_root() -> RedirectResponse:
    return RedirectResponse("/demo/", status_code=308)


@router.get("/demo/{path:path}", response_class=HTMLResponse)
async def demo_page(path: str, request: Request) -> HTMLResponse:
    page = PAGES.get(path.strip("/"))
    if page is None:
        raise HTTPException(status_code=404, detail=f"no demo page at /demo/{path}")
    return HTMLResponse(_render(page, _write_key(request)))


@router.post("/demo/thanks", response_class=HTMLResponse)
async def demo_thanks(request: Request) -> HTMLResponse:
    # The form's fields reached LeadPulse through the snippet; nothing is kept here.
    page = Page(
        "Thank you",
        "Fieldline",
        '<p>We will be in touch shortly.</p><p><a href="/demo/">Back to the home page</a></p>',
    )
    return HTMLResponse(_render(page, _write_key(request)))
