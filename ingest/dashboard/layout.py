"""The dashboard's page shell: navigation, styles, and the live activity feed's script."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from leadpulse.kernel.domain import Stage, Tone

__all__ = ["STYLESHEET", "esc", "page", "pill_css", "when"]


def esc(value: object) -> str:
    return escape("" if value is None else str(value))


def when(value: datetime | str | None) -> str:
    """A time as the pages show it, in UTC to the minute; anything unreadable as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return esc(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return esc(value)


_STYLE = """
:root{--ink:#14213d;--muted:#5c677d;--brand:#0b6e4f;--warn:#d64545;--bg:#f4f6f9;--card:#fff;
--line:#e3e8ef}*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,sans-serif;
color:var(--ink);background:var(--bg)}a{color:var(--brand)}
nav{background:var(--ink);color:#fff;display:flex;gap:22px;align-items:center;padding:0 24px;
height:54px}nav a{color:#cfd8e6;text-decoration:none;font-weight:500}nav a.on{color:#fff;
border-bottom:2px solid #4fd1a5;padding-bottom:4px}nav .brand{color:#fff;font-weight:700;
font-size:17px;margin-right:12px}nav form{margin-left:auto}nav button{background:none;
border:1px solid #5c677d;color:#cfd8e6;border-radius:6px;padding:4px 10px;cursor:pointer}
.grid{display:grid;grid-template-columns:minmax(0,1fr) 300px;gap:20px;padding:20px 24px}
.card{background:var(--card);border-radius:10px;padding:18px 20px;
box-shadow:0 1px 3px rgba(20,33,61,.1);margin-bottom:20px}h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:0 0 12px}.muted{color:var(--muted)}table{border-collapse:collapse;
width:100%}th,td{text-align:left;padding:7px 8px;border-bottom:1px solid var(--line)}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;
background:#e6f4ee;color:var(--brand);font-weight:600}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end}form.filters label{display:grid;
font-size:12px;color:var(--muted)}input,select{font:inherit;padding:5px 7px;border:1px solid
#c9d1dd;border-radius:6px}button.primary{background:var(--brand);color:#fff;border:0;
border-radius:6px;padding:7px 14px;cursor:pointer}.kpis{display:grid;
grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:20px}.kpi{background:var(--card);
border-radius:10px;padding:14px 16px;box-shadow:0 1px 3px rgba(20,33,61,.1)}.kpi b{display:block;
font-size:24px}.feed{list-style:none;margin:0;padding:0;max-height:70vh;overflow:auto}
.feed li{padding:7px 0;border-bottom:1px solid var(--line);font-size:13px}.feed time{
color:var(--muted);font-size:12px;display:block}.bars{display:flex;align-items:end;gap:3px;
height:120px}.bars div{flex:1;background:#9fd8c3;min-height:1px;position:relative}
.bars div span{position:absolute;bottom:-18px;font-size:10px;color:var(--muted);left:0;
white-space:nowrap}.two{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.login{max-width:380px;margin:12vh auto}.error{color:var(--warn)}
"""

# A pill's colors by tone: `.pill.<tone>` and `.pill.<stage>` for every stage of that tone.
TONE_COLORS: dict[Tone, tuple[str, str]] = {
    "neutral": ("#e6f4ee", "var(--brand)"),
    "attention": ("#fff3d6", "#9a6700"),
    "success": ("#dcfce7", "#166534"),
    "inactive": ("#eee", "#666"),
    "setback": ("#fde2e1", "var(--warn)"),
}


def pill_css() -> str:
    """The pill rules, generated from the stages: a new stage gets its class here."""
    rules = []
    for tone, (background, color) in TONE_COLORS.items():
        selectors = [f".pill.{tone}", *(f".pill.{s.css_class}" for s in Stage if s.tone == tone)]
        rules.append(f"{','.join(selectors)}{{background:{background};color:{color}}}")
    return "\n".join(rules)


STYLESHEET = _STYLE + pill_css()

_LIVE_SCRIPT = """
(function(){var feed=document.getElementById('live-feed');if(!feed)return;var seen='';
function row(a){var li=document.createElement('li');var t=document.createElement('time');
t.textContent=a.at||'';li.appendChild(t);var l=document.createElement('a');
l.href='/dashboard/leads/'+encodeURIComponent(a.lead_id||'');l.textContent=a.label||a.lead_id;
li.appendChild(l);li.appendChild(document.createTextNode(' '+(a.text||'')));return li}
function tick(){fetch('/dashboard/live.json',{credentials:'same-origin'}).then(function(r){
return r.ok?r.json():null}).then(function(d){if(!d)return;var key=JSON.stringify(d.activity);
if(key===seen)return;seen=key;feed.replaceChildren.apply(feed,d.activity.map(row));
var n=document.getElementById('live-count');if(n)n.textContent=d.activity.length}).catch(
function(){})}tick();setInterval(tick,3000)})();
"""

_NAV = [
    ("funnel", "/dashboard", "Funnel"),
    ("leads", "/dashboard/leads", "Leads"),
    ("alerts", "/dashboard/alerts", "Alerts"),
    ("model", "/dashboard/model", "Model"),
]


def page(title: str, body: str, *, active: str = "", live: bool = True) -> str:
    links = "".join(
        f'<a href="{href}" class="{"on" if key == active else ""}">{label}</a>'
        for key, href, label in _NAV
    )
    nav = (
        f'<nav><span class="brand">LeadPulse</span>{links}<a href="/inbox">Inbox</a>'
        '<form method="post" action="/dashboard/logout"><button>Log out</button></form></nav>'
    )
    side = (
        '<aside><div class="card"><h2>Live activity</h2>'
        '<ul class="feed" id="live-feed"></ul></div></aside>'
        if live
        else ""
    )
    main = f'<div class="grid"><main>{body}</main>{side}</div>' if live else body
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)} · LeadPulse</title><style>{STYLESHEET}</style></head>"
        f"<body>{nav}{main}<script>{_LIVE_SCRIPT}</script></body></html>"
    )


def login_page(error: str | None = None) -> str:
    message = f'<p class="error">{esc(error)}</p>' if error else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Log in · LeadPulse</title><style>{STYLESHEET}</style></head><body>"
        '<div class="card login"><h1>LeadPulse</h1><p class="muted">Enter the secret key '
        "(LP_SECRET_KEY) to open the dashboard.</p>"
        f'{message}<form method="post" action="/dashboard/login">'
        '<input type="password" name="key" placeholder="sk_..." autocomplete="current-password" '
        'aria-label="Secret key" required style="width:100%;margin-bottom:12px">'
        '<button class="primary" type="submit">Log in</button></form></div></body></html>'
    )
