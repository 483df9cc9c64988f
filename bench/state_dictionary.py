"""How the lead state's zstd dictionary v2 was made, and what it saves.

    python bench/state_dictionary.py                 # bytes per stored state, v1 against v2
    python bench/state_dictionary.py --write FILE    # train one again into FILE (never ship
                                                     # it as v2, which must stay as it is)

The samples are the lead states the scorer keeps for the dev population
(`leadpulse.dev.journeys`, not the bench's journeys) at four points over five years, so no
one year's dates dominate. Its site's pages lose their `/demo` prefix first, so the
dictionary learns LeadPulse's own layout (field names, steps, stages, the default rules'
names and topics) rather than one site. zstd's trainer (COVER) builds the dictionary with
its entropy tables: on a state of one to a few kilobytes, those tables are most of what a
dictionary of raw content (v1, a made-up lead) lacks.

The figures are for the samples and, apart, for the bench's own journeys (which trained
nothing), as `scorer.core.state_codec.pack` stores them.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import zstandard  # noqa: E402

from bench.scorer import records_of  # noqa: E402
from bench.scorer_load import journeys  # noqa: E402
from bench.scorer_logic import Record, logic_pass, scorer_rules  # noqa: E402
from ingest.segment import Received, envelope_from_segment  # noqa: E402
from leadpulse.dev.journeys import Step, make_journeys  # noqa: E402
from leadpulse.kernel.schema import Consent, EventEnvelope, Identity  # noqa: E402
from scorer.core.state_codec import DICTIONARY_V1, LEVEL, pack, unpack  # noqa: E402
from scorer.core.state_layout import store_lead  # noqa: E402

PARTITIONS = 6
SIZE = 16 * 1024
TRAINED_AT = [
    datetime(year, month, 1, tzinfo=UTC)
    for year, month in ((2025, 3), (2026, 9), (2028, 2), (2029, 8))
]


def _undemo(value: Any) -> Any:
    """The dev site's paths without its `/demo` prefix (and its host), everywhere."""
    if isinstance(value, str):
        return value.replace("https://www.leadpulse-demo.example", "").replace("/demo/", "/")
    if isinstance(value, dict):
        return {k: _undemo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undemo(v) for v in value]
    return value


def _received(at: datetime) -> Received:
    return Received(
        received_at=at,
        source="segment",
        ip="203.0.113.0",
        user_agent=None,
        browser=None,
        os=None,
        device=None,
        bot=False,
        consent=Consent(),
        trusted=True,
        max_event_bytes=32 * 1024,
        max_skew=timedelta(days=3650),
    )


def _envelope(step: Step) -> EventEnvelope:
    body = _undemo(step.body)
    if step.channel == "segment":
        return envelope_from_segment(body, _received(step.at))
    properties = {k: body[k] for k in ("owner", "reason") if body.get(k)}
    return EventEnvelope.model_validate(
        {
            "event_id": body["event_id"],
            "type": "crm",
            "event": body["type"],
            "source": "crm",
            "identity": Identity(email=body["email"]).model_dump(exclude_none=True),
            "properties": properties,
            "flags": {"identity_trust": "verified"},
            "timestamp": step.at,
            "received_at": step.at,
        }
    )


def _stored_states(records: list[Record]) -> list[bytes]:
    """The JSON of every lead the pass leaves, as a save writes it (newest steps only, for
    a lead that keeps its older ones apart)."""
    views = logic_pass(records, PARTITIONS, scorer_rules()).views.values()
    leads = [state for view in views for state in view.leads.values() if state is not None]
    return [_json(unpack(store_lead(state).state)) for state in leads]


def _json(raw: bytes | str) -> bytes:
    return raw.encode() if isinstance(raw, str) else raw


def samples(leads: int) -> list[bytes]:
    """The training samples: the dev population's lead states at each of TRAINED_AT."""
    out: list[bytes] = []
    for n, now in enumerate(TRAINED_AT):
        steps = make_journeys(leads, seed=100 + n, now=now)
        out += _stored_states(records_of([_envelope(s) for s in steps]))
    return out


def _mean(values: list[int]) -> float:
    return sum(values) / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1500, help="dev journeys per point in time")
    parser.add_argument("--write", type=Path, metavar="FILE", help="train a dictionary into FILE")
    args = parser.parse_args()
    trained = samples(args.leads)
    size = _mean([len(s) for s in trained])
    print(f"samples: {len(trained):,} lead states, {size:,.0f} bytes of JSON on average")
    if args.write is not None:
        dictionary = zstandard.train_dictionary(
            SIZE, list[bytes | bytearray | memoryview](trained), level=LEVEL
        )
        args.write.write_bytes(dictionary.as_bytes())
        print(f"wrote {args.write} ({len(dictionary.as_bytes()):,} bytes)")
    raw_content = zstandard.DICT_TYPE_RAWCONTENT
    v1_dictionary = zstandard.ZstdCompressionDict(DICTIONARY_V1, dict_type=raw_content)
    v1 = zstandard.ZstdCompressor(
        level=1, dict_data=v1_dictionary, write_checksum=False, write_dict_id=False
    )
    bench_states = _stored_states(records_of(journeys(3000, 10)))
    for name, states in (("dev population", trained), ("bench journeys", bench_states)):
        before = _mean([1 + len(v1.compress(s)) for s in states])
        after = _mean([len(pack(s)) for s in states])
        print(f"{name}: v1 {before:,.0f} bytes per state, v2 {after:,.0f} ({after / before:.2f})")


if __name__ == "__main__":
    main()
