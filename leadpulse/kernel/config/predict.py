"""Config of the predictive score (`p_convert`): what a decision is, the horizon, the learner."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadpulse.kernel.config._base import ConfigModel

__all__ = ["DecisionStage", "PredictConfig", "PredictModel"]

# The stages a decision may be taken at: marketing's hand-over and the sales stages after it.
DecisionStage = Literal["mql", "sal", "sql", "opportunity"]
_DEFAULT_STAGES: tuple[DecisionStage, ...] = ("mql", "sal", "sql")


class PredictModel(ConfigModel):
    """One learned model: trained on the outcomes of the leads it applies to, and their
    `p_convert`. A lead takes the first model of `predict.models` that applies to it."""

    name: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    traits: dict[str, list[str]] = Field(
        default_factory=dict,
        description="trait -> values (any case): the model applies to a lead whose every named"
        " trait (its own, else its account's) is one of its values; none: every lead",
    )


def _default_models() -> list[PredictModel]:
    return [PredictModel(name="default")]


class PredictConfig(ConfigModel):
    horizon_days: float = Field(
        default=90,
        gt=0,
        le=3650,
        description="a lead converts if it is won within this many days of its decision",
    )
    decision_stages: list[DecisionStage] = Field(
        default_factory=lambda: list(_DEFAULT_STAGES),
        min_length=1,
        description="the decision is the lead's first entry into any of these stages",
    )
    naive_bayes_below: int = Field(
        default=200,
        ge=0,
        description="fewer outcomes than this: naive Bayes; from it on: FTRL logistic regression",
    )
    models: list[PredictModel] = Field(default_factory=_default_models, min_length=1)

    @property
    def names(self) -> list[str]:
        return [model.name for model in self.models]
