"""The core's public API: everything in __all__ exists, and nothing public is missing."""

from __future__ import annotations

import forecast


def test_all_names_resolve() -> None:
    for name in forecast.__all__:
        assert getattr(forecast, name) is not None, name


def test_public_members_are_exported() -> None:
    public = {name for name, value in vars(forecast).items()
              if not name.startswith("_") and getattr(value, "__module__", "").startswith(
                  "forecast.")}
    assert public <= set(forecast.__all__)
