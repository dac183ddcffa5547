"""Security headers on every response: a Content-Security-Policy fitted to what the pages use, no framing, no
MIME sniffing, no cross-site referrers.

The pages use one stylesheet (``/static/style.css``), images from this site (the scoreboard chart), forms posting
here, and no scripts or inline styles at all; the policy allows exactly that. FastAPI's API docs (``/docs``,
``/redoc``) load Swagger UI / ReDoc from a CDN and start them with one inline script: those two pages get their
own policy, with the inline scripts allowed by their SHA-256 hashes (computed from the page as served), never by
``'unsafe-inline'``.
"""

import base64
import hashlib
import re

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")
_DOCS_POLICY = ("default-src 'none'; script-src https://cdn.jsdelivr.net {hashes}; worker-src blob:; "
                "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
                "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
                "https://cdn.redoc.ly; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'none'")
FIXED = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
         (b"referrer-policy", b"same-origin"), (b"cross-origin-opener-policy", b"same-origin")]
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def docs_policy(body: bytes) -> str:
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
                      for s in _INLINE_SCRIPT.findall(body))
    return _DOCS_POLICY.format(hashes=hashes)


class SecurityHeaders:
    """ASGI middleware; outermost, so that responses made by other middleware (413s) carry the headers too."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope.get("path") in DOCS_PATHS:
            return await self._docs(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = _merged(message.get("headers", []), PAGE_POLICY)
            await send(message)

        return await self.app(scope, receive, with_headers)

    async def _docs(self, scope, receive, send):
        """Hold the (small, static) docs page until complete, to hash its inline scripts into its policy."""
        start, chunks = None, []

        async def buffered(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                start["headers"] = _merged(start.get("headers", []), docs_policy(body))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        return await self.app(scope, receive, buffered)


def _merged(headers, policy: str) -> list:
    names = {name for name, _ in FIXED} | {b"content-security-policy"}
    kept = [(k, v) for k, v in headers if k.lower() not in names]
    return kept + FIXED + [(b"content-security-policy", policy.encode())]
