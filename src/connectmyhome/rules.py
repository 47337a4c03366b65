"""Rules of the joint service that can be checked when a request is filed.

- at most five connections per request, at most four meters per connection, at most one
  connection per utility and operator;
- consent to process the request;
- a preferred period and unavailable days that are real, future and at most a year ahead;
- a Walloon site whose postal code and municipality agree, where a partner operator serves
  every requested utility (the operator-declared area of `service_area`).
"""

from datetime import date, timedelta

from . import service_area
from .errors import FieldError, InvalidRequestError, OutsideServiceAreaError, UncoveredUtility
from .models import ConnectionRequest, TelecomConnection

MAX_CONNECTIONS = 5
MAX_METERS = 4
# How far ahead a preferred period or an unavailable day may lie.
# NOTE: a product choice, not a rule of the operators; the six-week promise makes later dates rare.
PLANNING_HORIZON = timedelta(days=366)


def connection_label_key(connection: object) -> str:
    """Return the `utilities` message key of a connection, e.g. "telecom_voo"."""
    if isinstance(connection, TelecomConnection):
        return f"telecom_{connection.operator}"
    return connection.utility  # type: ignore[attr-defined]


def check_request(request: ConnectionRequest, today: date) -> service_area.Municipality:
    """Check every intake rule and return the site's municipality.

    Raises InvalidRequestError with every broken rule at once, then OutsideServiceAreaError
    when the site is valid but a requested utility has no partner there.
    """
    errors: list[FieldError] = []
    errors += _check_connections(request)
    errors += _check_dates(request, today)
    if not request.consent:
        errors.append(FieldError("consent", "consent_required"))

    municipality, site_errors = _locate_site(request)
    errors += site_errors
    if errors:
        raise InvalidRequestError(errors)

    assert municipality is not None
    _check_service_area(request, municipality)
    return municipality


def _check_connections(request: ConnectionRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(request.connections) > MAX_CONNECTIONS:
        errors.append(FieldError("connections", "too_many_connections",
                                 {"limit": MAX_CONNECTIONS, "count": len(request.connections)}))

    seen: set[str] = set()
    for index, connection in enumerate(request.connections):
        meters = getattr(connection, "meters", 1)
        if meters > MAX_METERS:
            errors.append(FieldError(f"connections[{index}].meters", "too_many_meters",
                                     {"limit": MAX_METERS, "count": meters}))

        if isinstance(connection, TelecomConnection):
            known = service_area.telecom_partner_ids()
            if connection.operator not in known:
                errors.append(FieldError(f"connections[{index}].operator", "literal_error",
                                         {"expected": ", ".join(known)}))

        label_key = connection_label_key(connection)
        if label_key in seen:
            errors.append(FieldError(f"connections[{index}]", "duplicate_connection",
                                     {"label_key": label_key}))
        seen.add(label_key)
    return errors


def _check_dates(request: ConnectionRequest, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    latest = today + PLANNING_HORIZON

    def check_day(field: str, day: date) -> None:
        if day < today:
            errors.append(FieldError(field, "date_in_past"))
        elif day > latest:
            errors.append(FieldError(field, "date_too_far", {"latest": latest}))

    period = request.preferred_period
    if period is not None:
        check_day("preferred_period.from", period.from_)
        check_day("preferred_period.to", period.to)
        if period.to < period.from_:
            errors.append(FieldError("preferred_period.to", "period_reversed"))

    seen: set[date] = set()
    for index, day in enumerate(request.unavailable_days):
        check_day(f"unavailable_days[{index}]", day)
        if day in seen:
            errors.append(FieldError(f"unavailable_days[{index}]", "duplicate_day"))
        seen.add(day)
    return errors


def _locate_site(
    request: ConnectionRequest,
) -> tuple[service_area.Municipality | None, list[FieldError]]:
    postal_code = request.site.postal_code
    candidates = service_area.municipalities_for_postal_code(postal_code)
    if not candidates:
        return None, [FieldError("site.postal_code", "postal_code_unknown",
                                 {"postal_code": postal_code})]

    municipality = service_area.match_municipality(postal_code, request.site.municipality)
    if municipality is None:
        expected = ", ".join(service_area.locality_names(postal_code))
        return None, [FieldError("site.municipality", "municipality_mismatch",
                                 {"municipality": request.site.municipality,
                                  "postal_code": postal_code, "expected": expected})]

    if not service_area.is_walloon(municipality):
        return None, [FieldError("site.postal_code", "outside_wallonia",
                                 {"postal_code": postal_code,
                                  "municipality": municipality.name_fr})]
    return municipality, []


def _check_service_area(request: ConnectionRequest,
                        municipality: service_area.Municipality) -> None:
    uncovered: list[UncoveredUtility] = []
    for index, connection in enumerate(request.connections):
        telecom_operator = getattr(connection, "operator", None)
        partner = service_area.partner_for(connection.utility, municipality.nis_code,
                                           telecom_operator)
        if partner is not None:
            continue

        contacts = tuple(service_area.other_distributors(connection.utility, municipality.nis_code))
        uncovered.append(UncoveredUtility(field=f"connections[{index}]",
                                          utility=connection.utility,
                                          label_key=connection_label_key(connection),
                                          contacts=contacts))
    if uncovered:
        raise OutsideServiceAreaError(request.site.postal_code, municipality.name_fr, uncovered)


def partners_for(request: ConnectionRequest, nis_code: str) -> list[str]:
    """Return the operator id serving each connection, in the order of the connections."""
    operator_ids: list[str] = []
    for connection in request.connections:
        partner = service_area.partner_for(connection.utility, nis_code,
                                           getattr(connection, "operator", None))
        if partner is None:
            raise ValueError(f"no partner serves {connection.utility} at {nis_code}")
        operator_ids.append(partner.id)
    return operator_ids
