"""The customer-health score: a declarative TOML config scored as Ibis expressions over
`account_metrics`, with every component stored and explained in words."""

from successlink.health.config import (
    HealthConfig,
    default_health_config,
    load_health_config,
    parse_health_config,
)
from successlink.health.scoring import (
    component_table,
    health_frame,
    health_table,
    score_health,
)

__all__ = [
    "HealthConfig",
    "component_table",
    "default_health_config",
    "health_frame",
    "health_table",
    "load_health_config",
    "parse_health_config",
    "score_health",
]
