"""Which entries a run measures, and how long a run must last to measure them (no SLO passes unmeasured).

An SLO on an entry that the run never requested says nothing about the target, so it must not
count as held. Two cases differ:

* the run *chose* not to exercise the entry (its flows are left out by ``--tags``/``--exclude-tags``
  or weigh 0 in ``OTP_FLOW_MIX``): the SLO is **not applicable**, shown as such, and does not
  change the verdict;
* the run meant to exercise it but recorded no sample (a 15 s smoke and a 30 s resend cooldown):
  the SLO is **not judged**, and the run's verdict is "could not judge" (exit 2), naming the SLOs
  and the fix. :func:`minimum_run_time_s` is how long a run must last so that every operation it
  has SLOs for is sampled; the gate's smoke is lengthened to it (bounded by ``OTP_MAX_WAIT_S``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from otp_suite.loadtest.mix import FLOW_NAMES

#: Entries each flow requests (``inbox`` only when OTPs are read from an inbox).
FLOW_ENTRIES: dict[str, tuple[str, ...]] = {
    "direct": ("register", "inbox", "verify", "flow"),
    "resend": ("register", "resend", "inbox", "verify", "flow"),
    "wrong_otp": ("register", "inbox", "verify", "flow"),
}

#: Room for spawning and the first requests.
MEASURE_MARGIN_S = 2.0
#: Think pauses that fit before a resend flow must have started: about three flows per user (a
#: flow is 2-3 pauses), so that with the default mix (resend 2 of 5) and five users the chance that
#: none picks resend in time is about 0.6**15, well under one in a thousand.
_THINKS_BEFORE_RESEND = 8
#: Think pauses a resend flow makes besides the cooldown (register -> resend -> verify).
_THINKS_PER_RESEND_FLOW = 3


def chosen_flows(mix: Mapping[str, int], tags: Iterable[str] = (), exclude_tags: Iterable[str] = ()) -> tuple[str, ...]:
    """The flows this run plays: weight above 0, in ``tags`` when tags are given, not excluded."""
    tags, excluded = set(tags), set(exclude_tags)
    return tuple(name for name in FLOW_NAMES if mix.get(name, 0) > 0 and (not tags or name in tags) and name not in excluded)


def exercised_entries(flows: Iterable[str], *, reads_inbox: bool = True) -> frozenset[str]:
    """Entries the given flows request."""
    entries = {entry for flow in flows for entry in FLOW_ENTRIES[flow]}
    if not reads_inbox:
        entries.discard("inbox")
    return frozenset(entries)


def minimum_run_time_s(flows: Iterable[str], *, resend_cooldown_s: float, think_time_s: float) -> int:
    """The shortest run that samples every entry of ``flows``: one resend cooldown plus margin when resend is played."""
    if "resend" not in set(flows):
        return int(MEASURE_MARGIN_S + 2 * think_time_s + 0.999)  # every other entry is requested within a flow or two
    cooldown_s = resend_cooldown_s * 1.05 + 0.1  # as otp_suite.loadtest.pacing waits it out
    return int(MEASURE_MARGIN_S + cooldown_s + (_THINKS_BEFORE_RESEND + _THINKS_PER_RESEND_FLOW) * think_time_s + 0.999)
