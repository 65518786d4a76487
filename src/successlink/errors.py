"""The error tree: every error a user can see says what, where, and what to do next.

Internal errors keep their traceback (``--debug``); these carry a sentence instead.
"""

from __future__ import annotations


class SuccessLinkError(Exception):
    """Base for errors shown to the user as a sentence, with an optional hint."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return f"{head}\n{self.hint}" if self.hint else head


class ConfigError(SuccessLinkError):
    """The workspace or environment settings are wrong or missing."""

    exit_code = 2


class InputFileError(SuccessLinkError):
    """A whole input file cannot be read: nothing from it was stored."""

    exit_code = 3


class WarehouseError(SuccessLinkError):
    """The warehouse could not be reached or written."""

    exit_code = 4
