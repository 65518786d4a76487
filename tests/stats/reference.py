"""Published reference numbers, read from the tests' own copy in tests/data/reference/."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PUBLISHED = Path(__file__).parents[1] / "data" / "reference" / "published.json"


@cache
def published(entry: str) -> Any:
    """One entry of tests/data/reference/published.json (copied from shared/reference)."""
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))[entry]
