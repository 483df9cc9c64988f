"""Every service's errors descend from one base and say whether a retry can help."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError

from ingest.errors import BadInput, IngestError, PublishUnavailable, SpoolFull
from leadpulse.kernel.config import ConfigError
from leadpulse.kernel.errors import AlreadyStarted, LeadPulseError, ServiceStopped
from router.errors import DeliveryError, PermanentFailure, RateLimited, RetriableFailure
from scorer.runtime.errors import (
    ApplyError,
    BrokerUnavailable,
    GaveUp,
    HandlerFailed,
    PoisonMessage,
    ScorerError,
    Undecodable,
    ValkeyUnavailable,
    is_retriable,
    translate,
)


@pytest.mark.parametrize(
    ("error", "retriable"),
    [
        (ValkeyUnavailable("down"), True),
        (BrokerUnavailable("no ack"), True),
        (ApplyError("script error"), False),
        (Undecodable(0, 1, "not json"), False),
        (HandlerFailed(0, 1, "ValueError"), False),
        (GaveUp(20, RedisConnectionError()), False),
        (RetriableFailure("http_503", "503"), True),
        (RateLimited("http_429", "429"), True),
        (PermanentFailure("http_400", "400"), False),
        (PublishUnavailable("broker and spool down"), True),
        (SpoolFull("spool full"), True),
        (BadInput("bad field"), False),
        (ConfigError("config.yaml", ["scoring: missing"]), False),
        (AlreadyStarted("twice"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_error_says_whether_a_retry_can_help(error: LeadPulseError, retriable: bool) -> None:
    """A LeadPulseError with its `retriable` flag, and `is_retriable` agrees."""
    assert isinstance(error, LeadPulseError)
    assert error.retriable is retriable
    assert is_retriable(error) is retriable


@pytest.mark.parametrize(
    ("family", "members"),
    [
        (ScorerError, [ValkeyUnavailable, BrokerUnavailable, ApplyError, PoisonMessage, GaveUp]),
        (PoisonMessage, [Undecodable, HandlerFailed]),
        (DeliveryError, [RetriableFailure, PermanentFailure]),
        (IngestError, [BadInput, PublishUnavailable]),
        (ServiceStopped, [GaveUp]),
    ],
    ids=["scorer", "poison", "router", "ingest", "stopped"],
)
def test_each_service_has_its_own_tree(
    family: type[LeadPulseError], members: list[type[LeadPulseError]]
) -> None:
    """One catch of a family's base catches all its members."""
    assert all(issubclass(member, family) for member in members)


def test_valkey_away_is_retriable_though_not_ours() -> None:
    """redis-py's connection error (Valkey down) is retried; a bug is not."""
    assert is_retriable(RedisConnectionError("refused"))
    assert not is_retriable(KeyError("bug"))


@pytest.mark.parametrize(
    ("raised", "seen_as"),
    [
        (RedisConnectionError("refused"), ValkeyUnavailable),
        (KafkaConnectionError("no broker"), BrokerUnavailable),
        (ApplyError("script error"), ApplyError),
        (KeyError("bug"), KeyError),
    ],
    ids=["valkey", "broker", "ours", "bug"],
)
def test_a_failed_step_is_seen_in_the_scorers_words(
    raised: Exception, seen_as: type[Exception]
) -> None:
    """Valkey or the broker away become the scorer's retriable errors, the cause kept."""
    seen = translate(raised)
    assert type(seen) is seen_as
    assert seen is raised or seen.__cause__ is raised


def test_a_poison_message_reason_is_a_bounded_label() -> None:
    """The reason names the kind of poison; the detail (which may quote it) stays apart."""
    poison = HandlerFailed(3, 42, "ValueError: person@example.com")
    assert (poison.reason, poison.partition, poison.offset) == ("handler_failed", 3, 42)
    assert "example.com" not in str(poison)
