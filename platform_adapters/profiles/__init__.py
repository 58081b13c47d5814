"""Declarative import profiles: one small TOML/JSON file per forwarder/3PL layout, plus the standard ones.

See ``docs/formats.md`` for every field. ``load_profile(name_or_path)`` returns a validated
``Profile``; ``standard_profile(kind)`` the profile that imports the sample layout of a kind as it is.
"""
from platform_adapters.profiles.kinds import ALL_KINDS, JSON_KINDS, KINDS, TabularKind, guess_kind
from platform_adapters.profiles.loader import available_profiles, load_profile, standard_profile
from platform_adapters.profiles.model import Profile, ProfileError

__all__ = [
    "ALL_KINDS",
    "JSON_KINDS",
    "KINDS",
    "Profile",
    "ProfileError",
    "TabularKind",
    "available_profiles",
    "guess_kind",
    "load_profile",
    "standard_profile",
]
