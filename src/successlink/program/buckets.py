"""Where a commission's money sits: the four buckets every ledger entry moves money between."""

from __future__ import annotations

from dataclasses import dataclass

BUCKETS = ("unvested", "vested", "lapsed", "reversed")


@dataclass(frozen=True)
class Buckets:
    """Signed minor units per bucket. An entry's Buckets is its change; a balance's is a sum.

    unvested: earned but waiting for its vesting day; vested: earned for good, payable;
    lapsed: never to be paid (churn or poor health before vesting); reversed: taken back
    (refund or dispute).
    """

    unvested: int = 0
    vested: int = 0
    lapsed: int = 0
    reversed: int = 0

    def __add__(self, other: Buckets) -> Buckets:
        return Buckets(self.unvested + other.unvested, self.vested + other.vested,
                       self.lapsed + other.lapsed, self.reversed + other.reversed)

    def __sub__(self, other: Buckets) -> Buckets:
        return Buckets(self.unvested - other.unvested, self.vested - other.vested,
                       self.lapsed - other.lapsed, self.reversed - other.reversed)

    @property
    def total(self) -> int:
        """All the money in the buckets: what was earned, whatever became of it."""
        return self.unvested + self.vested + self.lapsed + self.reversed

    def get(self, bucket: str) -> int:
        """The amount in one bucket by name."""
        return int(getattr(self, bucket))

    @staticmethod
    def of(**amounts: int) -> Buckets:
        """Buckets from keyword amounts (unknown names are an error)."""
        return Buckets(**amounts)


ZERO = Buckets()
