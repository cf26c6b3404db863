"""One hierarchy for every error the core raises.

ForecastError
 +-- InvalidInput          bad rows or fields in user data (names row and column)
 +-- InvalidParameter      a bad argument value (names parameter, value and fix)
 +-- InsufficientHistory   too little data for the model asked for
 +-- ModelNotFitted        predict before fit
 +-- UnknownModel          a model name not in the registry
 +-- InfeasibleStaffing    the service target cannot be met
 +-- NotFound              a run, series or record that does not exist
"""

from __future__ import annotations


class ForecastError(Exception):
    """Base of every error vocast raises on purpose."""

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from message and fields, not constructor arguments: a worker process's
        # error reaches the caller whatever its subclass's constructor takes.
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


def _rebuild(cls: type[ForecastError], message: str, fields: dict[str, object]) -> ForecastError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(fields)
    return error


class InvalidInput(ForecastError):
    """User data is malformed; `row` is 1-based as in the file (header = row 1)."""

    def __init__(self, reason: str, *, row: int | None = None, column: str | None = None) -> None:
        self.reason = reason
        self.row = row
        self.column = column
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + reason)


class InvalidParameter(ForecastError):
    """A parameter value is out of range or of the wrong kind."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        self.value = value
        super().__init__(f"{name} must be {expected}; got {value!r}")


class InsufficientHistory(ForecastError):
    """The series is too short for the requested model."""

    def __init__(self, model: str, needed: int, got: int) -> None:
        self.model = model
        super().__init__(
            f"model '{model}' needs at least {needed} observations; got {got}"
        )


class ModelNotFitted(ForecastError):
    """predict() was called before fit()."""


class UnknownModel(ForecastError):
    """A model name that the registry does not know."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(f"unknown model '{name}'; choose one of: {', '.join(sorted(known))}")


class InfeasibleStaffing(ForecastError):
    """No agent count up to the search limit meets the service target."""


class NotFound(ForecastError):
    """A requested record does not exist."""
