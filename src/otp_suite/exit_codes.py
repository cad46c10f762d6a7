"""The suite's exit codes, one meaning each, shared by every command and the library under them."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What a run concluded about its target."""

    #: Every check and SLO holds.
    HOLDS = 0
    #: The target breaks the contract or an SLO (named in the output).
    BROKEN = 1
    #: The run could not judge: bad configuration or usage, unreachable target, interrupted, a bug of the suite.
    CANNOT_JUDGE = 2
