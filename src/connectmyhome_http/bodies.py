"""Request bodies of the customer and admin routes, as pydantic models.

The routes import this module when they read a body, not at cold start, because importing
pydantic and building these models takes about 0.1 s on the benchmark machine.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "decline"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class SurveyOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    joint_works_feasible: bool
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class RemindBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{2,40}$")]


class ResendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Literal["acknowledgement", "offer", "handover", "appointment", "closing",
                   "declined", "expired", "cancelled"]
