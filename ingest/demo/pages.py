"""The demo site's pages: a small B2B product site whose URLs match the default content map."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PAGES", "Page"]


@dataclass(frozen=True)
class Page:
    title: str
    kicker: str
    body: str


def _article(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


_DEMO_FORM = """
<form class="card form" method="post" action="/demo/thanks" data-lp-form="demo"
      data-lp-event="Demo Requested">
  <label>Work email <input type="email" name="email" required autocomplete="email"></label>
  <label>Name <input name="name" autocomplete="name"></label>
  <label>Company <input name="company" autocomplete="organization"></label>
  <label>Job title <input name="title" autocomplete="organization-title"></label>
  <button type="submit">Request my demo</button>
</form>"""

_QUOTE_FORM = (
    _DEMO_FORM.replace('data-lp-form="demo"', 'data-lp-form="quote"')
    .replace('data-lp-event="Demo Requested"', 'data-lp-event="Quote Requested"')
    .replace("Request my demo", "Get my quote")
)

PAGES: dict[str, Page] = {
    "": Page(
        "Fieldline: operations analytics for manufacturers",
        "Fieldline",
        _article(
            "Fieldline turns machine, shift and quality data into one live picture of your "
            "plant, so supervisors fix the line before the line stops.",
            '<a class="button" href="/demo/product">See the product</a> '
            '<a class="button ghost" href="/demo/demo">Request a demo</a>',
        ),
    ),
    "blog/ai-in-b2b-buying": Page(
        "How AI changes the way manufacturers buy software",
        "Blog · trends",
        _article(
            "Buyers now finish most of their research before they ever talk to a vendor.",
            "Here is what that means for operations teams evaluating analytics tools.",
        ),
    ),
    "blog/five-trends-2027": Page(
        "Five shop-floor trends for 2027",
        "Blog · trends",
        _article(
            "Predictive maintenance goes mainstream, OEE becomes a board metric, and "
            "three more shifts to plan for."
        ),
    ),
    "research/state-of-ops": Page(
        "State of Manufacturing Operations report",
        "Research",
        _article(
            "We surveyed 1,200 plant managers across 14 countries.",
            "Downtime still costs the median plant 8% of its output.",
        ),
    ),
    "product": Page(
        "The Fieldline platform",
        "Product",
        _article(
            "Live OEE, downtime reasons, quality holds and shift hand-overs in one place.",
            '<a href="/demo/product/integrations">Integrations</a> · '
            '<a href="/demo/pricing">Pricing</a>',
        ),
    ),
    "product/integrations": Page(
        "Integrations",
        "Product",
        _article("OPC UA, MQTT, SAP PM, Maximo and 40 more connectors, configured in minutes."),
    ),
    "guides/buyers-guide": Page(
        "The operations analytics buyer's guide",
        "Guide",
        _article(
            "Twelve questions to ask every vendor, and the answers that should worry you.",
            '<a class="button" href="/demo/rfp-template">Download the RFP template</a>',
        ),
    ),
    "pricing": Page(
        "Pricing",
        "Plans",
        '<div class="plans">'
        '<div class="card"><h3>Line</h3><p class="price">$900<span>/line/month</span></p>'
        "<p>Up to 3 lines, live OEE, downtime reasons.</p></div>"
        '<div class="card featured"><h3>Plant</h3><p class="price">$6,500<span>/plant/month'
        "</span></p><p>Unlimited lines, quality holds, shift hand-overs.</p></div>"
        '<div class="card"><h3>Enterprise</h3><p class="price">Let\'s talk</p>'
        '<p>Multi-plant roll-ups, SSO, on-prem connectors. <a href="/demo/quote">Get a quote</a>'
        "</p></div></div>",
    ),
    "compare/leadpulse-vs-spreadsheets": Page(
        "Fieldline vs. spreadsheets",
        "Comparison",
        _article(
            "Spreadsheets are free until the night shift overwrites the formula.",
            "A side-by-side look at cost, accuracy and time to insight.",
        ),
    ),
    "rfp-template": Page(
        "RFP template for operations analytics",
        "Template",
        _article("Forty requirements, weighted, ready to send to three vendors."),
    ),
    "case-studies/acme-industrial": Page(
        "Acme Industrial cut unplanned downtime by 31%",
        "Case study",
        _article("Four plants, 62 lines, live in nine weeks."),
    ),
    "case-studies/globex": Page(
        "Globex raised OEE from 61% to 74%",
        "Case study",
        _article("How a night-shift supervisor became the plant's best analyst."),
    ),
    "careers": Page(
        "Careers at Fieldline",
        "Company",
        _article("We are hiring engineers, designers and customer success managers."),
    ),
    "demo": Page(
        "Request a demo",
        "Talk to us",
        _article("Thirty minutes with a product specialist, on your own data.") + _DEMO_FORM,
    ),
    "quote": Page(
        "Get a quote",
        "Talk to us",
        _article("Tell us about your plants; we answer within one business day.") + _QUOTE_FORM,
    ),
}
