"""Refusals that name the caller's own fields: the same check answers a CLI user in its flags (``--qty``)
and an API caller in its body's field names (``qty``).

A ``FieldRefusal`` is made of parts, each ``(field, text)``: ``field`` is the neutral key of the input the
part is about (``"qty"``, ``"link"``, ``"left"``; None when it is about no input) and ``text`` the rest of
the sentence, which reads after the field's name. ``render(name)`` names each field through ``name``
(``cli_flag`` or ``api_field``); ``str()`` names them by their keys; ``fields`` lists them.
"""
from __future__ import annotations

from collections.abc import Callable


def cli_flag(field: str) -> str:
    """How the CLI names an input: its option (``--resolves``)."""
    return "--" + field.replace("_", "-")


def api_field(field: str) -> str:
    """How the REST API names an input: the request body's field (``qty``)."""
    return field


class FieldRefusal(ValueError):
    """A refusal whose parts name inputs by neutral keys, rendered in each caller's terms."""

    def __init__(self, *parts: tuple[str | None, str] | str) -> None:
        self.parts = tuple(part if isinstance(part, tuple) else (None, part) for part in parts)
        super().__init__(self.render(api_field))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(field for field, _ in self.parts if field))

    def render(self, name: Callable[[str], str]) -> str:
        return "; ".join(f"{name(field)} {text}" if field else text for field, text in self.parts)
