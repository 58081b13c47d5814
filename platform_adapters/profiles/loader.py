"""Loading profiles from TOML or JSON files, by bundled name or by path."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

from platform_adapters.profiles.kinds import KINDS
from platform_adapters.profiles.model import PROFILE_FIELDS, Profile, ProfileError, validate

BUNDLED_DIR = Path(__file__).parent / "files"


def _from_mapping(data: dict, source: str) -> Profile:
    unknown = sorted(set(data) - PROFILE_FIELDS)
    if unknown:
        raise ProfileError(f"{source}: unknown profile field(s) {', '.join(unknown)}; "
                           f"known fields are {', '.join(sorted(PROFILE_FIELDS))}")
    for needed in ("name", "kind"):
        if not data.get(needed):
            raise ProfileError(f"{source}: the profile needs a {needed!r}")
    values = dict(data)
    for listed in ("date_formats", "datetime_formats", "true_values", "false_values"):
        if listed in values:
            if not isinstance(values[listed], list):
                raise ProfileError(f"{source}: {listed} must be a list")
            values[listed] = tuple(values[listed])
    for table in ("columns", "defaults"):
        if table in values and not isinstance(values[table], dict):
            raise ProfileError(f"{source}: {table} must be a table of column = value")
    try:
        profile = Profile(**values)
    except TypeError as exc:
        raise ProfileError(f"{source}: {exc}") from None
    validate(profile, source)
    return profile


def load_profile_file(path: str | Path) -> Profile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc})") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a table/object at the top level")
    return _from_mapping(data, str(path))


def available_profiles() -> dict[str, Path]:
    """Bundled profile names -> files."""
    found: dict[str, Path] = {}
    for path in sorted(BUNDLED_DIR.glob("*.toml")) + sorted(BUNDLED_DIR.glob("*.json")):
        found[path.stem.replace("_", "-")] = path
    return found


def standard_profile(kind: str) -> Profile:
    """The profile that imports the sample layout of ``kind`` as it is."""
    if kind not in KINDS:
        raise ProfileError(f"no standard profile for kind {kind!r}")
    return load_profile(f"standard-{kind}")


def load_profile(name_or_path: str | Path) -> Profile:
    """A bundled profile by name (``standard-bl``, ``forwarder-cn-gbk``…) or a profile file by path."""
    text = str(name_or_path)
    bundled = available_profiles()
    if text in bundled:
        return load_profile_file(bundled[text])
    path = Path(text)
    if path.suffix.lower() in (".toml", ".json") and path.exists():
        return load_profile_file(path)
    raise ProfileError(f"no profile named {text!r}; bundled profiles are {', '.join(sorted(bundled))} "
                       f"(or pass the path of a .toml/.json profile file)")
