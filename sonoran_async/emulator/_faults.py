"""Fault injection settings for the emulator: random (seeded) and scripted faults."""

from __future__ import annotations

import random
from typing import Final

import attrs

# Names accepted by ``Emulator.inject``; "ok" means "answer this request normally".
SCRIPT_NAMES: Final = frozenset(
    {"ok", "503", "500", "500_after", "reset", "reset_after", "slow", "429"}
)


def _probability(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"Faults.{attribute.name} must be a probability from 0 to 1, got {value!r}"
        )


def _non_negative(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"Faults.{attribute.name} must be a number >= 0, got {value!r}")


@attrs.define(eq=False)
class Faults:
    """Random fault probabilities, drawn once per request from one seeded RNG.

    At most one fault is chosen per request; the probabilities must add up to at most 1.

    - ``error_503`` / ``error_500``: answer 503 / 500 before applying anything.
    - ``error_500_after``: apply the request, then answer 500.
    - ``reset_before``: drop the connection without applying.
    - ``reset_after``: apply, then drop the connection with no reply.
    - ``slow``: sleep ``slow_seconds`` before answering normally.
    - ``rate_limited``: answer 429 with ``Retry-After: 1`` before applying anything.
    """

    error_503: float = attrs.field(default=0.0, validator=_probability)
    error_500: float = attrs.field(default=0.0, validator=_probability)
    error_500_after: float = attrs.field(default=0.0, validator=_probability)
    reset_before: float = attrs.field(default=0.0, validator=_probability)
    reset_after: float = attrs.field(default=0.0, validator=_probability)
    slow: float = attrs.field(default=0.0, validator=_probability)
    rate_limited: float = attrs.field(default=0.0, validator=_probability)
    slow_seconds: float = attrs.field(default=1.0, validator=_non_negative)
    seed: int | None = None
    _rng: random.Random = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.total > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities add up to {self.total:.3f}, more than 1")
        self._rng = random.Random(self.seed)

    @property
    def total(self) -> float:
        return (
            self.error_503
            + self.error_500
            + self.error_500_after
            + self.reset_before
            + self.reset_after
            + self.slow
            + self.rate_limited
        )

    def roll(self) -> str | None:
        """Draw the fault for one request: a script name, or None for no fault."""
        if self.total <= 0.0:
            return None
        u = self._rng.random()
        for name, p in (
            ("503", self.error_503),
            ("500", self.error_500),
            ("500_after", self.error_500_after),
            ("reset", self.reset_before),
            ("reset_after", self.reset_after),
            ("slow", self.slow),
            ("429", self.rate_limited),
        ):
            if u < p:
                return name
            u -= p
        return None
