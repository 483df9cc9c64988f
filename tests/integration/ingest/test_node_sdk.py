"""Segment's Node server SDK (npm `@segment/analytics-node`, from tests/sdk), pointed at
LeadPulse with `host`, sends a batch that lands: identify, group and track."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from tests.conftest import WRITE_KEY
from tests.integration.ingest.conftest import Edge, consume

SDKS = Path(__file__).resolve().parents[2] / "sdk"

_SCRIPT = """
const { Analytics } = require("@segment/analytics-node");
const [host, writeKey] = process.argv.slice(1);
const analytics = new Analytics({ writeKey, host, flushAt: 3, maxRetries: 1 });
analytics.on("error", (error) => { console.error(String(error)); process.exitCode = 1; });
analytics.identify({ userId: "node-7", traits: { email: "ops@initech.example" } });
analytics.group({ userId: "node-7", groupId: "initech", traits: { employees: 250 } });
analytics.track({ userId: "node-7", event: "Quote Requested", properties: { plan: "pro" } });
analytics.closeAndFlush().then(() => console.log("flushed"));
"""


async def test_the_node_sdk_batch_lands(edge: Edge) -> None:
    node = shutil.which("node")
    assert node, "node is needed (make sdks installs it with npm)"
    assert (SDKS / "node_modules" / "@segment" / "analytics-node").is_dir(), "run `make sdks`"
    proc = await asyncio.create_subprocess_exec(
        node,
        "-e",
        _SCRIPT,
        edge.base,
        WRITE_KEY,
        cwd=SDKS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0 and b"flushed" in out, err.decode()
    found = {event.type: event for _, event in await consume(edge.settings, 3)}
    assert set(found) == {"identify", "group", "track"}
    assert all(event.source == "segment" for event in found.values())
    assert found["identify"].identity.email == "ops@initech.example"
    assert found["group"].group_id == "initech"
    assert found["group"].traits == {"employees": 250}
    assert found["track"].event == "Quote Requested"
    assert found["track"].properties == {"plan": "pro"}
