"""Progress for long commands: a bar on a terminal, a log line every few percent otherwise."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
logger = logging.getLogger(__name__)


def progress(items: Iterable[T], *, total: int, label: str) -> Iterator[T]:
    """Yield `items`, reporting progress in the way that suits the output."""
    if sys.stderr.isatty():
        yield from tqdm(items, total=total, desc=label, unit="series")
        return
    step = max(1, total // 10)
    for done, item in enumerate(items, start=1):
        yield item
        if done % step == 0 or done == total:
            logger.info("%s: %d/%d", label, done, total)
