"""The ``--platform`` option type: every registered marketplace (built-in or plug-in), never a fixed list.

The choices are read from ``platform_adapters.registry.known_platforms`` when the option is parsed or
help is shown, so an adapter installed as an entry point (``aggregator.platform_adapters``) is a
valid ``--platform`` at once; an unknown name is refused with the known ones.
"""
from __future__ import annotations

import click

from platform_adapters.registry import UnknownPlatform, known_platforms, require_platform


class PlatformType(click.ParamType):
    name = "platform"

    def get_metavar(self, param, ctx=None) -> str:  # noqa: ANN001 - click's signature
        return "[" + "|".join(known_platforms()) + "]"

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        try:
            return require_platform(value)
        except UnknownPlatform as exc:
            self.fail(str(exc), param, ctx)

    def shell_complete(self, ctx, param, incomplete):  # noqa: ANN001 - click's signature
        from click.shell_completion import CompletionItem

        return [CompletionItem(name) for name in known_platforms() if name.startswith(incomplete.lower())]


PLATFORM = PlatformType()
