"""Valid scores for each side's rating."""

from __future__ import annotations

CUSTOMER_SCORES = {"communication": 5, "knowledge": 4, "punctuality": 5, "helpfulness": 4}
COACH_SCORES = {"punctuality": 4, "engagement": 5, "preparation": 3}
