"""A customer's site for the SDK browser tests: pages on their own origin (not ingest's)
that load the unmodified SDK bundles installed from npm into tests/sdk (`make sdks`)."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import yaml

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.config import default_config_path
from tests.e2e.conftest import Stack
from tests.process_tree import env_without_lp

DEFAULT_CONFIG = default_config_path()
SDKS = Path(__file__).resolve().parents[1] / "sdk" / "node_modules"
# analytics.js's npm build (the UMD bundle and the chunks it loads next to it)
SEGMENT_DIST = SDKS / "@segment" / "analytics-next" / "dist" / "umd"
# RudderStack's npm build with its plugins bundled in (nothing fetched from its CDN)
RUDDERSTACK_DIST = SDKS / "@rudderstack" / "analytics-js" / "dist" / "npm" / "modern" / "bundled"
RUDDERSTACK_DIST = RUDDERSTACK_DIST / "umd"

_SEGMENT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<script src="/sdk/segment/index.js"></script>
<script>
  const segmentIo = {{apiKey: {key}, apiHost: {host}, protocol: "http"}};
  window.sdkReady = AnalyticsNext.AnalyticsBrowser.load(
    {{writeKey: {key}, cdnSettings: {{integrations: {{"Segment.io": segmentIo}},
      metrics: {{sampleRate: 0}}}}}},
    {{integrations: {{"Segment.io": segmentIo}}}}
  ).then(([analytics]) => {{ window.analytics = analytics; return true; }});
</script></head><body><h1>{title}</h1></body></html>"""

_RUDDERSTACK_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<script src="/sdk/rudderstack/index.js"></script>
<script>
  const source = {{source: {{id: "site", name: "site", workspaceId: "ws", enabled: true,
    config: {{statsCollection: {{errors: {{enabled: false}}, metrics: {{enabled: false}}}}}},
    destinations: []}}}};
  window.rudder = new rudderanalytics.RudderAnalytics();
  window.sdkReady = new Promise((resolve) => {{
    rudder.load({key}, {plane}, {{getSourceConfig: () => source, logLevel: "ERROR",
      sendAdblockPage: false, polyfillIfRequired: false}});
    rudder.ready(() => resolve(true));
  }});
</script></head><body><h1>{title}</h1></body></html>"""


@dataclass(frozen=True)
class SdkStack(Stack):
    """A `leadpulse dev` stack, and where its scorer's metrics are."""

    scorer_metrics: str = ""

    def duplicates(self) -> float:
        """Events the scorer recognised as already applied (a client's resend)."""
        text = httpx.get(self.scorer_metrics, timeout=5).text
        found = re.search(
            r'^leadpulse_scorer_messages_total\{outcome="duplicate"\} (\S+)$', text, re.M
        )
        return float(found.group(1)) if found else 0.0


@dataclass(frozen=True)
class Site:
    """Where the site's pages are served: `origin` + /segment/<page> or /rudderstack/<page>."""

    origin: str


def _handler(write_key: str, ingest_host: str) -> type[BaseHTTPRequestHandler]:
    key = json.dumps(write_key)
    host = json.dumps(f"{ingest_host}/v1")
    plane = json.dumps(f"http://{ingest_host}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            return

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            parts = path.strip("/").split("/")
            title = parts[-1].replace("-", " ").title()
            if parts[0] == "sdk" and len(parts) == 3:
                root = SEGMENT_DIST if parts[1] == "segment" else RUDDERSTACK_DIST
                self._file(root, parts[2])
            elif parts[0] == "segment":
                self._send(_SEGMENT_PAGE.format(title=title, key=key, host=host).encode())
            elif parts[0] == "rudderstack":
                self._send(_RUDDERSTACK_PAGE.format(title=title, key=key, plane=plane).encode())
            else:
                self.send_error(404)

        def _file(self, root: Path, name: str) -> None:
            target = (root / name).resolve()
            if target.parent != root.resolve() or not target.is_file():
                self.send_error(404)
                return
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            self._send(target.read_bytes(), kind)

        def _send(self, body: bytes, kind: str = "text/html; charset=utf-8") -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serve_site(write_key: str, ingest_host: str, port: int | None = None) -> Iterator[Site]:
    """Serve the site on 127.0.0.1:`port` (a free one by default) until the block ends."""
    bundles = (SEGMENT_DIST / "index.js", RUDDERSTACK_DIST / "index.js")
    missing = [bundle for bundle in bundles if not bundle.is_file()]
    assert not missing, f"SDK bundles missing ({missing[0]}): run `make sdks`"
    handler = _handler(write_key, ingest_host)
    server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def run_stack(data: Path, origins: list[str]) -> Iterator[SdkStack]:
    """`leadpulse dev` with the packaged config, `origins` added to site.origins."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["site"]["origins"] = [*config["site"].get("origins", []), *origins]
    config_file = data / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    port, scorer_port = free_port(), free_port()
    env = env_without_lp() | {
        "LP_CONFIG": str(config_file),
        "LP_HTTP_PORT": str(port),
        "LP_DATA_DIR": str(data),
        "LP_SCORER_HEALTH_PORT": str(scorer_port),
        "LP_ROUTER_HEALTH_PORT": str(free_port()),
    }
    log_path = data / "dev.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "leadpulse", "dev"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                assert time.monotonic() < deadline, "leadpulse dev never became ready"
                time.sleep(0.2)
            keys = json.loads((data / "dev-keys.json").read_text())
            yield SdkStack(
                base,
                keys["write_key"],
                keys["secret_key"],
                keys["webhook_secret"],
                scorer_metrics=f"http://127.0.0.1:{scorer_port}/metrics",
            )
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
