"""The clinic web app (``hpatwin serve``): FastAPI with server-rendered Jinja2 pages on the record store.

See ``docs/web.md``. :func:`hpatwin.web.app.create_app` builds the application; the modules:
``core`` (the one authorisation dependency, policies, audit helper), ``security`` (argon2id,
sessions, CSRF, lockout), ``audit`` (hash-chained log, :func:`~hpatwin.web.audit.verify_audit_chain`),
``pages`` and ``api`` (routes), ``charts`` (SVG), ``planning`` (record -> planner input),
``demo`` (the demo clinic), ``tables`` and ``migrations`` (the web app's own tables).

Importing this package loads nothing heavy; import :mod:`hpatwin.web.app` for the app.
"""
