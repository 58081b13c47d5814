"""Protocol-faithful local Shopee, Lazada and TikTok Shop servers (the sandbox marketplaces).

One ASGI app (``app.build_app``) serves all three platforms' seller APIs at their real paths, with
their envelopes, error codes, limits, signatures (verified with the adapters' own signers), tokens
and webhooks, over a deterministic world generated from a seed (``world.generate_world``). Faults
can be injected (``faults``), the ground truth read back (``/_sandbox/truth/...``) and the matching
logistics files written (``logistics``). Tests start it in-process with ``server.running_sandbox``.
"""
from platform_adapters.sandbox.server import RunningSandbox, make_state, running_sandbox

__all__ = ["RunningSandbox", "make_state", "running_sandbox"]
