"""Cutting the API key out of text shown to people: exception messages and logs.

Replies are parsed exactly as the server sent them (a short key may well occur inside
real data); only what a person may read is scrubbed, once it is built.
"""

from __future__ import annotations

from typing import Any, TypeVar

_E = TypeVar("_E", bound=BaseException)

SHOWN = "***"


def scrub_text(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced."""
    return text.replace(secret, SHOWN) if secret and secret in text else text


def scrub_error(error: _E, secret: str) -> _E:
    """`error` with `secret` cut out of its arguments, its `text` and its notes (in place:
    the error is not yet shown to anyone; the same object is returned)."""
    if not secret:
        return error
    error.args = tuple(_scrub_value(arg, secret) for arg in error.args)
    text = getattr(error, "text", None)
    if isinstance(text, str):
        error.text = scrub_text(text, secret)  # type: ignore[attr-defined]
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [_scrub_value(note, secret) for note in notes]
    return error


def _scrub_value(value: Any, secret: str) -> Any:
    return scrub_text(value, secret) if isinstance(value, str) else value
