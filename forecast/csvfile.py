"""Reading user CSV files (plain or gzipped) as text, with one set of error messages."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import IO

import pandas as pd

from forecast.errors import InvalidInput


def read_text_csv(source: str | Path | bytes | IO[bytes], *, expected: str) -> pd.DataFrame:
    """Every cell as a string; InvalidInput for empty, ragged, malformed or non-UTF-8 files.

    `expected` describes the header in the message for an empty file, e.g. "ts,category".
    """
    handle: str | Path | IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                handle, dtype=str, keep_default_na=False, skipinitialspace=True,
                encoding="utf-8-sig", compression="infer", index_col=False,
            )
    except pd.errors.EmptyDataError as exc:
        raise InvalidInput(f"the file is empty; expected a header with {expected}") from exc
    except pd.errors.ParserError as exc:
        raise InvalidInput(f"malformed CSV: {exc}") from exc
    except pd.errors.ParserWarning as exc:
        raise InvalidInput("malformed CSV: rows have more fields than the header") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8 text") from exc
