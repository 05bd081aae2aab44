"""The staff pages' routes under ``/staff/`` (not in the OpenAPI document: they are pages for
people, not the sync contract).

Rules every page keeps:

- a session (``sessions.py``) or a redirect to the login page; every POST carries the
  session's CSRF token in its form, or is refused with 403 in plain words;
- bodies are read with a bound before anything is parsed (413 beyond);
- answers are never cached and carry a Content-Security-Policy that allows nothing but this
  hub's own stylesheet and forms (no script at all), so a string a site sent (escaped by the
  templates anyway) could not run even if it slipped through;
- a refusal is the page again with the plain message; anything unforeseen is a plain page
  (500), logged by its kind only: payloads and forms carry personal data.
"""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from collections.abc import Awaitable, Callable, Iterator
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import jinja2
import markupsafe
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from sync.hub import blobs, schema
from sync.hub.admin import AdminError
from sync.hub.runtime import Hub
from sync.hub.times import iso

from . import accounts, queries, sessions, uploads, views
from .display import (
    COUNTY_STATUS,
    LEVELS,
    RECTIFICATION_STAGE,
    RECTIFICATION_STATUS,
    local_time,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

SESSION_COOKIE = "bm_staff"
LOGIN_COOKIE = "bm_staff_login"
SMALL_FORM = 16 * 1024
UPLOAD_FORM = uploads.RESULT_MAX_BYTES + 64 * 1024
PAGE_SIZE = 100
SHA256 = re.compile(r"^[0-9a-f]{64}$")
RATING_DAYS = 30

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

CASE_SAID = {"review": "已记录审核 / review recorded", "done": "已办结 / marked done",
             "return": "已退回 / returned to the site"}
CASE_FILTERS = {"": ("全部 / all", {}),
                "open": ("待办 / to do", {"open_only": True}),
                "in_review": (COUNTY_STATUS["in_review"], {"county_status": "in_review"}),
                "done": (COUNTY_STATUS["done"], {"county_status": "done"}),
                "returned": (COUNTY_STATUS["returned"], {"county_status": "returned"})}

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("sync.hub.staff", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_templates.filters["segment"] = lambda value: quote(str(value), safe="")
"""A path segment: a site's case id could hold a ``/`` or a ``?``."""


def _bilingual(value: object) -> markupsafe.Markup:
    """``已受理 / accepted`` with the English quieter, so the Chinese is what the eye finds."""
    zh, sep, en = str(value).partition(" / ")
    if not sep:
        return markupsafe.escape(value)
    return markupsafe.Markup('{}<span class="en"> / {}</span>').format(zh, en)


_templates.filters["bi"] = _bilingual


# --- how a page ends other than by showing itself ---------------------------------------------


class Problem(Exception):
    """Stop and show a plain page: ``status`` with ``message`` (中文 / English)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class NeedLogin(Exception):
    """No live session: go to the login page, and come back to ``back`` afterwards."""

    def __init__(self, back: str, expired: bool = False):
        super().__init__(back)
        self.back = back
        self.expired = expired


def render(name: str, code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("session", None)
    context.setdefault("said", "")
    context.setdefault("problem", "")
    context.setdefault("nav", "")
    html = _templates.get_template(name).render(**context)
    return HTMLResponse(html, code, headers=PAGE_HEADERS)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, 303, headers={"Cache-Control": "no-store"})


def _back_to(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _page_of(path: str) -> str:
    """Where a POST's page is, to come back to after signing in again (the form is lost)."""
    if path.startswith("/staff/cases/"):
        return path
    return "/staff/ratings" if path.startswith("/staff/ratings") else "/staff/"


def safe_next(value: object) -> str:
    """Only a path of these pages: never another site (an open redirect)."""
    if (isinstance(value, str) and value.startswith("/staff/") and "\\" not in value
            and "//" not in value and len(value) < 512 and value.isprintable()):
        return value
    return "/staff/"


class StaffRoute(APIRoute):
    """Turns :class:`Problem`, :class:`NeedLogin`, a database that is down and anything
    unforeseen into pages, before the app's JSON handlers (made for the sites) see them."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except NeedLogin as exc:
                query = {"next": exc.back, **({"expired": "1"} if exc.expired else {})}
                return see_other(f"/staff/login?{urlencode(query)}")
            except Problem as exc:
                return render("problem.html", exc.status, message=exc.message)
            except (sa.exc.OperationalError, sa.exc.TimeoutError) as exc:
                log.error("staff page: database unavailable (%s)", type(exc).__name__)
                return render("problem.html", 503, message="中心数据库暂时不可用，请稍后再试 / "
                                                           "the hub's database is unavailable; "
                                                           "try again later")
            except Exception as exc:
                # where and of what kind, never the message: it may quote a payload or a
                # form (personal data)
                where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
                log.error("staff page %s failed: %s at\n%s", self.path, type(exc).__name__,
                          where)
                return render("problem.html", 500, message="中心出错，请稍后重试 / the hub "
                                                           "failed; try again later")

        return handler


# --- reading what a browser sends -------------------------------------------------------------


async def read_form(request: Request, limit: int) -> FormData:
    """The form, its body read with a bound first (413 beyond, whatever Content-Length
    said), at most one file."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_files=1, max_fields=20)
    except Exception:  # malformed multipart: python-multipart's and starlette's own errors
        raise Problem(400, "表单内容不对 / the form could not be read") from None


def _too_large(limit: int) -> Problem:
    return Problem(413, f"提交的内容太大（最大 {limit // (1024 * 1024) or 1} MB）/ what was sent "
                        f"is too large (at most {limit // (1024 * 1024) or 1} MB)")


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > limit:
        raise Problem(400, f"填写的内容太长（最多 {limit} 字）/ the text is too long (at most "
                           f"{limit} characters)")
    return value.strip()


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _cookie(response: Response, request: Request, name: str, value: str,
            max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/staff", httponly=True,
                        samesite="strict", secure=_secure(request))


# --- the router -------------------------------------------------------------------------------


def staff_router(hub: Hub | None) -> APIRouter:
    """The staff pages on ``hub`` (None: the spec-only app, which serves no page)."""
    router = APIRouter(prefix="/staff", route_class=StaffRoute, include_in_schema=False)

    def need() -> Hub:
        if hub is None:
            raise Problem(503, "没有中心数据库 / no hub database behind this app")
        return hub

    def run(work: Callable[..., T], *args: Any, **kwargs: Any) -> Awaitable[T]:
        return run_in_threadpool(work, *args, **kwargs)

    def zone() -> str:
        return need().settings.timezone

    async def current(request: Request) -> sessions.Session | None:
        h = need()
        return await run(sessions.find, h.db, request.cookies.get(SESSION_COOKIE), h.clock())

    async def signed_in(request: Request) -> sessions.Session:
        session = await current(request)
        if session is None:
            raise NeedLogin(_back_to(request) if request.method == "GET"
                            else _page_of(request.url.path),
                            expired=SESSION_COOKIE in request.cookies)
        return session

    async def posted(request: Request, limit: int = SMALL_FORM,
                     ) -> tuple[sessions.Session, FormData]:
        """The session and the form of a POST whose CSRF token is right; 403 otherwise."""
        session = await signed_in(request)
        form = await read_form(request, limit)
        if not sessions.csrf_ok(session, form.get("csrf")):
            raise Problem(403, "表单已失效或来源不明，请回到页面重新提交 / the form is stale or "
                               "did not come from these pages (CSRF token missing or wrong); "
                               "go back, reload the page and send it again")
        return session, form

    def page(name: str, session: sessions.Session, code: int = 200,
             **context: Any) -> HTMLResponse:
        h = need()
        return render(name, code, session=session, csrf=session.csrf,
                      now_text=local_time(h.clock(), zone()), **context)

    # --- signing in and out -------------------------------------------------------------

    @router.get("/login")
    async def login_page(request: Request) -> Response:
        if await current(request) is not None:
            return see_other(safe_next(request.query_params.get("next")))
        said = ("会话已过期，请重新登录 / your session ended; sign in again"
                if request.query_params.get("expired") else "")
        return _login_form(request, said=said)

    def _login_form(request: Request, *, problem: str = "", said: str = "",
                    status: int = 200, user: str = "") -> Response:
        nonce = secrets.token_urlsafe(24)
        answer = render("login.html", status, csrf=nonce, problem=problem, said=said,
                        user=user, next=safe_next(request.query_params.get("next")),
                        now_text=local_time(need().clock(), zone()))
        _cookie(answer, request, LOGIN_COOKIE, nonce, 3600)
        return answer

    @router.post("/login")
    async def login(request: Request) -> Response:
        h = need()
        form = await read_form(request, SMALL_FORM)
        # login CSRF: the form must come with the cookie this hub set with it (double submit)
        given, expected = form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")
        if not (isinstance(given, str) and expected
                and secrets.compare_digest(given.encode(), expected.encode())):
            return _login_form(request, status=403, problem=(
                "登录表单已失效，请重新登录 / the sign-in form is stale (or cookies are off); "
                "sign in again"))
        user = _text(form, "user", 64)
        password = form.get("password")
        try:
            who = await run(accounts.sign_in, h.db, user,
                            password if isinstance(password, str) else "", h.clock())
        except accounts.LoginRefused as exc:
            log.info("staff sign-in refused")
            return _login_form(request, problem=exc.message, user=user)
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await run(sessions.end, h.db, old)
        session = await run(sessions.start, h.db, who, h.clock())
        log.info("staff %s signed in", who)
        answer = see_other(safe_next(form.get("next")))
        _cookie(answer, request, SESSION_COOKIE, session.token, None)
        answer.delete_cookie(LOGIN_COOKIE, path="/staff")
        return answer

    @router.api_route("/logout", methods=["GET", "POST"])
    async def logout(request: Request) -> Response:
        h = need()
        if request.method == "POST":
            session = await current(request)
            if session is not None:
                form = await read_form(request, SMALL_FORM)
                if not sessions.csrf_ok(session, form.get("csrf")):
                    raise Problem(403, "表单已失效，请重新提交 / the form is stale (CSRF token "
                                       "missing or wrong)")
        # a GET cannot come from another site with the cookie (SameSite=Strict)
        await run(sessions.end, h.db, request.cookies.get(SESSION_COOKIE))
        answer = see_other("/staff/login")
        answer.delete_cookie(SESSION_COOKIE, path="/staff")
        return answer

    @router.get("/static/staff.css")
    async def stylesheet() -> Response:
        css = resources.files("sync.hub.staff").joinpath("static/staff.css").read_bytes()
        return Response(css, media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "max-age=3600",
                                 "X-Content-Type-Options": "nosniff"})

    # --- sites --------------------------------------------------------------------------

    @router.get("/")
    async def sites(request: Request) -> Response:
        session = await signed_in(request)
        h = need()
        found = await run(h.admin.sites)
        rows = views.site_rows(found, h.clock(), zone())
        return page("sites.html", session, nav="sites", rows=rows,
                    attention=[r["code"] for r in rows if r["problems"]])

    # --- cases --------------------------------------------------------------------------

    @router.get("/cases")
    async def cases(request: Request) -> Response:
        session = await signed_in(request)
        h = need()
        params = request.query_params
        site = params.get("site", "")[:32]
        wanted = params.get("status", "open")
        if wanted not in CASE_FILTERS:
            wanted = "open"
        number = params.get("page", "1")
        page_no = int(number) if number.isdigit() and 0 < int(number) < 10_000 else 1
        found = await run(lambda: h.admin.cases(
            site=site or None, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE,
            **CASE_FILTERS[wanted][1]))
        more = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE]
        masked = await run(queries.masked_applicants, h.db,
                           [(c["site"], c["case_id"]) for c in found])
        names = await run(queries.catalogue_names, h.db)
        rows = [views.case_row(c, masked.get((c["site"], c["case_id"]), {}), names, zone())
                for c in found]
        codes = [s["site"] for s in await run(h.admin.sites)]

        def link(to_page: int) -> str:
            return "/staff/cases?" + urlencode({"site": site, "status": wanted,
                                                "page": to_page})

        return page("cases.html", session, nav="cases", rows=rows, sites=codes, site=site,
                    wanted=wanted, filters={k: v[0] for k, v in CASE_FILTERS.items()},
                    page_no=page_no, previous=link(page_no - 1) if page_no > 1 else "",
                    next_page=link(page_no + 1) if more else "")

    async def case_page(session: sessions.Session, site: str, case_id: str, *,
                        status: int = 200, problem: str = "", said: str = "") -> Response:
        h = need()
        try:
            found = await run(h.admin.case, site, case_id)
        except AdminError as exc:
            raise Problem(404, str(exc)) from None
        names = await run(queries.catalogue_names, h.db)
        return page("case.html", session, status, nav="cases",
                    case=views.case_view(found, names, zone()), problem=problem, said=said,
                    max_mb=uploads.RESULT_MAX_BYTES // (1024 * 1024))

    @router.get("/cases/{site}/{case_id}")
    async def case(request: Request, site: str, case_id: str) -> Response:
        session = await signed_in(request)
        return await case_page(session, site, case_id,
                               said=CASE_SAID.get(request.query_params.get("said", ""), ""))

    @router.post("/cases/{site}/{case_id}")
    async def move_case(request: Request, site: str, case_id: str) -> Response:
        h = need()
        try:
            session, form = await posted(request, UPLOAD_FORM)
        except Problem as exc:
            if exc.status != 413:
                raise
            session = await signed_in(request)
            return await case_page(session, site, case_id, status=413, problem=exc.message)
        action = _text(form, "action", 20)
        note = _text(form, "note")
        result = None
        try:
            if action == "return" and not note:
                raise uploads.UploadRefused("退回须写明原因 / a return needs its reason")
            upload = form.get("result")
            if action == "done" and isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(uploads.RESULT_MAX_BYTES + 1)
                result = uploads.check_result(data, upload.filename)
        except uploads.UploadRefused as exc:
            return await case_page(session, site, case_id, status=exc.status, problem=str(exc))
        try:
            await run(h.admin.move_case, site, case_id, action, session.user, note, result)
        except AdminError as exc:
            return await case_page(session, site, case_id, status=409, problem=str(exc))
        log.info("staff %s: case %s %s", session.user, case_id, action)
        return see_other(f"/staff/cases/{quote(site, safe='')}/{quote(case_id, safe='')}"
                         f"?said={action}")

    # --- pages and result documents -------------------------------------------------------

    @router.get("/blobs/{sha256}")
    async def blob(request: Request, sha256: str) -> Response:
        await signed_in(request)
        h = need()
        if not SHA256.match(sha256):
            raise Problem(404, "没有这个文件 / no such file")
        found = await run(_final_blob, h, sha256)
        if found is None:
            raise Problem(404, "中心没有这个文件（可能尚未上传或已丢失）/ the hub does not have "
                               "this file (not uploaded yet, or lost)")
        length, chunks, first = found
        kind = uploads.sniff(first)
        headers = {"Content-Length": str(length), "Cache-Control": "private, no-store",
                   "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
        if kind is None:
            headers["Content-Disposition"] = f'attachment; filename="{sha256[:16]}.bin"'
            headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        else:
            extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
            headers["Content-Disposition"] = (f'inline; filename="{sha256[:16]}.'
                                              f'{extension[kind]}"')
            if kind != "application/pdf":  # a sandboxed PDF is refused by Chromium's viewer
                headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"

        def stream() -> Iterator[bytes]:
            yield first
            yield from chunks

        return StreamingResponse(stream(), media_type=kind or "application/octet-stream",
                                 headers=headers)

    # --- ratings and their rectification ---------------------------------------------------

    @router.get("/ratings")
    async def ratings(request: Request) -> Response:
        session = await signed_in(request)
        return await ratings_page(session, closed=request.query_params.get("closed") == "1",
                                  said="已记录 / step recorded"
                                  if request.query_params.get("said") == "moved" else "")

    async def ratings_page(session: sessions.Session, *, closed: bool = False,
                           status: int = 200, problem: str = "", said: str = "") -> Response:
        h = need()
        now = h.clock()
        since = iso(now - RATING_DAYS * 86400) or ""
        counts = await run(queries.ratings_by_level, h.db, since)
        tasks = await run(lambda: h.admin.rectifications(open_only=not closed))
        return page("ratings.html", session, status, nav="ratings",
                    levels=[LEVELS[level] for level in LEVELS],
                    table=views.level_table(counts), days=RATING_DAYS,
                    tasks=views.rectification_rows(tasks, now, zone()), closed=closed,
                    stages={k: v for k, v in RECTIFICATION_STAGE.items() if k},
                    statuses=RECTIFICATION_STATUS, problem=problem, said=said)

    @router.post("/ratings/{site}/{task_id}")
    async def move_rectification(request: Request, site: str, task_id: str) -> Response:
        h = need()
        session, form = await posted(request)
        stage, status, note = _text(form, "stage", 40), _text(form, "status", 40), \
            _text(form, "note")
        problem = ""
        if stage not in RECTIFICATION_STAGE or not stage:
            problem = "请选择环节 / choose a stage"
        elif status not in RECTIFICATION_STATUS:
            problem = "请选择状态 / choose a status"
        elif not note:
            problem = "请填写处理说明 / a note is needed"
        if not problem:
            try:
                await run(h.admin.move_rectification, site, task_id, stage, status,
                          session.user, note)
            except AdminError as exc:
                problem = str(exc)
        if problem:
            return await ratings_page(session, status=400, problem=problem)
        log.info("staff %s: rectification %s to %s/%s", session.user, task_id, stage, status)
        return see_other(f"/staff/ratings?said=moved#r-{quote(task_id, safe='')}")

    # --- 办不成事 ---------------------------------------------------------------------------

    @router.get("/unresolved")
    async def unresolved(request: Request) -> Response:
        session = await signed_in(request)
        h = need()
        found = await run(lambda: h.admin.unresolved(open_only=True))
        names = await run(queries.catalogue_names, h.db)
        return page("unresolved.html", session, nav="unresolved",
                    rows=views.unresolved_rows(found, names, h.clock(), zone()))

    return router


def _final_blob(hub: Hub, sha: str) -> tuple[int, Iterator[bytes], bytes] | None:
    """``(length, the chunks after the first, the first chunk)`` of a final blob; None when
    the hub has no final blob of that hash."""
    b = schema.blobs
    with hub.db.read() as conn:
        row = conn.execute(sa.select(b.c.length).where(b.c.sha256 == sha,
                                                       b.c.state == "final")).first()
    if row is None:
        return None
    chunks = blobs.read_chunks(hub.db, sha)
    first = next(chunks, b"")
    return int(row.length), chunks, first
