"""The exchange's storage: events, each partner's released views, tokens and the audit log.

One SQLAlchemy Core schema, two databases through the same code: SQLite (a file, in WAL mode
so watchers read while the publisher writes; the default) and PostgreSQL (a ``postgresql://``
URL, driven by psycopg 3). Guarantees:

* **stored before acknowledged**: ``publish`` writes the event, its release to every partner
  and the audit rows in one transaction and returns only after it commits;
* **idempotent on the event id**: publishing an event id again with the same content stores
  nothing and says so; with different content it is refused (``Conflict``);
* **tokens stored hashed** (SHA-256 of 32 random bytes: a token is a key, not a password, so
  an unsalted fast hash is the usual choice); the token itself is shown once, at creation;
* **audit**: every release (partner, event, policy version, when) is written with the event;
  every delivery (partner, event, stream or history, when) by ``record_deliveries``.

Each stored event has a stream position ``seq`` (increasing); a partner's stream is its
releases in ``seq`` order, and ``Last-Event-ID`` (an event id) resumes after that event's seq.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScenarioError, ShieldsimError
from .messages import Event
from .policy import Policy, release

DEFAULT_DB = "sqlite:///shieldsim-exchange.db"


class Conflict(ShieldsimError):
    """An event id already stored with different content."""


@dataclass(frozen=True)
class Published:
    event_id: str
    seq: int
    stored: bool  #: False: the same event was already stored (a duplicate publish)
    released_to: tuple[str, ...]


def engine_url(url: str) -> str:
    """The SQLAlchemy URL for ``--db``: ``sqlite:///FILE`` or ``postgresql://...`` (psycopg 3)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///") or url.startswith("postgresql+"):
        return url
    if "://" not in url:  # a bare file name
        return "sqlite:///" + url
    raise ScenarioError("--db", f"use sqlite:///FILE or postgresql://...; got {url[:80]!r}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


class Store:
    """The exchange's database (see the module docstring). Thread-safe; one per process."""

    def __init__(self, url: str = DEFAULT_DB):
        import sqlalchemy as sa

        self.url = engine_url(url)
        if self.url.startswith("sqlite:///"):
            path = self.url[len("sqlite:///"):]
            if path and path != ":memory:" and not Path(path).parent.exists():
                raise ScenarioError("--db", f"no such directory for the database: {str(Path(path).parent)[:80]!r}")
        kw = {}
        if self.url.startswith("sqlite"):
            kw["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kw["pool_size"] = 10
            kw["max_overflow"] = 20
        try:
            self.engine = sa.create_engine(self.url, **kw)
        except Exception as e:  # a driver that is not installed, a malformed URL
            raise ScenarioError("--db", " ".join(str(e).split())[:160]) from None
        if self.url.startswith("sqlite"):
            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives a power cut too
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()
        md = sa.MetaData()
        self.events = sa.Table(
            "exchange_events", md,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("event_id", sa.String(80), nullable=False, unique=True),
            sa.Column("threat_id", sa.String(80), nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("stored_at", sa.Float, nullable=False),
        )
        self.releases = sa.Table(
            "exchange_releases", md,
            sa.Column("seq", sa.Integer, sa.ForeignKey("exchange_events.seq"), primary_key=True),
            sa.Column("partner", sa.String(32), primary_key=True),
            sa.Column("policy", sa.String(48), nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("released_at", sa.Float, nullable=False),
        )
        self.tokens = sa.Table(
            "exchange_tokens", md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("partner", sa.String(32), nullable=False),
            sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
            sa.Column("created_at", sa.Float, nullable=False),
        )
        self.audit = sa.Table(
            "exchange_audit", md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.Float, nullable=False),
            sa.Column("partner", sa.String(32), nullable=False),
            sa.Column("action", sa.String(16), nullable=False),  # publish | release | stream | history
            sa.Column("event_id", sa.String(80)),
            sa.Column("policy", sa.String(48)),
        )
        sa.Index("exchange_releases_partner_seq", self.releases.c.partner, self.releases.c.seq)
        try:
            md.create_all(self.engine)
        except Exception as e:  # the server is down, refuses us, the file cannot be written
            raise ShieldsimError(f"--db: cannot open the database: {' '.join(str(e).split())[:200]}") from None
        self._sa = sa
        self._publish_lock = threading.Lock()

    # ---- tokens --------------------------------------------------------------------------
    def create_token(self, partner: str) -> str:
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            c.execute(self.tokens.insert().values(partner=partner, token_sha256=hash_token(token), created_at=time.time()))
        return token

    def partner_for_token(self, token: str) -> str | None:
        with self.engine.connect() as c:
            row = c.execute(self._sa.select(self.tokens.c.partner)
                            .where(self.tokens.c.token_sha256 == hash_token(token))).first()
        return row[0] if row else None

    # ---- events ---------------------------------------------------------------------------
    def publish(self, event: Event, policies: dict[str, Policy], publisher: str) -> tuple[Published, dict[str, str]]:
        """Store the event and each partner's view in one transaction; return what was stored and
        the views (partner -> JSON text). A duplicate stores nothing (``stored`` False)."""
        sa = self._sa
        body = json.dumps(event.to_json(), sort_keys=True, separators=(",", ":"))
        digest = _digest(body)
        views = {}
        for name, pol in policies.items():
            v = release(event, pol)
            if v is not None:
                views[name] = json.dumps(v.to_json(), separators=(",", ":"))
        now = time.time()
        with self._publish_lock, self.engine.begin() as c:
            row = c.execute(sa.select(self.events.c.seq, self.events.c.digest)
                            .where(self.events.c.event_id == event.event_id)).first()
            if row is not None:
                if row[1] != digest:
                    raise Conflict(f"event {event.event_id}: already stored with different content")
                return Published(event.event_id, int(row[0]), False, ()), {}
            seq = c.execute(self.events.insert().values(
                event_id=event.event_id, threat_id=event.threat_id, kind=event.kind, body=body, digest=digest,
                stored_at=now)).inserted_primary_key[0]
            if views:
                c.execute(self.releases.insert(), [
                    {"seq": seq, "partner": p, "policy": policies[p].tag, "body": b, "released_at": now}
                    for p, b in views.items()])
            c.execute(self.audit.insert(), [{"at": now, "partner": publisher, "action": "publish",
                                             "event_id": event.event_id, "policy": None}]
                      + [{"at": now, "partner": p, "action": "release", "event_id": event.event_id,
                          "policy": policies[p].tag} for p in views])
        return Published(event.event_id, int(seq), True, tuple(views)), views

    def seq_of(self, event_id: str) -> int | None:
        with self.engine.connect() as c:
            row = c.execute(self._sa.select(self.events.c.seq).where(self.events.c.event_id == event_id)).first()
        return int(row[0]) if row else None

    def views_after(self, partner: str, after_seq: int, limit: int = 1000) -> list[tuple[int, str]]:
        """(seq, view JSON) of the partner's releases after ``after_seq``, in order."""
        sa = self._sa
        r = self.releases
        with self.engine.connect() as c:
            rows = c.execute(sa.select(r.c.seq, r.c.body).where(r.c.partner == partner, r.c.seq > after_seq)
                             .order_by(r.c.seq).limit(limit)).all()
        return [(int(s), b) for s, b in rows]

    def last_seq(self) -> int:
        with self.engine.connect() as c:
            v = c.execute(self._sa.select(self._sa.func.max(self.events.c.seq))).scalar()
        return int(v or 0)

    def event_count(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(self._sa.select(self._sa.func.count()).select_from(self.events)).scalar())

    def record_deliveries(self, rows: list[dict]) -> None:
        """Audit rows {at, partner, action, event_id, policy}, written in one transaction."""
        if rows:
            with self.engine.begin() as c:
                c.execute(self.audit.insert(), rows)

    def audit_rows(self, partner: str | None = None) -> list[dict]:
        sa = self._sa
        q = sa.select(self.audit).order_by(self.audit.c.id)
        if partner is not None:
            q = q.where(self.audit.c.partner == partner)
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(q)]

    def close(self) -> None:
        self.engine.dispose()
