"""Reading user CSV files (plain or gzipped) as text, with one set of error messages."""

from __future__ import annotations

import gzip
import io
import warnings
from pathlib import Path
from typing import IO

import pandas as pd

from forecast.errors import InvalidInput

_OTHER_SEPARATORS = (";", "\t")  # Excel's CSV in much of Europe; tab-separated text
_GZIP_MAGIC = b"\x1f\x8b"


def read_text_csv(source: str | Path | bytes | IO[bytes], *, expected: str) -> pd.DataFrame:
    """Every cell as a string; InvalidInput for empty, ragged, malformed or non-UTF-8 files.

    Fields are separated by commas, or by semicolons or tabs when the header is. `expected`
    describes the header in the message for an empty file, e.g. "ts,category".
    """
    separator = ","
    if isinstance(source, str | Path | bytes):
        separator = _separator(_read(source, expected=expected, rows=0).columns)
    elif source.seekable():
        start = source.tell()
        separator = _separator(_read(source, expected=expected, rows=0).columns)
        source.seek(start)
    return _read(source, expected=expected, separator=separator)


def unpacked(data: bytes) -> bytes:
    """`data` unpacked if gzipped: a file piped in has no name to tell it by. Only for a
    user's own input: unpacking untrusted bytes without a bound invites a gzip bomb."""
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise InvalidInput(f"the gzipped file cannot be unpacked: {exc}") from exc


def _separator(header: pd.Index) -> str:
    """A comma, or the semicolon or tab that a header read as one column holds."""
    if len(header) == 1:
        for separator in _OTHER_SEPARATORS:
            if separator in str(header[0]):
                return separator
    return ","


def _read(source: str | Path | bytes | IO[bytes], *, expected: str, separator: str = ",",
          rows: int | None = None) -> pd.DataFrame:
    handle: str | Path | IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                handle, sep=separator, dtype=str, keep_default_na=False,
                skipinitialspace=True, encoding="utf-8-sig", compression="infer",
                index_col=False, nrows=rows,
            )
    except pd.errors.EmptyDataError as exc:
        raise InvalidInput(f"the file is empty; expected a header with {expected}") from exc
    except pd.errors.ParserError as exc:
        raise InvalidInput(f"malformed CSV: {exc}") from exc
    except pd.errors.ParserWarning as exc:
        raise InvalidInput("malformed CSV: rows have more fields than the header") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8 text") from exc
