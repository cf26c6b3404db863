"""The dashboard: one static page at `/` and its files under `/static/`.

The page and its files need no key (they hold no data); the page calls the `/v1` routes
with the key the user enters, so those stay protected. Everything it loads comes from
this server: the Content-Security-Policy forbids other origins.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = "dashboard.html"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".svg": "image/svg+xml", ".html": "text/html; charset=utf-8"}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
_HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard_page() -> FileResponse:
    """The dashboard page."""
    return _file(PAGE)


@router.get("/static/{name}")
def dashboard_file(name: str) -> FileResponse:
    """A file of the page (scripts, styles); only the files shipped in api/static/."""
    if name == PAGE or name not in _shipped_files():
        raise HTTPException(404, detail=f"no static file {name!r}")
    return _file(name)


def _shipped_files() -> frozenset[str]:
    return frozenset(path.name for path in STATIC_DIR.iterdir()
                     if path.is_file() and path.suffix in MEDIA_TYPES)


def _file(name: str) -> FileResponse:
    path = STATIC_DIR / name
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=_HEADERS)
