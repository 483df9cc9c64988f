"""A local Salesforce org: the REST API parts LeadPulse uses, as Salesforce documents them.

Over HTTPS (simple-salesforce only speaks https to an instance), with a certificate made
for 127.0.0.1 at start; point REQUESTS_CA_BUNDLE at `ca_path` to trust it.

- OAuth 2.0 client credentials (help.salesforce.com "OAuth 2.0 Client Credentials Flow
  for Server-to-Server Integration"): `POST /services/oauth2/token` with grant_type,
  client_id, client_secret (form) -> access_token and instance_url; bad credentials ->
  400 invalid_client. A call with an unknown or expired token -> 401 INVALID_SESSION_ID.
- sObject Collections (developer.salesforce.com/docs/platform/api-rest/guide/resources-
  composite-sobjects-collections-upsert.html and -update): `PATCH /services/data/vXX.X/
  composite/sobjects/Lead/<ExternalIdField>` upserts up to 200 records, each with
  attributes.type; more is 400 EXCEEDED_ID_LIMIT, a field the object lacks is 400
  INVALID_FIELD; per record: a new Lead without LastName or Company is
  REQUIRED_FIELD_MISSING, a converted Lead is CANNOT_UPDATE_CONVERTED_LEAD, with
  allOrNone false the others are saved. `PATCH .../composite/sobjects` updates by id.
- `GET .../sobjects/<Object>/describe` (fields) and `GET .../query?q=` for
  `SELECT ... FROM Lead|Contact WHERE <field> IN (...)`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.health import QuietServer

CUSTOM = (
    "leadpulse_score__c",
    "leadpulse_engagement__c",
    "leadpulse_fit__c",
    "leadpulse_p_convert__c",
    "leadpulse_stage__c",
    "leadpulse_consideration__c",
    "leadpulse_interests__c",
    "leadpulse_top_reasons__c",
    "leadpulse_last_alert__c",
    "leadpulse_url__c",
    "leadpulse_change_id__c",
)
FIELDS = {
    "Lead": (
        "Id", "Email", "LastName", "Company", "Status", "IsConverted", "ConvertedContactId",
        "LeadPulse_Id__c", *CUSTOM,
    ),
    "Contact": ("Id", "Email", "LastName", "AccountId", *CUSTOM),
}  # fmt: skip
_QUERY = re.compile(r"SELECT (.+) FROM (\w+) WHERE (\w+) IN \((.*)\)", re.S)


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "sf-cert.pem", folder / "sf-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class SalesforceServer:
    folder: Path
    client_id: str = "3MVG9-test-client"
    client_secret: str = "test-client-secret"
    version: str = "60.0"
    port: int = field(default_factory=free_port)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)  # by LeadPulse_Id__c
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Id
    upserted: list[dict[str, Any]] = field(default_factory=list)  # every Lead record saved
    contact_updates: list[dict[str, Any]] = field(default_factory=list)
    logins: int = 0

    def __post_init__(self) -> None:
        self.ca_path, key_path = _certificate(self.folder)
        self._tokens: set[str] = set()
        self._ids = itertools.count(1)
        data = f"/services/data/v{self.version}"
        app = Starlette(
            routes=[
                Route("/services/oauth2/token", self._token, methods=["POST"]),
                Route(f"{data}/sobjects/{{sobject}}/describe", self._describe, methods=["GET"]),
                Route(f"{data}/composite/sobjects/Lead/{{ext}}", self._upsert, methods=["PATCH"]),
                Route(f"{data}/composite/sobjects", self._update, methods=["PATCH"]),
                Route(f"{data}/query", self._query, methods=["GET"]),
                Route(f"{data}/query/", self._query, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ssl_certfile=str(self.ca_path),
            ssl_keyfile=str(key_path),
            # A client's idle TLS keep-alive connection must not hold up the test's exit.
            timeout_graceful_shutdown=1,
        )
        self._server = QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def expire_sessions(self) -> None:
        """Every token issued so far stops working (as a session timeout would)."""
        self._tokens.clear()

    def convert(self, lead_id: str) -> str:
        """Convert the Lead (as sales would): it becomes read-only; its Contact is returned."""
        lead = self.leads[lead_id]
        contact_id = f"003{next(self._ids):012d}"
        self.contacts[contact_id] = {
            "Id": contact_id,
            "Email": lead.get("Email"),
            "LastName": lead.get("LastName"),
            **{k: lead.get(k) for k in CUSTOM},
        }
        lead.update(IsConverted=True, ConvertedContactId=contact_id)
        return contact_id

    async def __aenter__(self) -> SalesforceServer:
        self._task = asyncio.create_task(self._server.serve())
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise AssertionError("the local Salesforce never started")
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task

    @staticmethod
    def _json(status: int, body: Any) -> Response:
        return Response(orjson.dumps(body), status, media_type="application/json")

    def _refused(self, request: Request) -> Response | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self._tokens:
            return None
        error = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        return self._json(401, error)

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return self._json(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return self._json(
                400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            )
        token = "00D" + secrets.token_hex(16)
        self._tokens.add(token)
        self.logins += 1
        return self._json(
            200,
            {
                "access_token": token,
                "instance_url": self.url,
                "id": f"{self.url}/id/00D000000000001/005000000000001",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": "test",
            },
        )

    async def _describe(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        sobject = request.path_params["sobject"]
        if sobject not in FIELDS:
            return self._json(404, [{"message": "no such object", "errorCode": "NOT_FOUND"}])
        return self._json(200, {"name": sobject, "fields": [{"name": f} for f in FIELDS[sobject]]})

    def _malformed(self, body: Any, sobject: str | None) -> Response | None:
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            return self._json(
                400, [{"message": "records required", "errorCode": "JSON_PARSER_ERROR"}]
            )
        if len(records) > 200:
            message = "record limit reached. cannot submit more than 200 records into this call"
            return self._json(400, [{"message": message, "errorCode": "EXCEEDED_ID_LIMIT"}])
        for record in records:
            kind = (record.get("attributes") or {}).get("type")
            if kind is None or (sobject is not None and kind != sobject):
                error = {
                    "message": "each record needs attributes.type",
                    "errorCode": "INVALID_TYPE",
                }
                return self._json(400, [error])
            unknown = sorted(set(record) - {"attributes", "id"} - set(FIELDS.get(kind, ())))
            if unknown:
                message = f"No such column '{unknown[0]}' on sobject of type {kind}"
                return self._json(400, [{"message": message, "errorCode": "INVALID_FIELD"}])
        return None

    async def _upsert(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        ext = request.path_params["ext"]
        body = orjson.loads(await request.body())
        bad = self._malformed(body, "Lead")
        if bad is not None:
            return bad
        return self._json(200, [self._upsert_one(record, ext) for record in body["records"]])

    def _upsert_one(self, record: dict[str, Any], ext: str) -> dict[str, Any]:
        key = record.get(ext)
        fields = {k: v for k, v in record.items() if k != "attributes"}
        existing = self.leads.get(key) if key else None
        if existing is None:
            missing = [f for f in ("LastName", "Company") if not fields.get(f)]
            if missing or not key:
                return _failure("REQUIRED_FIELD_MISSING", "Required fields are missing", missing)
            lead_id = f"00Q{next(self._ids):012d}"
            self.leads[key] = {"Id": lead_id, "IsConverted": False, **fields}
            self.upserted.append(fields)
            return {"id": lead_id, "success": True, "errors": [], "created": True}
        if existing.get("IsConverted"):
            return _failure("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
        existing.update(fields)
        self.upserted.append(fields)
        return {"id": existing["Id"], "success": True, "errors": [], "created": False}

    async def _update(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = orjson.loads(await request.body())
        bad = self._malformed(body, None)
        if bad is not None:
            return bad
        results = []
        for record in body["records"]:
            target = self.contacts.get(record.get("id", ""))
            if target is None or record["attributes"]["type"] != "Contact":
                results.append(_failure("ENTITY_IS_DELETED", "entity is deleted", []))
                continue
            fields = {k: v for k, v in record.items() if k not in ("attributes", "id")}
            target.update(fields)
            self.contact_updates.append(fields)
            results.append({"id": target["Id"], "success": True, "errors": []})
        return self._json(200, results)

    async def _query(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        match = _QUERY.fullmatch(request.query_params.get("q", "").strip())
        if match is None:
            return self._json(
                400, [{"message": "unsupported query", "errorCode": "MALFORMED_QUERY"}]
            )
        columns = [c.strip() for c in match.group(1).split(",")]
        sobject, where = match.group(2), match.group(3)
        values = re.findall(r"'((?:[^'\\]|\\.)*)'", match.group(4))
        table = self.leads.values() if sobject == "Lead" else self.contacts.values()
        rows = [
            {"attributes": {"type": sobject}, **{c: row.get(c) for c in columns}}
            for row in table
            if row.get(where) in values
        ]
        return self._json(200, {"totalSize": len(rows), "done": True, "records": rows})


def _failure(code: str, message: str, fields: list[str]) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"statusCode": code, "message": message, "fields": fields}],
    }
