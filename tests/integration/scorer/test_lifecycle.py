"""Identity, stages and alerts end to end through the real broker and Valkey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.messages import Forget, Stale, payload
from leadpulse.kernel.schema import EventEnvelope, Identity
from leadpulse.kernel.settings import Settings
from scorer.read import store
from tests.integration.scorer.conftest import ScorerStarter, read_alerts, wait_for
from tests.unit.scorer.events import at, crm, identify, page, track


async def _lead(redis: Any, ref: str, check: Any, what: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def ready() -> bool:
        lead = await store.get_lead(redis, ref)
        if lead is not None and check(lead):
            found.update(lead)
            return True
        return False

    await wait_for(ready, what=what)
    return found


async def test_anonymous_history_merges_into_the_identified_lead(
    produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Pages viewed anonymously, then identify: one lead holding those pages and their score."""
    await start_scorer()
    pages = [
        page(p, anon="browser-1", when=at(i))
        for i, p in enumerate(["/demo/blog/a", "/demo/pricing", "/demo/compare/x"])
    ]
    await produce(*pages)
    await produce(identify(anon="browser-1", email="Ann@Acme.example", when=at(10)))
    lead = await _lead(
        redis,
        "ann@acme.example",
        lambda lead: sum(e["type"] == "page" for e in lead["timeline"]) == 3,
        "the pages merged into the lead",
    )
    assert lead["stage"] == "lead"
    assert {"pricing_page", "comparison_page", "page_view"} <= {
        row["rule"] for row in lead["score"]["breakdown"]
    }
    assert lead["interests"] and lead["consideration"] == "mid"
    listed = await store.list_leads(redis)
    assert listed["total"] == 1 and listed["leads"][0]["lead_id"] == lead["lead_id"]
    await produce(page("/demo/case-studies/acme", anon="browser-1", when=at(20)))
    await _lead(
        redis,
        "ann@acme.example",
        lambda lead: sum(e["type"] == "page" for e in lead["timeline"]) == 4,
        "a later anonymous page forwarded to the lead",
    )
    assert (await store.list_leads(redis))["total"] == 1


async def test_demo_request_makes_an_mql_with_one_alert(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """A fast-pass action goes straight to mql and publishes exactly one mql alert."""
    await start_scorer()
    email = "bob@globex.example"
    await produce(
        page("/demo/pricing", email=email, when=at(0), traits={"title": "Head of IT"}),
        track("Demo Requested", email=email, when=at(1)),
        track("Demo Requested", email=email, when=at(2)),
    )
    lead = await _lead(redis, email, lambda lead: lead["stage"] == "mql", "mql")
    # Event times are in the past, so the mql's 24 h SLA has run out too: keep to mql.
    alerts = [a for a in await read_alerts(scorer_settings, expect=2) if a.type == "mql"]
    # The outbox may publish an alert again after a rebalance (at-least-once transport);
    # its id is the same, and the router delivers it once.
    assert len({a.alert_id for a in alerts}) == 1
    alert = alerts[0]
    assert alert.lead.lead_id == lead["lead_id"] and alert.lead.stage == "mql"
    assert alert.reason == "fast_pass" and alert.lead.consideration == "mid"
    assert alert.lead.top_reasons and alert.lead.account == "globex.example"
    assert [h["stage"] for h in lead["stage_history"]] == ["lead", "mql"]


async def test_score_threshold_makes_an_mql(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Points reaching the threshold move a lead to mql, naming the model that crossed."""
    await start_scorer()
    email = "cy@initech.example"
    await produce(
        track("Form Submitted", email=email, when=at(0)),
        track("Webinar Attended", email=email, when=at(1)),
        track("Trial Started", email=email, when=at(2)),
        track("Content Downloaded", email=email, when=at(3)),
        track("Content Downloaded", email=email, when=at(4)),
    )
    await _lead(redis, email, lambda lead: lead["stage"] == "mql", "mql by score")
    alerts = await read_alerts(scorer_settings, expect=2)
    mql = [(a.type, a.reason, a.model) for a in alerts if a.type == "mql"]
    assert mql == [("mql", "score_threshold", "default")]


async def test_lost_deal_coming_back_raises_one_alert(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """CRM lost, then 5 visits within 14 days: recycled, paused, one lost_deal_returned."""
    await start_scorer()
    email = "dee@hooli.example"
    await produce(
        track("Form Submitted", email=email, when=at(0)),
        crm("lost", email=email, when=at(days=1), properties={"owner": "ada@sales.example"}),
        *[page(f"/demo/pricing/{i}", email=email, when=at(days=5, minutes=i)) for i in range(5)],
    )
    lead = await _lead(
        redis,
        email,
        lambda lead: any(a["type"] == "lost_deal_returned" for a in lead["alerts"]),
        "lost deal returned",
    )
    assert lead["stage"] == "recycle"
    assert lead["nurture_paused_until"] == at(days=91).isoformat()
    alerts = await read_alerts(scorer_settings, expect=1)
    assert [a.type for a in alerts] == ["lost_deal_returned"]
    assert alerts[0].owner == "ada@sales.example"


async def test_recycled_lead_re_engaging_after_the_pause_is_nurtured(
    produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """A not_now lead stays recycled during its pause and returns to nurturing after it."""
    await start_scorer()
    email = "eve@umbrella.example"
    await produce(
        track("Form Submitted", email=email, when=at(0)),
        crm("not_now", email=email, when=at(days=1)),
        page("/demo/blog/a", email=email, when=at(days=30)),
        page("/demo/blog/b", email=email, when=at(days=95)),
    )
    lead = await _lead(redis, email, lambda lead: lead["stage"] == "nurturing", "re-engaged")
    assert [h["stage"] for h in lead["stage_history"]] == ["lead", "recycle", "nurturing"]
    assert lead["nurture_paused_until"] is None
    funnel = await store.get_funnel(redis, start=at(0).date(), end=at(days=100).date())
    assert {"from": "recycle", "to": "nurturing", "count": 1} in funnel["recycled"]


async def test_sla_breach_fires_without_further_events(
    scorer_settings: Settings,
    config: LeadPulseConfig,
    produce: Any,
    start_scorer: ScorerStarter,
    redis: Any,
) -> None:
    """An MQL nobody accepted raises sla_breach on the timer tick, once."""
    await start_scorer()
    await produce(track("Quote Requested", email="fay@stark.example", when=at(0)))
    alerts = await read_alerts(scorer_settings, expect=2, within=30)
    assert sorted(a.type for a in alerts) == ["mql", "sla_breach"]
    breach = next(a for a in alerts if a.type == "sla_breach")
    assert "24 hours" in breach.reason and breach.lead.stage == "mql"


async def test_bots_score_nothing_and_move_nothing(
    produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Flagged events are kept in the timeline, flagged, and count nowhere."""
    await start_scorer()
    email = "gus@wayne.example"
    await produce(
        track("Form Submitted", email=email, when=at(0)),
        track("Email Link Clicked", email=email, when=at(1), bot=True),
        track("Demo Requested", email=email, when=at(2), bot=True),
    )
    lead = await _lead(redis, email, lambda lead: len(lead["timeline"]) == 3, "3 events")
    assert lead["stage"] == "lead"
    assert [r["rule"] for r in lead["score"]["breakdown"]] == ["form_submitted"]
    assert sum(e.get("noise", False) for e in lead["timeline"]) == 2
    funnel = await store.get_funnel(redis, start=at(0).date(), end=at(0).date())
    assert {r["stage"]: r["flow"] for r in funnel["stages"]}["mql"] == 0


async def test_three_engaged_people_make_a_buying_group(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Three people of one account engaging within 30 days raise one buying_group alert."""
    await start_scorer()
    people = [f"p{i}@acme-industrial.example" for i in range(4)]
    await produce(
        *[track("Content Downloaded", email=p, when=at(days=i)) for i, p in enumerate(people)]
    )
    alerts = await read_alerts(scorer_settings, expect=1)
    assert [a.type for a in alerts] == ["buying_group"]
    assert alerts[0].account_id == "acme-industrial.example"
    account = await store.get_account(redis, "acme-industrial.example")
    assert account is not None and len(account["people"]) == 4
    assert account["score"] == round(sum(p["score"] for p in account["people"]), 2)


async def test_forgetting_a_person_removes_everything_and_drops_later_events(
    produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """A forget removes state, identities and timeline; the identities are suppressed."""
    await start_scorer()
    await produce(page("/demo/pricing", anon="b-9", when=at(0)))
    await produce(identify(anon="b-9", email="hal@nakatomi.example", when=at(1)))
    await _lead(
        redis, "hal@nakatomi.example", lambda lead: len(lead["timeline"]) == 2, "merged lead"
    )
    key, identities = await store.lead_identities(redis, "hal@nakatomi.example")  # type: ignore[misc]
    assert set(identities) == {"email:hal@nakatomi.example", "anon:b-9"}
    now = datetime.now(UTC)
    await produce(
        EventEnvelope(
            event_id="forget-1",
            type="forget",
            source="api",
            identity=Identity(email=key[6:]),
            timestamp=now,
            received_at=now,
            control=payload(Forget(identities=tuple(identities))),
        )
    )

    async def gone() -> bool:
        return await store.is_suppressed(redis, ["anon:b-9"]) and (
            await store.get_lead(redis, "hal@nakatomi.example") is None
        )

    await wait_for(gone, what="forgotten")
    await produce(page("/demo/blog/again", anon="b-9", when=at(5)))
    await produce(track("Form Submitted", email="hal@nakatomi.example", when=at(6)))
    await produce(page("/demo/blog/other", anon="someone-else", when=at(7)))
    await _lead(redis, "anon:someone-else", lambda lead: True, "a later event applied")
    assert await store.get_lead(redis, "hal@nakatomi.example") is None
    assert await store.get_lead(redis, "anon:b-9") is None
    assert (await store.list_leads(redis))["total"] == 1


def _recycling_stale(config: LeadPulseConfig) -> LeadPulseConfig:
    stages = config.scoring.stages
    sla = stages.sla.model_copy(update={"recycle_when_stale": True})
    scoring = config.scoring.model_copy(update={"stages": stages.model_copy(update={"sla": sla})})
    return config.model_copy(update={"scoring": scoring})


async def test_a_stale_mql_is_recycled_when_the_config_says_so(
    scorer_settings: Settings,
    config: LeadPulseConfig,
    produce: Any,
    start_scorer: ScorerStarter,
    redis: Any,
) -> None:
    """recycle_when_stale: the unaccepted MQL alerts sales once and goes to recycle, paused."""
    await start_scorer(cfg=_recycling_stale(config))
    email = "ida@stark.example"
    await produce(track("Quote Requested", email=email, when=at(0)))
    lead = await _lead(redis, email, lambda lead: lead["stage"] == "recycle", "recycled")
    assert [h["stage"] for h in lead["stage_history"]] == ["lead", "mql", "recycle"]
    assert lead["nurture_paused_until"] is not None
    alerts = await read_alerts(scorer_settings, expect=2)
    assert sorted(a.type for a in alerts) == ["mql", "sla_breach"]
    recent = await store.recent_activity(redis)
    assert any(r["to"] == "recycle" and r["reason"] == "sla:stale" for r in recent)


async def test_a_lead_accepted_before_the_recycle_lands_keeps_its_stage(
    config: LeadPulseConfig, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """A stale message for a stay that already ended (sales accepted meanwhile) does nothing."""
    await start_scorer(cfg=_recycling_stale(config))
    email = "jon@stark.example"
    now = datetime.now(UTC)  # the 24 h SLA is far away: only the message below is stale
    await produce(track("Quote Requested", email=email, when=now))
    lead = await _lead(redis, email, lambda lead: lead["stage"] == "mql", "mql")
    since = f"{datetime.fromisoformat(lead['stage_history'][-1]['at']).timestamp():.3f}"
    await produce(crm("accepted", email=email, when=now + timedelta(minutes=1)))
    await _lead(redis, email, lambda lead: lead["stage"] == "sal", "accepted")
    stale = EventEnvelope(
        event_id="stale-late",
        type="stale",
        source="scorer",
        identity=Identity(email=email),
        timestamp=now + timedelta(minutes=2),
        received_at=now + timedelta(minutes=2),
        control=payload(Stale(lead_id=lead["lead_id"], stage="mql", since=since)),
    )
    await produce(stale, track("Email Opened", email=email, when=now + timedelta(minutes=3)))
    lead = await _lead(redis, email, lambda lead: len(lead["timeline"]) == 3, "later events")
    assert lead["stage"] == "sal"


async def test_leads_listed_by_account_are_exactly_its_people(
    produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """account= lists the account's people (any case), none of another company's."""
    await start_scorer()
    emails = ["ana@umbrella.example", "bo@umbrella.example", "cy@oscorp.example"]
    await produce(*(track("Form Submitted", email=e, when=at(i)) for i, e in enumerate(emails)))

    async def all_listed() -> bool:
        return (await store.list_leads(redis))["total"] == 3

    await wait_for(all_listed, what="three leads")
    listed = await store.list_leads(redis, account="Umbrella.example")
    assert listed["total"] == 2
    assert sorted(lead["email"] for lead in listed["leads"]) == emails[:2]


async def test_the_score_history_has_a_point_per_scoring_event(
    produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Three scoring events, one that scores nothing: three points, oldest first, rising."""
    await start_scorer()
    email = "sam@cyberdyne.example"
    await produce(
        page("/demo/pricing", email=email, when=at(0)),
        track("Content Downloaded", email=email, when=at(60)),
        page("/demo/compare/x", email=email, when=at(120)),
        track("Email Opened", email=email, when=at(180), bot=True),
    )
    lead = await _lead(redis, email, lambda lead: len(lead["timeline"]) == 4, "4 events")
    history = lead["score_history"]
    assert [p["at"] for p in history] == sorted(p["at"] for p in history)
    assert len(history) == 3
    assert history[0]["score"] < history[1]["score"] < history[2]["score"]
