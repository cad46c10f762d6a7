"""How the suite's own tests run contract and gate children: one worker each, narrowed where the
whole contract is not what a test is about.

The suite's own tests already fill every core (pytest-xdist, see plugins/parallel_groups.py). A contract
child that started its own side-by-side workers on top of that overcommits a 2-core machine many
times over (measured: 59 min and 300 s timeouts for the whole test command). So every child a test
starts runs its contract tests one after another; the tests of side-by-side running set their own
worker count. Gate runs whose subject is secrets, exit codes or the report keep one test of each
kind the gate files (schema, lifecycle, security); the README's main command is run whole once,
its latency limits off (gate/conftest.py: passing_gate_run).
"""

from __future__ import annotations

from otp_suite.loadtest.slo import DEFAULT_SLOS

#: Variables for any contract or gate child of a test: its contract tests one after another.
SERIAL_CONTRACT = {"OTP_CONTRACT_WORKERS": "1"}

#: Variables for a contract or gate child whose test is about the side-by-side run itself (every
#: worker stopped by a signal, numbers kept in the test range and unshared across workers): two xdist
#: workers are side by side as much as the default four, at half the start-up.
TWO_WORKER_CONTRACT = {"OTP_CONTRACT_WORKERS": "2"}

#: A narrow contract part for gate runs: the OpenAPI conformance checks, the happy path, one
#: lifecycle rule, and the tests that handle tokens and look for leaks (the secrets tests' subject).
NARROW_SELECT = "test_operation_conforms_to_openapi or test_registered_otp_verifies or test_consumed_challenge_refuses_replay or test_bad_token_refused or test_no_response_carries_otp_token_or_secret or security_tokens or security_leaks"

#: Variables for a gate or contract child whose subject is not the whole contract.
NARROW_CONTRACT = {**SERIAL_CONTRACT, "OTP_CONTRACT_SELECT": NARROW_SELECT, "OTP_MAX_EXAMPLES": "10"}

#: Every latency limit off (error ratios and throughput stay judged): for load and gate runs that
#: must pass whatever the machine's load, where latency is not the test's subject.
LATENCY_SLOS_OFF = {"OTP_SLO": ",".join(f"{slo.entry}.{slo.metric}=off" for slo in DEFAULT_SLOS if slo.metric.endswith("_ms"))}

#: pytest-timeout for a test that starts a whole gate run (contract and load smoke) on a busy machine.
GATE_TEST_TIMEOUT_S = 900
