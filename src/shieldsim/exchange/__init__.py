"""The early-warning exchange: launch notifications shared between partners.

``messages`` (the versioned notification schema), ``policy`` (what each partner may see:
``release``, the one place that decides), ``store`` (SQLAlchemy: SQLite or PostgreSQL),
``service`` (the FastAPI app), ``replay`` (a scenario's observations as notifications),
``client`` (the partner's watcher), ``value`` (what sharing gives each partner) and ``cli``
(``shieldsim exchange ...``). See docs/exchange.md.

Nothing here is imported by ``shieldsim --help``: fastapi, uvicorn and sqlalchemy load only
inside the commands that need them.
"""
