"""A synthetic SaaS world in the real vendors' formats, with the ground truth behind it."""

from successlink.synth.generate import WorldSummary, generate_world

__all__ = ["WorldSummary", "generate_world"]
