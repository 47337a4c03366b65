"""Pydantic models of the request body of POST /requests: its shape, types and formats.

The domain rules that span fields (how many connections, meters, the service area, dates)
live in `rules.py`, so that every rule is found in one place.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

Language = Literal["fr", "nl", "de", "en"]
Utility = Literal["electricity", "gas", "water", "telecom"]
# Any telecom operator of the registry; `rules` checks that it is one.
TelecomOperator = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9_-]{2,40}$")
]
Project = Literal["new_build", "renovation"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]

# Upper bound of the schema only, so that absurd values fail early. The limit of the joint
# service (four meters per utility) is a domain rule with its own error code.
MeterCount = Annotated[int, Field(ge=1, le=99)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Applicant(_Model):
    first_name: Name
    last_name: Name
    email: Annotated[str, StringConstraints(max_length=254)]
    phone: Annotated[str, StringConstraints(max_length=40)]
    language: Language = "fr"

    @field_validator("email")
    @classmethod
    def _normalise_email(cls, value: str) -> str:
        try:
            # No DNS look-up at intake; SES takes only ASCII local parts (the domain may be
            # international: it is sent in punycode).
            checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as error:
            raise PydanticCustomError("email_invalid", "invalid email address: {reason}",
                                      {"reason": str(error)}) from error
        return checked.normalized

    @field_validator("phone")
    @classmethod
    def _normalise_phone(cls, value: str) -> str:
        """Accept Belgian numbers written the local way and any valid international number."""
        try:
            number = phonenumbers.parse(value, "BE")
        except phonenumbers.NumberParseException as error:
            raise PydanticCustomError("phone_invalid", "invalid phone number") from error

        if not phonenumbers.is_valid_number(number):
            raise PydanticCustomError("phone_invalid", "invalid phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Site(_Model):
    street: ShortText
    house_number: Annotated[
        str,
        StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,5}[A-Za-z0-9/ -]{0,10}$"),
    ]
    box: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[1-9][0-9]{3}$")
    ]
    municipality: ShortText

    @field_validator("box", mode="before")
    @classmethod
    def _strip_box_word(cls, value: object) -> object:
        """Keep only the box number: "boîte 2", "bte 2", "bus 2" and "box 2" become "2"."""
        if not isinstance(value, str):
            return value
        stripped = re.sub(r"^\s*(bo[iî]te|bte|bus|box|bt)\.?\s+", "", value, flags=re.IGNORECASE)
        return stripped or None


class ElectricityConnection(_Model):
    utility: Literal["electricity"]
    meters: MeterCount = 1
    # NOTE: 250 kVA bounds the schema only; the capacity a household may ask of ORES is set by
    # the operator's offer, not checked at intake.
    power_kva: Annotated[Decimal, Field(gt=0, le=250, max_digits=6, decimal_places=2)]
    phases: Literal[1, 3]


class GasConnection(_Model):
    utility: Literal["gas"]
    meters: MeterCount = 1


class WaterConnection(_Model):
    utility: Literal["water"]
    meters: MeterCount = 1


class TelecomConnection(_Model):
    utility: Literal["telecom"]
    operator: TelecomOperator


Connection = Annotated[
    ElectricityConnection | GasConnection | WaterConnection | TelecomConnection,
    Field(discriminator="utility"),
]


class Period(_Model):
    from_: date = Field(alias="from")
    to: date

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ConnectionRequest(_Model):
    """The body of POST /requests."""

    applicant: Applicant
    site: Site
    project: Project
    # The schema caps the list so that a huge body fails early; the limit of five is a rule.
    connections: Annotated[list[Connection], Field(min_length=1, max_length=20)]
    preferred_period: Period | None = None
    unavailable_days: Annotated[list[date], Field(max_length=120)] = Field(default_factory=list)
    consent: bool
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
