"""Generated daily demand with the structure real demand has: a level and a
trend, a weekly pattern, a yearly season, promotions, and intermittent items
that sell on few days. Seeded, so the demo and the bench are the same every
time. Used by the demo (two years for its positions) and by ``make bench``
(10,000 positions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

YEAR_DAYS = 365.25
WEEKLY_SHAPES: dict[str, tuple[float, ...]] = {
    # Monday first. Shops sell at the weekend; trade is a weekday business.
    "retail": (0.8, 0.8, 0.9, 1.0, 1.2, 1.4, 0.9),
    "trade": (1.2, 1.2, 1.2, 1.15, 1.0, 0.15, 0.1),
    "flat": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
}


@dataclass(frozen=True)
class Profile:
    """How one position's demand behaves."""

    level: float
    """Units on an average day at the start."""
    trend_per_year: float = 0.0
    """Growth of the level over a year (0.2: +20%)."""
    weekly: str = "retail"
    yearly_amplitude: float = 0.0
    """Relative swing of the yearly season (0.3: ±30%)."""
    peak_day_of_year: int = 15
    promotions_per_year: float = 0.0
    promotion_uplift: float = 2.0
    intermittent_share: float = 0.0
    """When above 0, demand comes on about this share of days only, in lumps
    of ``level / intermittent_share`` on average (an intermittent item)."""


def series(profile: Profile, first_day: np.datetime64, days: int, rng: np.random.Generator
           ) -> npt.NDArray[np.int64]:
    """``days`` days of demand from ``first_day`` on."""
    t = np.arange(days, dtype=np.float64)
    dates = first_day + np.arange(days).astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
    if profile.intermittent_share > 0:
        happens = rng.random(days) < profile.intermittent_share
        lump = profile.level / profile.intermittent_share
        sizes = 1 + rng.poisson(max(lump - 1, 0.0), days)
        return np.where(happens, sizes, 0).astype(np.int64)
    mean = profile.level * (1 + profile.trend_per_year * t / YEAR_DAYS)
    mean = mean * np.asarray(WEEKLY_SHAPES[profile.weekly])[weekday]
    mean = mean * (1 + profile.yearly_amplitude
                   * np.cos(2 * np.pi * (day_of_year - profile.peak_day_of_year) / YEAR_DAYS))
    promotion = np.zeros(days, dtype=bool)
    for _ in range(rng.poisson(profile.promotions_per_year * days / YEAR_DAYS)):
        start = int(rng.integers(0, days))
        promotion[start: start + int(rng.integers(3, 8))] = True
    mean = np.where(promotion, mean * profile.promotion_uplift, mean)
    # Gamma-Poisson (negative binomial) noise: real sales vary more than Poisson.
    shape = 8.0
    rate = rng.gamma(shape, np.clip(mean, 0.0, None) / shape)
    return np.asarray(rng.poisson(rate), dtype=np.int64)


def random_profile(rng: np.random.Generator, intermittent_share: float = 0.2) -> Profile:
    """A position as a catalogue has them: mostly smooth sellers of every size,
    some intermittent ones."""
    if rng.random() < intermittent_share:
        return Profile(level=float(rng.uniform(0.1, 1.5)),
                       intermittent_share=float(rng.uniform(0.05, 0.35)))
    return Profile(
        level=float(np.exp(rng.uniform(np.log(3), np.log(300)))),
        trend_per_year=float(rng.uniform(-0.2, 0.4)),
        weekly=str(rng.choice(["retail", "trade", "flat"], p=[0.6, 0.3, 0.1])),
        yearly_amplitude=float(rng.uniform(0.0, 0.4)),
        peak_day_of_year=int(rng.integers(0, 365)),
        promotions_per_year=float(rng.uniform(0, 6)),
        promotion_uplift=float(rng.uniform(1.5, 3.0)),
    )


def catalogue(count: int, first_day: np.datetime64, days: int, seed: int = 7,
              intermittent_share: float = 0.2) -> npt.NDArray[np.int64]:
    """``count`` positions' demand, one row each (``count`` × ``days``)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, days), dtype=np.int64)
    for i in range(count):
        out[i] = series(random_profile(rng, intermittent_share), first_day, days, rng)
    return out
