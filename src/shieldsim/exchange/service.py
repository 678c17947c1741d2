"""The exchange service: FastAPI over ``store.Store``, one partner's released view per token.

Routes: ``GET /health`` (no token); under ``/api/`` every route needs ``Authorization: Bearer
TOKEN`` (401 without one or with an unknown one): ``POST /api/events`` publishes (a publisher
partner's token, else 403; 201 stored, 200 already stored, 409 same id with other content, 422
a malformed event with a one-line reason), ``GET /api/events`` is the partner's history
(``?since=EVENT_ID&limit=N``) and ``GET /api/stream`` its Server-Sent Events stream (each
message's ``id:`` is the event id; ``Last-Event-ID`` or ``?since=`` resumes after it). Asking
for another partner's view (``?partner=``) is 403.

Delivery: a stream first sends the partner's stored releases after the resume point (from the
database), then follows new ones as they are published in this process (an in-memory tail,
appended after each commit, each message formatted once for all streams). Every ``POLL_S``
one task reads the database's highest position; beyond what this process published, another
server process on the same database published, and the streams re-read the database, so they
miss nothing. Positions only increase, so nothing is sent twice on one connection.
"""

import asyncio
import contextlib
import json
import time

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..errors import ScenarioError
from .messages import parse_event
from .policy import Policy, policies as load_policies
from .store import Conflict, Store

POLL_S = 2.0  #: the database is checked this often for events other processes published
AUDIT_FLUSH_S = 0.5  #: deliveries are written to the audit log in batches this often


def _message(seq: int, body: str) -> tuple[int, str, str]:
    """(seq, event id, the SSE message) of one released view, formatted once for every stream."""
    view = json.loads(body)
    return seq, view["event_id"], f"id: {view['event_id']}\nevent: {view['kind']}\ndata: {body}\n\n"


class _Tail:
    """The releases published by this process, per partner, in order; wakes waiting streams."""

    def __init__(self):
        self.items: dict[str, list[tuple[int, str, str]]] = {}
        self.changed = asyncio.Event()
        self.last_seq = 0  #: the highest position this process knows of
        self.outside = 0  #: bumped when the database holds events this process did not publish

    def _wake(self) -> None:
        ev, self.changed = self.changed, asyncio.Event()
        ev.set()

    def add(self, seq: int, views: dict[str, str]) -> None:
        for p, body in views.items():
            self.items.setdefault(p, []).append(_message(seq, body))
        self.last_seq = max(self.last_seq, seq)
        self._wake()

    def saw(self, db_last_seq: int) -> None:
        """The database's highest position: beyond ours, another process published; streams re-read."""
        if db_last_seq > self.last_seq:
            self.last_seq = db_last_seq
            self.outside += 1
            self._wake()

    def after(self, partner: str, seq: int) -> list[tuple[int, str, str]]:
        lst = self.items.get(partner, [])
        lo, hi = 0, len(lst)  # first index with position > seq
        while lo < hi:
            mid = (lo + hi) // 2
            if lst[mid][0] <= seq:
                lo = mid + 1
            else:
                hi = mid
        return lst[lo:]


class _Exchange:
    """One app's state: the policies, the store, the in-memory tail, the audit rows not yet
    written and the tokens already checked."""

    def __init__(self, db: str, policy_files=()):
        self.table: dict[str, Policy] = load_policies(policy_files)
        self.store = Store(db)
        self._tail: _Tail | None = None
        self.audit_rows: list[dict] = []
        self.tokens: dict[str, str] = {}

    def tail(self) -> _Tail:
        if self._tail is None:
            self._tail = _Tail()
        return self._tail

    @contextlib.asynccontextmanager
    async def lifespan(self, _app):
        self.tail().last_seq = self.store.last_seq()
        tasks = [asyncio.create_task(self.flush_audit()), asyncio.create_task(self.watch_database())]
        yield
        for t in tasks:
            t.cancel()
        rows, self.audit_rows = self.audit_rows, []
        self.store.record_deliveries(rows)
        self.store.close()

    async def watch_database(self):
        while True:
            await asyncio.sleep(POLL_S)
            try:
                self.tail().saw(await run_in_threadpool(self.store.last_seq))
            except Exception:  # noqa: BLE001 - a database hiccup: try again at the next poll
                pass

    async def flush_audit(self):
        while True:
            await asyncio.sleep(AUDIT_FLUSH_S)
            rows, self.audit_rows = self.audit_rows, []
            if rows:
                await run_in_threadpool(self.store.record_deliveries, rows)

    def audit(self, partner: str, action: str, event_ids: list[str]) -> None:
        now = time.time()
        tag = self.table[partner].tag
        self.audit_rows.extend({"at": now, "partner": partner, "action": action, "event_id": eid, "policy": tag}
                               for eid in event_ids)

    async def resume_seq(self, since: str | None) -> int:
        if since is None or since == "":
            return 0
        seq = await run_in_threadpool(self.store.seq_of, since)
        if seq is None:
            raise HTTPException(422, f"since: unknown event id {since[:80]!r}")
        return seq

    async def messages(self, request: Request, me: str, after: int):
        """The SSE stream of ``me``'s releases after position ``after``: the backlog from the
        database, then the tail, re-reading the database when another process published."""
        yield f": shieldsim exchange stream for {me}\nretry: 1000\n\n"
        backlog = True
        outside = self.tail().outside
        while True:
            waiter = self.tail().changed
            if self.tail().outside != outside:  # another process published: read the database
                outside, backlog = self.tail().outside, True
            if backlog:
                rows = await run_in_threadpool(self.store.views_after, me, after, 1000)
                backlog = len(rows) == 1000
                rows = [_message(seq, body) for seq, body in rows]
            else:
                rows = self.tail().after(me, after)
            out, sent = [], []
            for seq, eid, message in rows:
                if seq <= after:
                    continue
                after = seq
                out.append(message)
                sent.append(eid)
            if out:
                self.audit(me, "stream", sent)
                yield "".join(out)
                continue
            if await request.is_disconnected():
                return
            try:
                await asyncio.wait_for(waiter.wait(), POLL_S)
            except asyncio.TimeoutError:
                yield ": keep-alive\n\n"


def create_app(db: str, policy_files=()):
    ex = _Exchange(db, policy_files)
    app = FastAPI(title="shieldsim early-warning exchange", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=ex.lifespan)
    app.state.exchange = ex
    app.add_exception_handler(RequestValidationError, _one_line)
    app.include_router(router)
    app.state.store = ex.store
    app.state.policies = ex.table
    return app


def _exchange(request: Request) -> _Exchange:
    return request.app.state.exchange


async def _partner_of(ex: _Exchange = Depends(_exchange), authorization: str | None = Header(None)) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    token = authorization[7:].strip()
    partner = ex.tokens.get(token)
    if partner is None:
        partner = await run_in_threadpool(ex.store.partner_for_token, token)
        if partner is None or partner not in ex.table:
            raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
        ex.tokens[token] = partner
    return partner


def _check_partner(me: str, asked: str | None) -> None:
    if asked is not None and asked != me:
        raise HTTPException(403, f"this token is {me}'s; it may not read {asked[:32]}'s view")


async def _one_line(request, exc):
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "header", "body"))
    return JSONResponse({"detail": f"{where}: {err.get('msg', 'invalid')}"[:200]}, status_code=422)


router = APIRouter()


@router.get("/health")
async def health(ex: _Exchange = Depends(_exchange)):
    return {"status": "ok", "partners": sorted(ex.table)}


@router.post("/api/events")
async def publish(request: Request, ex: _Exchange = Depends(_exchange), me: str = Depends(_partner_of)):
    if not ex.table[me].publisher:
        raise HTTPException(403, f"{me} may not publish")
    try:
        data = json.loads(await request.body())
    except ValueError:
        raise HTTPException(422, "body: not JSON") from None
    try:
        event = parse_event(data)
    except ScenarioError as e:
        raise HTTPException(422, str(e)[:200]) from None
    try:
        done, views = await run_in_threadpool(ex.store.publish, event, ex.table, me)
    except Conflict as e:
        raise HTTPException(409, str(e)) from None
    if done.stored:
        ex.tail().add(done.seq, views)
    return JSONResponse({"event_id": done.event_id, "stored": done.stored, "released_to": list(done.released_to)},
                        status_code=201 if done.stored else 200)


@router.get("/api/events")
async def history(since: str | None = None, limit: int = 1000, partner: str | None = None,
                  ex: _Exchange = Depends(_exchange), me: str = Depends(_partner_of)):
    _check_partner(me, partner)
    if not 1 <= limit <= 10_000:
        raise HTTPException(422, "limit: must be 1 to 10000")
    after = await ex.resume_seq(since)
    rows = await run_in_threadpool(ex.store.views_after, me, after, limit)
    views = [json.loads(b) for _, b in rows]
    ex.audit(me, "history", [v["event_id"] for v in views])
    return {"partner": me, "policy": ex.table[me].tag, "events": views}


@router.get("/api/stream")
async def stream(request: Request, since: str | None = None, partner: str | None = None,
                 last_event_id: str | None = Header(None), ex: _Exchange = Depends(_exchange),
                 me: str = Depends(_partner_of)):
    _check_partner(me, partner)
    after = await ex.resume_seq(last_event_id if last_event_id else since)
    return StreamingResponse(ex.messages(request, me, after), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def serve(db: str, host: str = "127.0.0.1", port: int = 8707, policy_files=(), log_level: str = "warning",
          announce=None) -> None:
    """Run the service with uvicorn until interrupted (``shieldsim exchange serve``); ``announce``
    is called once the database and the policies are checked, before listening."""
    import uvicorn

    from ..listen import check_port

    app = create_app(db, policy_files)
    try:
        check_port(host, port)
    except ScenarioError:
        app.state.store.close()
        raise
    if announce is not None:
        announce()
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
