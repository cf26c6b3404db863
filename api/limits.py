"""Request body size limits for every route, before any route code runs.

Upload routes (`upload_paths`) may take `max_upload_bytes`; every other request
`max_body_bytes`. A declared Content-Length over the limit is refused at once; a chunked
body is counted as it streams and refused when it passes the limit. Both answer 413 in
the usual error envelope.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int,
                 upload_paths: Iterable[str]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = frozenset(upload_paths)

    def limit_for(self, path: str) -> int:
        return self.max_upload_bytes if path in self.upload_paths else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            message = f"request body is {declared} bytes; the limit is {limit} for this route"
            response = JSONResponse(error_body("PayloadTooLarge", message), status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, detail=f"request body exceeds the limit of "
                                                    f"{limit} bytes for this route")
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
