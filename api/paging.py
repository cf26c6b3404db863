"""Bounded reads of the published run: `limit`/`cursor` pagination and a row cap.

Without `limit` a read returns every matching row up to `max_rows` and is refused above
it, with a message saying how to narrow or page it. With `limit` it returns at most that
many rows, and when more follow, an opaque `cursor` for the next page in the
`X-Next-Cursor` and `Link: <...>; rel="next"` headers. A published run never changes,
so a cursor is the run id, the query it belongs to and an offset; a cursor from another
run or another query is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from starlette.datastructures import QueryParams

from forecast.errors import InvalidParameter

PAGE_PARAMETERS: list[dict[str, Any]] = [
    {"name": "limit", "in": "query", "required": False,
     "description": "Rows per page (at most the server's `max_forecast_rows`); the next "
                    "page's cursor comes in the `X-Next-Cursor` and `Link` headers.",
     "schema": {"type": "integer", "minimum": 1}},
    {"name": "cursor", "in": "query", "required": False,
     "description": "The `X-Next-Cursor` of the previous page (same filters and format).",
     "schema": {"type": "string"}},
    {"name": "bom", "in": "query", "required": False,
     "description": "CSV only: start with a UTF-8 byte order mark, so Excel reads "
                    "non-Latin category names (e.g. Korean) correctly.",
     "schema": {"type": "boolean", "default": False}},
]
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no", ""})


@dataclass(frozen=True, slots=True)
class Page:
    limit: int | None = None
    offset: int = 0
    cursor_run: str | None = None
    bom: bool = False

    def view(self) -> str:
        """The part of a response-cache key that the page changes."""
        return f"limit={self.limit},offset={self.offset},run={self.cursor_run},bom={self.bom}"


@lru_cache(maxsize=1024)
def parse_page_query(query_string: bytes, max_rows: int) -> tuple[Page, str]:
    """The page a raw query asks for, and its `query_key` (remembered: BI tools repeat
    queries; invalid ones raise and are not remembered)."""
    params = QueryParams(query_string)
    key = query_key(params)
    return parse_page(params, query_key=key, max_rows=max_rows), key


def parse_page(params: QueryParams, *, query_key: str, max_rows: int) -> Page:
    """`limit`, `cursor` and `bom` from the query; `query_key` names the filters and format
    a cursor must have been issued for."""
    limit = _limit(params.get("limit"), max_rows)
    bom = _flag("bom", params.get("bom"))
    text = params.get("cursor")
    if not text:
        return Page(limit=limit, bom=bom)
    run_id, offset = _decode_cursor(text, query_key)
    return Page(limit=limit, offset=offset, cursor_run=run_id, bom=bom)


def paginate(frame: pd.DataFrame, page: Page, *, run_id: str, query_key: str,
             max_rows: int) -> tuple[pd.DataFrame, str | None]:
    """The page's rows and the cursor of the next page (None on the last one)."""
    if page.cursor_run is not None and page.cursor_run != run_id:
        raise InvalidParameter("cursor", f"(a cursor of run {page.cursor_run})",
                               f"a cursor of the published run {run_id}; a new run was "
                               "published since: start again without cursor")
    if page.limit is None:
        rows = len(frame) - page.offset
        if rows > max_rows:
            raise InvalidParameter(
                "limit", None, f"set (or the filters narrowed) when more than {max_rows:,} "
                f"rows match; {rows:,} do: filter by category, channel, freq, start and "
                f"end, or page with limit={max_rows} and the returned cursor")
        return frame.iloc[page.offset:], None
    end = page.offset + page.limit
    after = _encode_cursor(run_id, end, query_key) if end < len(frame) else None
    return frame.iloc[page.offset:end], after


def next_page_headers(path: str, params: QueryParams, cursor: str | None
                      ) -> tuple[tuple[str, str], ...]:
    """`X-Next-Cursor` and a relative `Link` to the next page (none on the last page)."""
    if cursor is None:
        return ()
    query = [(k, v) for k, v in params.multi_items() if k != "cursor"] + [("cursor", cursor)]
    return (("X-Next-Cursor", cursor), ("Link", f'<{path}?{urlencode(query)}>; rel="next"'))


def query_key(params: QueryParams) -> str:
    """The query minus paging: the filters and format a cursor belongs to."""
    kept = sorted((k, v) for k, v in params.multi_items() if k not in ("limit", "cursor"))
    return hashlib.blake2b(repr(kept).encode(), digest_size=8).hexdigest()


def _limit(text: str | None, max_rows: int) -> int | None:
    if text is None or text == "":
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= max_rows:
        raise InvalidParameter("limit", text, f"a whole number from 1 to {max_rows}")
    return int(text)


def _flag(name: str, text: str | None) -> bool:
    value = (text or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidParameter(name, text, "true or false")


def _encode_cursor(run_id: str, offset: int, key: str) -> str:
    raw = json.dumps([run_id, offset, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str, key: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        run_id, offset, issued_for = json.loads(raw)
        valid = isinstance(run_id, str) and isinstance(offset, int) and offset > 0
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise InvalidParameter("cursor", text, "the X-Next-Cursor value of a previous page")
    if issued_for != key:
        raise InvalidParameter("cursor", text, "used with the same filters and format as "
                               "the page that returned it")
    return run_id, offset
