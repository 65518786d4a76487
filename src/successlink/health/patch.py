"""Change weights in a health config file without losing its comments or layout.

A suggestion is only useful if it can be reviewed as a diff of the file the team wrote, so
the text is edited line by line: the `weight = ...` line of each named table is replaced in
place (or added right under the table's header), and a table the file does not have (say
an inherited measure of the onboarding profile) is appended at the end. Parsing the result
again must give back every other setting unchanged; `set_weights` checks that itself.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Any

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_WEIGHT = re.compile(r"^(\s*)weight\s*=\s*[^#\n]*?(\s*#.*)?$")


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if "." in text else f"{text}.0" if text.isdigit() else text


def _section_of(line: str) -> str | None:
    match = _HEADER.match(line)
    return "".join(match.group(1).split()) if match else None


def set_weights(text: str, weights: Mapping[str, float]) -> str:
    """`text` with `weight = w` set in each table `path` (e.g. "profiles.mature.groups.usage").

    Raises ValueError for a weight that is not positive or a result TOML cannot parse.
    """
    for path, value in weights.items():
        if not value > 0:
            raise ValueError(f"weight of {path} must be positive, got {value}")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    pending = dict(weights)
    out: list[str] = []
    current: str | None = None
    header_at = -1
    seen_weight = False

    def close_section() -> None:
        if current in pending and not seen_weight:
            out.insert(header_at + 1, f"weight = {_number(pending[current])}\n")
        if current is not None:
            pending.pop(current, None)

    for line in lines:
        section = _section_of(line)
        if section is not None:
            close_section()
            current, header_at, seen_weight = section, len(out), False
            out.append(line)
            continue
        match = _WEIGHT.match(line)
        if match and current in pending and not seen_weight:
            comment = match.group(2) or ""
            out.append(f"{match.group(1)}weight = {_number(pending[current])}{comment}\n")
            seen_weight = True
            continue
        out.append(line)
    close_section()
    if pending:
        out.append("\n# Added by `successlink health suggest`.\n")
        for path, value in pending.items():
            out.append(f"[{path}]\nweight = {_number(value)}\n\n")
    result = "".join(out)
    _check(text, result, weights)
    return result


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _check(before: str, after: str, weights: Mapping[str, float]) -> None:
    """The edit changed the named weights and nothing else."""
    try:
        old, new = tomllib.loads(before), tomllib.loads(after)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the edited health config is not valid TOML: {exc}") from exc
    for path, value in weights.items():
        table = _dig(new, path)
        if not isinstance(table, dict) or abs(float(table.get("weight", -1)) - value) > 0.006:
            raise ValueError(f"could not set the weight of [{path}] in the health config")
        table.pop("weight")
        original = _dig(old, path)
        if isinstance(original, dict):
            original.pop("weight", None)
            if not original:
                _drop(old, path)
        if not table:
            _drop(new, path)
    if old != new:
        raise ValueError("editing the weights would change other settings of the health "
                         "config; edit the file by hand")


def _drop(data: dict[str, Any], path: str) -> None:
    """Remove an emptied table, and parents emptied by that."""
    parts = path.split(".")
    chain = [data]
    for part in parts[:-1]:
        chain.append(chain[-1][part])
    del chain[-1][parts[-1]]
    for depth in range(len(parts) - 1, 0, -1):
        if not chain[depth]:
            del chain[depth - 1][parts[depth - 1]]
