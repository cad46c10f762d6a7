"""Authentication of the ``user-jwt-token`` header (contract, 'Authentication')."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeGuard

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from otp_suite.service.faults import Faults

if TYPE_CHECKING:
    from jwt.types import Options

# The secret is the environment's choice; a short one is refused by nobody here, so no warning per request.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

LEEWAY_S = 30


def authenticated_user(token: str | None, secret: str, now: float, faults: Faults = Faults()) -> str | None:
    """The ``user_id`` of a valid token, or None when the token must be refused with 401.

    Valid means: HS256 signature with ``secret``; ``exp`` and ``iat`` present; ``exp`` at most
    30 s past; ``nbf``, if present, at most 30 s ahead; ``user_id`` and ``client_id`` non-empty
    strings.
    """
    if not token:
        return None
    algorithms = ("HS256", "HS384", "HS512") if "accept_any_hmac" in faults else ("HS256",)
    claims: Mapping[str, Any] | None
    try:
        header_alg = jwt.get_unverified_header(token).get("alg") if faults.active else None
        if ("accept_alg_none" in faults and header_alg == "none") or ("no_signature_check" in faults and header_alg in algorithms):
            claims = jwt.decode(token, options={"verify_signature": False})
        else:
            claims = _signed_claims(token, secret, algorithms)
    except jwt.PyJWTError:
        return None
    if claims is None:
        return None
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    if not _is_number(exp) or not (_is_number(iat) or "iat_optional" in faults):
        return None
    exp_leeway = 60 if "exp_leeway_60" in faults else 0 if "exp_no_leeway" in faults else LEEWAY_S
    nbf_leeway = 60 if "nbf_leeway_60" in faults else 0 if "nbf_no_leeway" in faults else LEEWAY_S
    if exp < now - exp_leeway and "accept_expired_token" not in faults:
        return None
    if nbf is not None and (not _is_number(nbf) or (nbf > now + nbf_leeway and "accept_future_nbf" not in faults)):
        return None
    user_id, client_id = claims.get("user_id"), claims.get("client_id")
    if "no_claims_check" in faults:
        return str(user_id or claims.get("sub") or "anonymous")
    user_ok = isinstance(user_id, str) and (bool(user_id) or "empty_user_id_accepted" in faults)
    client_ok = (isinstance(client_id, str) and bool(client_id)) or ("client_id_any_type" in faults and client_id not in (None, ""))
    if not (user_ok and client_ok):
        return None
    if "user_from_sub" in faults:
        return str(claims.get("sub"))
    if "user_from_namespaced_id" in faults:
        return str(claims.get("namespaced_third_party_user_id"))
    return user_id


# Only the contract's claims decide: pyjwt's own checks of sub and jti would refuse tokens the
# contract accepts (e.g. a numeric sub), and time claims are checked against the service's clock.
_DECODE_OPTIONS: Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


@functools.lru_cache(maxsize=8192)
def _signed_claims(token: str, secret: str, algorithms: tuple[str, ...]) -> Mapping[str, Any] | None:
    """The claims of ``token`` if its signature verifies with ``secret``, else None.

    A pure function of its arguments, so it is cached: clients reuse one token for many requests,
    and pyjwt's checks cost several times the rest of a register request. Time claims are not
    judged here but per request, against the clock.
    """
    try:
        return MappingProxyType(jwt.decode(token, secret, algorithms=list(algorithms), options=_DECODE_OPTIONS))
    except jwt.PyJWTError:
        return None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
