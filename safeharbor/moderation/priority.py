"""The priority formula of a case, in one place (documented in docs/moderation.md).

    priority now = severity + reporter trust + reporters + reach + hours waiting

    severity        tier 1: 60, tier 2: 40, tier 3: 20, tier 4: 0
    reporter trust  the most trusted report: a known-content hash match 100 (a bank's hash
                    matched: always above any unmatched case of its tier and the tiers below),
                    trusted flagger 15, automated detection 10, user 0
    reporters       5 x log2(distinct reporters), at most 15 (1: 0, 2: 5, 4: 10, 8+: 15)
    reach           3 x log10(1 + views), at most 15 (the largest `views` in any report's metadata)
    age             1 point per hour since the case opened

Everything but age is stored as ``priority_points`` and recomputed when a report joins. Age grows
for all cases at the same rate, so ordering by ``points + hours waiting`` is exactly ordering by
``priority_key = points x 3600 - opened_at (Unix seconds)``, a stored, indexed column: the queue
is sorted by the whole formula without rewriting rows as time passes.
"""

from __future__ import annotations

import math
from datetime import datetime

SEVERITY_POINTS = {1: 60, 2: 40, 3: 20, 4: 0}
TRUST_POINTS = {"hash_match": 100, "trusted_flagger": 15, "automated": 10, "user": 0}
MAX_REPORTER_POINTS = 15
MAX_REACH_POINTS = 15


def trust_rank(source: str) -> int:
    return TRUST_POINTS.get(source, 0)


def priority_points(*, tier: int, trust: str, distinct_reporters: int, reach: int) -> int:
    reporters = min(MAX_REPORTER_POINTS, 5 * math.log2(max(1, distinct_reporters)))
    reach_points = min(MAX_REACH_POINTS, 3 * math.log10(1 + max(0, reach)))
    return SEVERITY_POINTS[tier] + trust_rank(trust) + int(reporters) + int(reach_points)


def priority_key(points: int, opened_at: datetime) -> int:
    return points * 3600 - int(opened_at.timestamp())
