"""What an event tells the stage machine (`stages.Signals`), worked out from the lead as the
event left it: identified or not, engaging or nurturing, a fast pass, over a model's
threshold, a CRM outcome, newly disqualified, paused."""

from __future__ import annotations

from leadpulse.kernel.schema import CRM_OUTCOMES
from scorer.core.config import Rules
from scorer.core.facts import EventFacts
from scorer.core.rules import disqualified_by, email_domain
from scorer.core.scoring import model_total
from scorer.core.stages import Signals
from scorer.core.state import LeadState

__all__ = ["signals_of"]


def signals_of(
    state: LeadState,
    facts: EventFacts,
    rules: Rules,
    traits_changed: bool,
    earned: float,
) -> tuple[Signals, str | None]:
    """What the event tells the stage machine about the lead, and the first model whose
    threshold its score is over (None: none)."""
    stages = rules.config.stages
    identified = state.email is not None or any(not k.startswith("anon:") for k in state.keys)
    return_visit = (
        facts.is_page
        and state.last_page is not None
        and facts.t - state.last_page >= stages.return_visit_after_minutes * 60
    )
    domain = email_domain(state.email)
    target = domain is not None and domain in rules.compiled.lists["target_accounts"]
    fast_pass = facts.name in stages.fast_pass_events or (
        stages.target_account_event_fast_pass and target and facts.name == "Webinar Attended"
    )
    crossed: str | None = None
    at = max(facts.t, state.last_seen)
    for model in rules.compiled.models:
        total = model_total(state.models.get(model.name), model.model.half_life_days, at)
        if total >= model.model.threshold:
            crossed = model.name
            break
    is_crm = facts.kind == "crm" and facts.name in CRM_OUTCOMES
    signals = Signals(
        t=facts.t,
        identified=identified,
        # A visit, or behaviour that earned points: an unsubscribe re-engages nobody.
        engaging=facts.is_page or (facts.kind in ("track", "webinar") and earned > 0),
        nurturing=return_visit or facts.name in stages.nurturing_events,
        fast_pass=fast_pass,
        over_threshold=crossed is not None,
        crm_outcome=facts.name if is_crm else None,
        # Unchanged traits cannot newly disqualify: a disqualified lead already left.
        disqualified=disqualified_by(rules.compiled, state.traits, state.email)
        if traits_changed
        else None,
        paused_until=state.paused_until,
    )
    return signals, crossed
