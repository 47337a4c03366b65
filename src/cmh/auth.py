"""Development admin tokens, checked the way API Gateway's JWT authorizer checks Cognito's.

The local runtime signs HS256 JWTs with a key made at each start and kept in
`.cmh/dev-auth.json`, so `cmh admin token` can issue tokens for the running platform. The
checks are the authorizer's: signature, issuer, audience (`aud` or `client_id`), expiry.
"""

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

ALGORITHM = "HS256"
LOCAL_USER_POOL_ID = "eu-west-1_localpool"
LOCAL_CLIENT_ID = "localadminclient"
TOKEN_LIFETIME_SECONDS = 12 * 3600


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True)
class DevelopmentAuth:
    key: str
    issuer: str
    audience: str

    @classmethod
    def create(cls, issuer: str, audience: str) -> "DevelopmentAuth":
        return cls(key=secrets.token_urlsafe(48), issuer=issuer, audience=audience)

    @classmethod
    def load(cls, path: Path) -> "DevelopmentAuth":
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f"{path} not found: start the local platform first (make run)") from error

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.__dict__), encoding="utf-8")
        path.chmod(0o600)

    def issue(self, email: str, groups: list[str], subject: str | None = None) -> str:
        now = int(time.time())
        claims = {
            "sub": subject or f"local-{email}",
            "email": email,
            "cognito:groups": groups,
            "iss": self.issuer,
            "aud": self.audience,
            "token_use": "id",
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Return the claims of a valid token; raise InvalidTokenError otherwise."""
        if not authorization:
            raise InvalidTokenError("missing token")
        token = authorization.removeprefix("Bearer ").removeprefix("bearer ").strip()
        try:
            claims = jwt.decode(token, self.key, algorithms=[ALGORITHM], issuer=self.issuer,
                                options={"verify_aud": False, "require": ["exp", "iss"]})
        except jwt.PyJWTError as error:
            raise InvalidTokenError(str(error)) from error
        if self.audience not in (claims.get("aud"), claims.get("client_id")):
            raise InvalidTokenError("audience does not match")
        return claims


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Render claims as HTTP API passes them to Lambda: strings, lists as "[a b]"."""
    rendered = {}
    for name, value in claims.items():
        if isinstance(value, list):
            rendered[name] = "[" + " ".join(str(item) for item in value) + "]"
        else:
            rendered[name] = str(value)
    return rendered
