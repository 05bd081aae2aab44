"""The hub's web pages for county staff (``/staff/``): the sites' health, cases and their
后台分类审批 with result documents, ratings and their rectification, 办不成事 requests.

Server-rendered HTML (Jinja2, autoescaped), no JavaScript, nothing fetched from elsewhere: the
county network may be closed. Everything goes through :class:`sync.hub.admin.Admin`; the
accounts and sessions are rows of the hub's database (``tables.py``), so several hubs behind a
load balancer share them. Kept light: the routes are in ``routes.py`` and imported by the app.
"""
