"""Request statuses and the transitions between them.

Main path: submitted → survey_pending → quoting → offer_sent → accepted → scheduled →
completed. Side exits: handed_over, declined, expired, cancelled, rejected, failed.
"""

MAIN_PATH = ("submitted", "survey_pending", "quoting", "offer_sent", "accepted", "scheduled",
             "completed")
SIDE_EXITS = ("handed_over", "declined", "expired", "cancelled", "rejected", "failed")
ALL = MAIN_PATH + SIDE_EXITS
FINAL = ("completed", *SIDE_EXITS)

_PREDECESSORS: dict[str, tuple[str, ...]] = {
    "survey_pending": ("submitted",),
    "quoting": ("survey_pending",),
    "offer_sent": ("quoting",),
    "accepted": ("offer_sent",),
    "scheduled": ("accepted",),
    "completed": ("scheduled",),
    "handed_over": ("survey_pending", "quoting", "accepted", "scheduled"),
    "declined": ("offer_sent",),
    "expired": ("offer_sent",),
    "cancelled": ("submitted", "survey_pending", "quoting", "offer_sent", "accepted",
                  "scheduled", "failed"),
    "failed": ("submitted", "survey_pending", "quoting", "offer_sent", "accepted", "scheduled"),
}


def allowed_predecessors(status: str) -> tuple[str, ...]:
    """Return the statuses from which a request may move to `status`."""
    return _PREDECESSORS[status]
