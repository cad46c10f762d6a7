"""Locust load test of the OTP API: users who register, wait, resend, read the SMS and verify.

Run it on its own (web UI on http://localhost:8089):

    locust -f load/locustfile.py                        # starts the embedded reference service
    OTP_BASE_URL=http://127.0.0.1:8000 OTP_JWT_SECRET=... locust -f load/locustfile.py

or through the suite, which adds the SLO gate, summary.json and the Allure result:

    otp-suite load --run-time 30s

Flows (pick with Locust's --tags / --exclude-tags; weights from OTP_FLOW_MIX, e.g. direct=2,resend=2,wrong_otp=1):

    direct      register → think → read the OTP → verify
    resend      register → wait out the resend cooldown → resend → read the OTP → verify
    wrong_otp   register → think → read the OTP → verify a wrong OTP (401 expected) → verify

Requests are named by operation (register, resend, inbox, verify); every flow is one more entry,
``flow``, failed when any of its steps failed. Configuration is the suite's (OTP_* variables or
the OTP_ENV profile): target, JWT secret or token, test number range, policy, think time.
Load shapes: --shape steady|ramp|step|spike|soak with --shape-params KEY=VALUE,...
"""

from __future__ import annotations

import logging
import sys

from locust import FastHttpUser, LoadTestShape, events, tag, task

from otp_suite.config import ConfigError, load_config
from otp_suite.loadtest.census import WorkerCensus
from otp_suite.loadtest.flows import Flow, wrong_otp
from otp_suite.loadtest.identities import TestNumbers, UserToken
from otp_suite.loadtest.mix import FlowMixError, parse_flow_mix
from otp_suite.loadtest.pacing import DEFAULT_THINK_TIME_S, EMBEDDED_LOAD_POLICY, Pacing
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed
from otp_suite.loadtest.shapes import SHAPES, ShapeError, ShapeSpec, parse_shape_params, plan

log = logging.getLogger("otp-suite")

# The suite's one configuration object, built once for this process and passed down from here.
try:
    CONFIG = load_config()
    MIX = parse_flow_mix(CONFIG.flow_mix)
except (ConfigError, FlowMixError) as error:
    sys.exit(f"otp-suite locustfile: {error}")


class Target:
    """The resolved target of this process: CONFIG, or the embedded service started at init."""

    config = CONFIG
    pacing = Pacing(CONFIG.policy, CONFIG.think_time_s if CONFIG.think_time_s is not None else DEFAULT_THINK_TIME_S)
    numbers: TestNumbers | None = None


class OtpUser(FastHttpUser):
    """A person signing in with an OTP, again and again, on a fresh test number each time."""

    host = CONFIG.base_url
    insecure = not CONFIG.verify_tls  # FastHttpUser skips certificate checks unless told otherwise
    network_timeout = CONFIG.request_timeout_s
    connection_timeout = CONFIG.request_timeout_s

    def wait_time(self) -> float:
        return Target.pacing.think_s()

    def on_start(self) -> None:
        lane = self.environment.runner.worker_index if self.environment.runner else 0
        if Target.numbers is None:
            Target.numbers = TestNumbers(Target.config, lane=max(0, lane))
        self.numbers = Target.numbers
        self.token = UserToken(Target.config, label=f"w{lane}")
        self.inbox_url = None if Target.config.fixed_code else Target.config.resolved_inbox_url()

    @tag("direct")
    @task(MIX["direct"])
    def direct_verify(self) -> None:
        number = self.numbers.next()
        with self.flow() as flow:
            auth_code = flow.register(number)
            flow.think()
            otp = flow.read_otp(number)
            flow.verify(number, auth_code, otp)

    @tag("resend")
    @task(MIX["resend"])
    def verify_after_resend(self) -> None:
        number = self.numbers.next()
        with self.flow() as flow:
            auth_code = flow.register(number)
            flow.wait_out_cooldown()
            flow.resend(number)
            otp = flow.read_otp(number)
            flow.think()
            flow.verify(number, auth_code, otp)

    @tag("wrong_otp")
    @task(MIX["wrong_otp"])
    def wrong_otp_first(self) -> None:
        number = self.numbers.next()
        with self.flow() as flow:
            auth_code = flow.register(number)
            flow.think()
            otp = flow.read_otp(number)
            if Target.pacing.can_guess_wrong_first():
                flow.verify(number, auth_code, wrong_otp(otp), expect=401)
            flow.verify(number, auth_code, otp)

    def flow(self, intended_start: float | None = None) -> Flow:
        """A new flow on this user's client and token, recorded as the ``flow`` entry.

        ``intended_start`` (epoch seconds) is when the flow was due; by default, now.
        """
        return Flow(
            self.client,
            self.environment.events,
            self.token.current(),
            Target.pacing,
            inbox_url=self.inbox_url,
            fixed_code=Target.config.fixed_code,
            intended_start=intended_start,
        )


class NamedShape(LoadTestShape):
    """The shape named by --shape, over --users, --spawn-rate and --run-time (see otp_suite.loadtest.shapes)."""

    use_common_options = True

    def tick(self):  # type: ignore[no-untyped-def]
        options = self.runner.environment.parsed_options
        spec = ShapeSpec(
            name=options.shape,
            users=options.num_users or 1,
            spawn_rate=options.spawn_rate or 1.0,
            run_time_s=options.run_time or float("inf"),
            params=parse_shape_params(options.shape, options.shape_params),
        )
        return plan(spec, self.get_run_time())


@events.init_command_line_parser.add_listener
def add_options(parser) -> None:  # type: ignore[no-untyped-def]
    group = parser.add_argument_group("otp-suite")
    group.add_argument("--shape", choices=sorted(SHAPES), default=CONFIG.load_shape or "steady", help="Load shape (OTP_LOAD_SHAPE)")
    group.add_argument("--shape-params", default=CONFIG.load_shape_params or "", help="Shape parameters KEY=VALUE,... (OTP_LOAD_SHAPE_PARAMS)")


# -- the target: the embedded service when none is named; refuse what may not be loaded -------------

embedded_service = None


@events.init.add_listener
def resolve_target(environment, **kwargs) -> None:  # type: ignore[no-untyped-def]
    global embedded_service
    options = environment.parsed_options
    try:
        parse_shape_params(options.shape, options.shape_params)
    except ShapeError as error:
        sys.exit(f"otp-suite locustfile: {error}")
    if CONFIG.base_url is None and not options.host and not options.worker:
        from otp_suite.target import resolved_target

        embedded_service = resolved_target(CONFIG, policy=EMBEDDED_LOAD_POLICY)
        Target.config = embedded_service.__enter__()
        Target.pacing = Pacing(Target.config.policy, Target.pacing.think_time_s)
        environment.host = Target.config.base_url
        log.warning("no OTP_BASE_URL: load goes to the embedded reference service at %s", environment.host)


@events.test_start.add_listener
def check_target(environment, **kwargs) -> None:  # type: ignore[no-untyped-def]
    host = (environment.host or OtpUser.host or "").rstrip("/")
    if host and host != Target.config.base_url:
        Target.config = Target.config.with_target(host)  # --host or the web UI named another target
    if environment.parsed_options.worker:
        return  # the master decides
    try:
        check_load_allowed(host, Target.config)
    except LoadRefused as refusal:
        log.error("otp-suite: %s", refusal)
        environment.process_exit_code = 2
        environment.runner.quit()


@events.quitting.add_listener
def stop_embedded_service(environment, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if embedded_service is not None:
        embedded_service.__exit__(None, None, None)


WorkerCensus().attach(events)
