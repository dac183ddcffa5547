"""Route modules. The CTF routes are listed in :mod:`interpctf.server.app`; the league, jam and bounty modes add
theirs through :func:`MODE_ROUTERS` (each mode's routes answer 404 on events of another mode)."""


def MODE_ROUTERS() -> list:  # noqa: N802  (a constant list, built lazily to avoid import cycles)
    from interpctf.server.routes import (bounty_api, bounty_pages, jam_api, jam_logistics, jam_pages, league_api,
                                         league_pages)
    return [league_api.router, league_api.admin_router, league_pages.router, league_pages.admin_router,
            jam_api.router, jam_api.admin_router, jam_pages.router, jam_pages.admin_router,
            jam_logistics.api, jam_logistics.pages,
            bounty_api.router, bounty_api.admin_router, bounty_pages.router, bounty_pages.admin_router]
