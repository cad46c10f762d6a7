"""The mix of flows a load run plays: which flows, and how often each (``OTP_FLOW_MIX``)."""

from __future__ import annotations

#: The flows of the locustfile, by tag, and their default weights.
FLOW_NAMES = ("direct", "resend", "wrong_otp")
DEFAULT_FLOW_MIX = {"direct": 2, "resend": 2, "wrong_otp": 1}


class FlowMixError(ValueError):
    """``OTP_FLOW_MIX`` is not valid; the message says how to write it."""


def parse_flow_mix(text: str | None) -> dict[str, int]:
    """``"direct=3,resend=1"`` -> weights for every flow (flows not named keep their default)."""
    mix = dict(DEFAULT_FLOW_MIX)
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        name, sep, weight = item.partition("=")
        name = name.strip()
        if not sep or name not in FLOW_NAMES or not weight.strip().isdigit():
            raise FlowMixError(f"OTP_FLOW_MIX item {item!r} is not FLOW=WEIGHT with FLOW one of {', '.join(FLOW_NAMES)} and WEIGHT a whole number")
        mix[name] = int(weight)
    if not any(mix.values()):
        raise FlowMixError(f"OTP_FLOW_MIX={text!r} gives every flow weight 0; give at least one a weight above 0")
    return mix
