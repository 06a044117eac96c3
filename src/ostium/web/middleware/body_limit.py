"""Refuses request bodies over a limit without holding more than the limit in memory.

A declared `Content-Length` over the limit is refused before anything is read (the
server then delivers exactly that many bytes, so nothing more is needed). A body without
one (`Transfer-Encoding: chunked`) is read here, up to the limit, before the application
sees any of it: refusing it half-way through the application's own read would come after
a mounted application (the admin API) had already answered 500 with a traceback.
RFC 9110 §15.5.14: 413 Content Too Large.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    await self._too_large(send)
                else:
                    await self.app(scope, receive, send)
                return
        buffered = await self._read_ahead(receive)
        if buffered is None:
            await self._too_large(send)
            return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _read_ahead(self, receive: Receive) -> list[Message] | None:
        """The body's messages up to its end (or a disconnect); None once over the limit."""
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    async def _too_large(self, send: Send) -> None:
        body = json.dumps(
            {"error": "invalid_request", "error_description": "Request body too large"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
