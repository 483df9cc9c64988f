"""What applying a message needs besides the message: the scoring config, compiled once."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadpulse.kernel.config.predict import PredictConfig
from leadpulse.kernel.config.scoring import ScoringConfig
from scorer.core.content import ContentMap
from scorer.core.rules import CompiledRules, compile_rules

__all__ = ["Rules"]


@dataclass(frozen=True, slots=True)
class Rules:
    """The scoring config, compiled once at start-up."""

    config: ScoringConfig
    compiled: CompiledRules
    content: ContentMap
    dedupe_window: int = 500_000
    crm_score_step: float | None = None  # None: no CRM destination, no lead changes
    predict: PredictConfig = field(default_factory=PredictConfig)

    @classmethod
    def from_config(
        cls,
        config: ScoringConfig,
        *,
        crm_score_step: float | None = None,
        predict: PredictConfig | None = None,
    ) -> Rules:
        return cls(
            config=config,
            compiled=compile_rules(config),
            content=ContentMap(config.content),
            dedupe_window=config.dedupe_window,
            crm_score_step=crm_score_step,
            predict=predict or PredictConfig(),
        )
