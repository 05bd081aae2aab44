"""The hub's HTTP API for the sites' sync daemons (docs/sync-protocol.md; the OpenAPI document
is committed as docs/api/hub.openapi.json and a test keeps the two equal).

Rules every route keeps:

- a signed request (RFC 9421, ``auth.py``), except enrolment, ``OPTIONS /v1/blobs`` and
  ``/healthz``; the blob routes also take a bearer token;
- bodies are read with a bound before anything else (413), so a huge or endless body costs
  the hub nothing; JSON that is malformed or of the wrong shape is 400/422;
- every answer, a refusal too, carries ``Date`` from the hub's clock (the sites learn hub time
  from it) and a refusal is ``{"error": {"code", "message"}}`` in plain words;
- database work runs in worker threads; a database that is down is a 503 with
  ``Retry-After``, anything unforeseen a 500 with a plain message, never a traceback.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.protocol import tus
from sync.protocol.messages import (
    MAX_BATCH_BYTES,
    ChangesPage,
    EnrolAnswer,
    EnrolRequest,
    ErrorBody,
    Heartbeat,
    OpsAnswer,
    OpsBatch,
    Reconciliation,
    TokenAnswer,
)

from . import auth, blobs, changes, ops, schema
from .effects import Context
from .errors import Refused
from .errors import body as error_body
from .runtime import Hub
from .staff.routes import staff_router
from .times import http_date, iso

log = logging.getLogger(__name__)
VERSION = "0.1.0"
"""The software's version (``sync`` may not import ``kiosk.__version__``; a test keeps them
equal)."""
SMALL_BODY = 16 * 1024
HEARTBEAT_BODY = 256 * 1024
SHA256_PATH = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="sha256, hex")]
T = TypeVar("T")

_ERRORS = {status: {"model": ErrorBody} for status in (400, 401, 413, 415, 422, 503)}
_SIGNED = {"security": [{"signature": []}]}
_BLOB_AUTH = {"security": [{"signature": []}, {"blobToken": []}]}


def _json_body(model: type[BaseModel], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(extra or {}), "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


# --- what a request brings ---------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The body as sent, at most ``limit`` bytes (413 beyond, whatever Content-Length said)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Refused:
    return Refused(413, "too_large", f"请求太大 / the body is larger than {limit} bytes")


def facts(request: Request, body: bytes | None) -> auth.RequestFacts:
    headers: dict[str, str] = {}
    for name, value in request.scope["headers"]:
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    return auth.RequestFacts(request.method, raw_path.decode("latin-1"),
                             request.scope.get("query_string", b"").decode("latin-1"),
                             headers, body)


def _json(data: bytes) -> Any:
    return ops.read_json(data)


def _model(model: type[BaseModel], value: Any) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['type']}"
                          for e in exc.errors()[:5])
        raise Refused(422, "invalid", f"请求内容不对 / invalid request: {where}") from None


def _check_json_type(request: Request) -> None:
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refused(415, "unsupported_media_type", "请求内容须是 JSON / send application/json")


# --- the Date header on every answer -----------------------------------------------------


class HubHeaders:
    """ASGI middleware: ``Date`` from the hub's clock on every answer (uvicorn's own is off),
    ``Tus-Resumable`` on the blob routes, and a plain 500 for anything unforeseen (so even
    that answer has a ``Date``)."""

    def __init__(self, app: ASGIApp, clock: Callable[[], float]):
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tus_route = scope["path"].startswith("/v1/blobs")
        started = False

        async def stamped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", http_date(self.clock()).encode()))
                if tus_route:
                    headers.append((b"tus-resumable", tus.VERSION.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        except ClientDisconnect:
            return
        except Exception:
            log.exception("hub error")
            if started:
                raise
            answer = JSONResponse(error_body("hub_error", "中心出错，请稍后重试 / the hub "
                                                          "failed; try again later"), 500)
            await answer(scope, receive, stamped)


# --- the app -----------------------------------------------------------------------------


def create_app(hub: Hub | None) -> FastAPI:
    """The API on ``hub``; ``None`` gives an app that only serves its OpenAPI document."""
    app = FastAPI(title="便民 county hub / 县级汇聚中心", version=VERSION,
                  description="The sync protocol's county side (docs/sync-protocol.md).")

    def run(work: Callable[..., T], *args: Any) -> Awaitable[T]:
        return run_in_threadpool(work, *args)

    def now() -> float:
        assert hub is not None
        return hub.clock()

    def need() -> Hub:
        assert hub is not None, "the spec-only app serves no requests"
        return hub

    async def signed(request: Request, limit: int) -> tuple[str, bytes]:
        body = await read_body(request, limit)
        site = await run(auth.signed_site, need().db, facts(request, body), now())
        return site, body

    def context(site: str) -> Context:
        h = need()
        return Context(h.db, h.settings, site, h.clock())

    @app.get("/healthz", tags=["health"], summary="Liveness for a load balancer (not signed)")
    async def health() -> dict[str, Any]:
        return {"ok": True, "hub_time": iso(now()), "version": VERSION}

    @app.post("/v1/enrol", tags=["identity"], status_code=201, response_model=EnrolAnswer,
              responses={**_ERRORS, 403: {"model": ErrorBody}},
              openapi_extra=_json_body(EnrolRequest),
              summary="Enrol a site with a one-time code (not signed)")
    async def enrol(request: Request) -> JSONResponse:
        _check_json_type(request)
        wanted = _model(EnrolRequest, _json(await read_body(request, SMALL_BODY)))

        def work() -> dict[str, Any]:
            h = need()
            moment = h.clock()
            with h.db.write() as conn:
                key_id = auth.enrol(conn, wanted, moment)
            return {"site": wanted.site, "key_id": key_id, "hub_time": iso(moment)}

        return JSONResponse(await run(work), 201)

    @app.post("/v1/tokens", tags=["identity"], response_model=TokenAnswer,
              responses=_ERRORS, openapi_extra=_SIGNED,
              summary="A bearer token for the blob endpoints (signed)")
    async def token(request: Request) -> dict[str, Any]:
        site, _ = await signed(request, SMALL_BODY)

        def work() -> dict[str, Any]:
            h = need()
            moment = h.clock()
            with h.db.write() as conn:
                made, expires = auth.issue_token(conn, site, moment, h.settings.token_minutes)
            return {"token": made, "expires_at": iso(expires)}

        return await run(work)

    @app.post("/v1/ops", tags=["push"], response_model=OpsAnswer, responses=_ERRORS,
              response_model_exclude_unset=True,
              openapi_extra=_json_body(OpsBatch, _SIGNED),
              summary="Apply a batch of ops, each exactly once (signed; gzip accepted)")
    async def push(request: Request) -> dict[str, Any]:
        site, raw = await signed(request, MAX_BATCH_BYTES)
        _check_json_type(request)
        data = ops.inflate(raw, request.headers.get("content-encoding"))
        batch = ops.parse_batch(data)
        results = await run(ops.apply_batch, context(site), batch)
        return {"results": results, "hub_time": iso(now())}

    @app.post("/v1/heartbeat", tags=["push"], responses=_ERRORS,
              openapi_extra=_json_body(Heartbeat, _SIGNED),
              summary="The site's version, sync status and health (signed)")
    async def heartbeat(request: Request) -> dict[str, Any]:
        site, raw = await signed(request, HEARTBEAT_BODY)
        _check_json_type(request)
        beat = _model(Heartbeat, _json(ops.inflate(raw, request.headers.get("content-encoding"))))

        def work() -> dict[str, Any]:
            h = need()
            moment = h.clock()
            backlog = beat.status.get("outbox_pending")
            with h.db.write() as conn:
                conn.execute(sa.update(schema.sites).where(schema.sites.c.code == site).values(
                    version=beat.version, heartbeat_at=moment, last_seen=moment,
                    status=changes.dumps(beat.status), health=changes.dumps(beat.health),
                    backlog=backlog if isinstance(backlog, int) and not isinstance(
                        backlog, bool) and 0 <= backlog < 2**31 else None))
            return {"hub_time": iso(moment)}

        return await run(work)

    @app.get("/v1/changes/{stream}", tags=["pull"], response_model=ChangesPage,
             responses={**_ERRORS, 404: {"model": ErrorBody}, 410: {"model": ErrorBody}},
             openapi_extra=_SIGNED, summary="One page of a pull stream (signed)")
    async def pull(request: Request,
                   stream: Annotated[str, Path(max_length=32, description=(
                       "catalogue, case_status, appointments or rectifications"))],
                   cursor: Annotated[str | None, Query(max_length=64)] = None,
                   handle: Annotated[str | None, Query(max_length=64)] = None,
                   limit: Annotated[int | None, Query(ge=1, le=500)] = None,
                   ) -> dict[str, Any]:
        site, _ = await signed(request, 0)
        return await run(lambda: changes.page(need().db, site, stream, cursor=cursor,
                                              handle=handle, limit=limit))

    @app.get("/v1/reconcile", tags=["pull"], response_model=Reconciliation, responses=_ERRORS,
             openapi_extra=_SIGNED,
             summary="How many of the site's ops in a seq range the hub holds, and their hash")
    async def reconcile(request: Request,
                        from_seq: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                        to_seq: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                        ) -> dict[str, Any]:
        site, _ = await signed(request, 0)
        return await run(changes.reconcile, need().db, site, from_seq, to_seq)

    # --- tus ---------------------------------------------------------------------------

    def tus_version(request: Request) -> None:
        asked = request.headers.get("tus-resumable")
        if asked is not None and asked.strip() != tus.VERSION:
            raise Refused(412, "tus_version", f"只支持 tus {tus.VERSION} / only tus "
                                              f"{tus.VERSION} is supported",
                          headers={"Tus-Version": tus.VERSION})

    async def blob_site(request: Request, body: bytes | None) -> str:
        tus_version(request)
        return await run(auth.blob_site, need().db, facts(request, body), now())

    def upload_headers(upload: blobs.Upload) -> dict[str, str]:
        headers = {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length),
                   "Cache-Control": "no-store"}
        if not upload.final and upload.expires_at is not None:
            headers["Upload-Expires"] = http_date(upload.expires_at)
        return headers

    @app.options("/v1/blobs", tags=["blobs"], status_code=204, response_class=Response,
                 summary="tus: the versions, extensions and checksums the hub supports")
    async def blob_options() -> Response:
        return Response(status_code=204, headers=blobs.options_headers(need().settings))

    @app.post("/v1/blobs", tags=["blobs"], status_code=201, response_class=Response,
              responses={**_ERRORS, 412: {"model": ErrorBody}}, openapi_extra=_BLOB_AUTH,
              summary="tus creation: the upload of the blob named by its sha256 metadata")
    async def blob_create(request: Request) -> Response:
        body = await read_body(request, SMALL_BODY)
        site = await blob_site(request, body)
        headers = {k.lower(): v for k, v in request.headers.items()}
        upload = await run(blobs.create, need().db, need().settings, site, headers, now())
        return Response(status_code=201, headers={
            "Location": f"/v1/blobs/{upload.sha256}", **upload_headers(upload)})

    @app.head("/v1/blobs/{sha256}", tags=["blobs"], response_class=Response,
              responses={404: {"model": ErrorBody}, 410: {"model": ErrorBody}},
              openapi_extra=_BLOB_AUTH, summary="tus: where an upload stands")
    async def blob_head(request: Request, sha256: str) -> Response:
        site = await blob_site(request, None)
        upload = await run(blobs.status, need().db, site, sha256, now())
        return Response(status_code=200, headers=upload_headers(upload))

    @app.patch("/v1/blobs/{sha256}", tags=["blobs"], status_code=204, response_class=Response,
               responses={**_ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody},
                          410: {"model": ErrorBody}, 460: {"model": ErrorBody}},
               openapi_extra={**_BLOB_AUTH, "requestBody": {"required": True, "content": {
                   tus.OFFSET_CONTENT_TYPE: {"schema": {"type": "string",
                                                        "format": "binary"}}}}},
               summary="tus: append one chunk at Upload-Offset")
    async def blob_patch(request: Request, sha256: str) -> Response:
        body = await read_body(request, need().settings.max_chunk_bytes)
        site = await blob_site(request, body)
        headers = {k.lower(): v for k, v in request.headers.items()}
        upload = await run(blobs.append, need().db, need().settings, site, sha256, headers,
                           body, now())
        return Response(status_code=204, headers=upload_headers(upload))

    @app.get("/v1/blobs/{sha256}", tags=["blobs"], response_class=Response,
             responses={200: {"content": {"application/octet-stream": {}}},
                        404: {"model": ErrorBody}}, openapi_extra=_BLOB_AUTH,
             summary="Download a final blob (a result document)")
    async def blob_get(request: Request, sha256: SHA256_PATH) -> Response:
        site = await blob_site(request, None)
        h = need()
        upload = await run(blobs.final_for, h.db, site, sha256)
        return StreamingResponse(blobs.read_chunks(h.db, sha256), media_type=upload.media_type,
                                 headers={"Content-Length": str(upload.length),
                                          "Repr-Digest": _repr_digest(upload.sha256),
                                          "Cache-Control": "no-store"})

    # --- refusals ----------------------------------------------------------------------

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        # The code also goes in a header: an answer to HEAD (tus) has no body to carry it.
        return JSONResponse(error_body(exc.code, exc.message, **exc.extra), exc.status,
                            headers={**exc.headers, "Bianmin-Error": exc.code})

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: "
                          f"{e.get('type', 'invalid')}" for e in exc.errors()[:5])
        return JSONResponse(error_body("invalid", f"请求不对 / invalid request: {where}"), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        words = {404: ("not_found", "没有这个地址 / no such address"),
                 405: ("method_not_allowed", "不支持此方法 / method not allowed")}
        code, message = words.get(exc.status_code, ("http_error", str(exc.detail)))
        return JSONResponse(error_body(code, message), exc.status_code,
                            headers=dict(exc.headers or {}))

    @app.exception_handler(sa.exc.OperationalError)
    @app.exception_handler(sa.exc.TimeoutError)
    async def database_down(_: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s %s", type(exc).__name__,
                  getattr(getattr(exc, "orig", None), "sqlstate", ""), exc_info=exc)
        return JSONResponse(error_body("unavailable", "中心数据库暂时不可用 / the hub's database "
                                                      "is unavailable; try again later"), 503,
                            headers={"Retry-After": "5"})

    app.include_router(staff_router(hub))
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    if hub is not None:
        app.add_middleware(HubHeaders, clock=hub.clock)
    return app


def _repr_digest(sha: str) -> str:
    """RFC 9530 ``Repr-Digest`` of a final blob: the client can check what it received."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha)).decode()}:"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the bodies the hub reads itself (bounded, gzip, signed) and
    the two ways of authenticating."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes)
    _, defs = models_json_schema([(m, "validation") for m in (EnrolRequest, OpsBatch, Heartbeat)],
                                 ref_template="#/components/schemas/{model}")
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update(defs.get("$defs", {}))
    components["securitySchemes"] = {
        "signature": {"type": "apiKey", "in": "header", "name": "Signature",
                      "description": "RFC 9421 HTTP Message Signature with Ed25519, with "
                                     "Signature-Input, Content-Digest (RFC 9530) and "
                                     "Bianmin-Site (docs/sync-protocol.md)"},
        "blobToken": {"type": "http", "scheme": "bearer",
                      "description": "A token from POST /v1/tokens (blob routes only)"},
    }
    app.openapi_schema = spec
    return spec
