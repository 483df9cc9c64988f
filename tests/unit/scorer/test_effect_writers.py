"""Every kind of effect the core can decide has its writer in storage, and only those do."""

from __future__ import annotations

import typing

from scorer.core.effects import Effect
from scorer.storage.effects import WRITERS


def test_each_kind_of_effect_has_one_writer() -> None:
    assert set(WRITERS) == set(typing.get_args(Effect))
