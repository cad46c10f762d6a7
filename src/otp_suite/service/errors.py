"""Error responses: every error body is exactly ``{"code", "message"}`` (contract, 'Errors')."""

from __future__ import annotations

import math

from starlette.responses import JSONResponse


class ApiError(Exception):
    """An error answer: status, contract code, message and, for 429, seconds to wait."""

    def __init__(self, status: int, code: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
        #: Extra response headers (only faults add any).
        self.headers: dict[str, str] = {}

    def response(self, *, with_retry_after: bool = True, rounding: str = "up", extra_key: bool = False) -> JSONResponse:
        """The JSON response; 429s carry ``Retry-After`` in whole seconds, at least 1.

        ``rounding`` other than ``up`` and ``extra_key`` exist only for the fault catalog.
        """
        headers = dict(self.headers)
        if self.retry_after_s is not None and with_retry_after:
            if rounding == "down":
                headers["Retry-After"] = str(math.floor(self.retry_after_s))
            elif rounding == "fraction":
                headers["Retry-After"] = f"{self.retry_after_s:.2f}"
            else:
                headers["Retry-After"] = str(max(1, math.ceil(self.retry_after_s)))
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if extra_key:
            body["status"] = self.status
        return JSONResponse(body, status_code=self.status, headers=headers)


def unauthorized() -> ApiError:
    return ApiError(401, "UN_AUTHORIZED", "a valid user-jwt-token header is required")


def invalid_request(reason: str) -> ApiError:
    return ApiError(400, "INVALID_REQUEST", reason)


def invalid_otp() -> ApiError:
    return ApiError(401, "INVALID_OTP", "the OTP or authCode is not valid for this number")


def otp_expired() -> ApiError:
    return ApiError(401, "OTP_EXPIRED", "the OTP has expired; request a new one")


def too_many_attempts(retry_after_s: float) -> ApiError:
    return ApiError(429, "TOO_MANY_ATTEMPTS", "too many wrong attempts; request a new OTP", retry_after_s)


def too_many_requests(retry_after_s: float) -> ApiError:
    return ApiError(429, "TOO_MANY_REQUESTS", "too many OTP requests for this number; retry later", retry_after_s)


def payload_too_large(limit: int) -> ApiError:
    return ApiError(413, "PAYLOAD_TOO_LARGE", f"request bodies are limited to {limit} bytes")


def unsupported_media_type() -> ApiError:
    return ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json")
