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

Open model: --arrival-rate R (OTP_ARRIVAL_RATE) starts R flows per second on schedule, whatever
the response times, each flow in its own greenlet (at most --max-flows at once); flows that cannot
start on time are dropped and counted (otp_suite.loadtest.arrival). --users and the shape are then
ignored: one scheduler runs per process. With --csv, the run's latency corrected for coordinated
omission (otp_suite.loadtest.corrected) is written to <prefix>_corrected.json.

The suite's options here (--shape, --arrival-rate, --abort-on-breach, --metrics-port, ...) are made
from their settings (otp_suite.loadtest.locust_options) and shown in the web UI. --abort-on-breach
stops the test once an SLO (OTP_SLO over the defaults) is breached beyond doubt; --metrics-port
serves live Prometheus metrics at /metrics (otp_suite.loadtest.live_run).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import gevent.pool
from locust import FastHttpUser, LoadTestShape, constant, events, tag, task
from locust.exception import StopUser

from otp_suite.config import ConfigError
from otp_suite.loadtest.arrival import ArrivalError, ArrivalPlan, default_max_in_flight, flow_chooser, keep_schedule
from otp_suite.loadtest.census import WorkerCensus
from otp_suite.loadtest.flows import FLOW_STEPS, Flow
from otp_suite.loadtest.identities import UserToken
from otp_suite.loadtest.latency_collector import LatencyCollector
from otp_suite.loadtest.locust_options import add_setting_arguments, with_locust_options
from otp_suite.loadtest.locust_run import LocustRun, attach, build_run, run_of, tolerate_busy_workers
from otp_suite.loadtest.mix import FLOW_NAMES, FlowMixError
from otp_suite.loadtest.pacing import EMBEDDED_LOAD_POLICY
from otp_suite.loadtest.safety import LoadRefused, check_load_allowed
from otp_suite.loadtest.shapes import SHAPES, ShapeError, ShapeSpec, Tick, parse_shape_params, plan
from otp_suite.tls import gevent_context_factory

log = logging.getLogger("otp-suite")

# Locust's environment is typed Any here, as in otp_suite.loadtest: Locust types its runner and
# parsed options Optional, though both are set before any listener or user of this file runs.


class OtpUserBase(FastHttpUser):
    """What both kinds of user share: the client's settings from the run's configuration, the numbers, the inbox."""

    abstract = True
    max_redirects = 0  # a redirect is the target's answer, never followed: it could carry the token elsewhere

    def __init__(self, environment: Any) -> None:
        self.load_run = run_of(environment)
        self.insecure = not self.load_run.config.verify_tls  # FastHttpUser skips certificate checks unless told otherwise
        # geventhttpclient trusts only certifi's CAs: the suite's trust (OTP_CA_BUNDLE, SSL_CERT_FILE, ...) instead.
        self.ssl_context_factory = gevent_context_factory(self.load_run.config)
        self.network_timeout = self.connection_timeout = self.load_run.config.request_timeout_s
        super().__init__(environment)

    @property
    def lane(self) -> int:
        """This process's phone-number lane: its worker index (0 for a single process)."""
        runner = self.environment.runner
        return max(0, runner.worker_index if runner else 0)

    def on_start(self) -> None:
        self.numbers = self.load_run.numbers(self.lane)
        self.inbox_url = self.load_run.inbox_url()

    def new_flow(self, token: UserToken, intended_start: float | None = None) -> Flow:
        """A new flow on this user's client and ``token``, recorded as the ``flow`` entry.

        ``intended_start`` (epoch seconds) is when the flow was due; by default, now.
        """
        return Flow(self.client, self.environment.events, token.current(), self.load_run.pacing, inbox_url=self.inbox_url, fixed_code=self.load_run.config.fixed_code, intended_start=intended_start)


class OtpUser(OtpUserBase):
    """A person signing in with an OTP, again and again, on a fresh test number each time (closed model).

    The tasks' weights are the flow mix's, set when the run is built (:func:`build_process_run`).
    """

    def wait_time(self) -> float:
        return self.load_run.pacing.think_s()

    def on_start(self) -> None:
        super().on_start()
        self.token = UserToken(self.load_run.config, label=f"w{self.lane}")

    def play(self, name: str) -> None:
        with self.new_flow(self.token) as flow:
            FLOW_STEPS[name](flow, self.numbers.next())

    @tag("direct")
    @task
    def direct_verify(self) -> None:
        self.play("direct")

    @tag("resend")
    @task
    def verify_after_resend(self) -> None:
        self.play("resend")

    @tag("wrong_otp")
    @task
    def wrong_otp_first(self) -> None:
        self.play("wrong_otp")


#: The closed model's task of each flow, weighted by the mix at init.
FLOW_TASKS = {"direct": OtpUser.direct_verify, "resend": OtpUser.verify_after_resend, "wrong_otp": OtpUser.wrong_otp_first}


# -- the open model --------------------------------------------------------------------------------

LATENCY = LatencyCollector()


class ArrivalFlows(OtpUserBase):
    """The scheduler of one process in arrival-rate mode: starts each flow on time in a greenlet of its own.

    The flows share this user's HTTP client (one connection per running flow, up to --max-flows)
    and a pool of identities, each with its own JWT, handed to one running flow at a time.
    """

    wait_time = constant(0)

    def __init__(self, environment: Any) -> None:
        self.plan = arrival_plan(environment)
        self.concurrency = self.plan.max_in_flight  # FastHttpSession's connection pool, read by super().__init__
        super().__init__(environment)
        # --tags choose flows of the mix here, never the scheduler itself.
        self.tasks = [ArrivalFlows.run_schedule]

    def on_start(self) -> None:
        self.is_scheduler = not self.load_run.scheduler_running
        if not self.is_scheduler:
            raise StopUser()  # one scheduler per process keeps the rate, whatever --users says
        self.load_run.scheduler_running = True
        super().on_start()
        self.free_tokens: list[UserToken] = []
        self.tokens_made = 0
        options = self.environment.parsed_options
        self.choose = flow_chooser(self.load_run.mix, options.tags, options.exclude_tags)

    def on_stop(self) -> None:
        if getattr(self, "is_scheduler", False):
            self.load_run.scheduler_running = False

    @task
    def run_schedule(self) -> None:
        """Run the schedule until Locust stops this user; running flows stop with it."""
        flows = gevent.pool.Pool(self.plan.max_in_flight)
        try:
            keep_schedule(self.plan, self.play, self.choose, LATENCY.counters, flows)
        finally:
            flows.kill(block=False)

    def play(self, name: str, due: float) -> None:
        """One flow, due at ``due`` (epoch seconds), with an identity no other running flow holds."""
        token = self.free_tokens.pop() if self.free_tokens else self._new_token()
        try:
            with self.new_flow(token, intended_start=due) as flow:
                FLOW_STEPS[name](flow, self.numbers.next())
        except Exception:
            log.exception("otp-suite: flow %s raised", name)
        finally:
            self.free_tokens.append(token)

    def _new_token(self) -> UserToken:
        self.tokens_made += 1
        return UserToken(self.load_run.config, label=f"w{self.lane}a{self.tokens_made}")


def arrival_plan(environment: Any) -> ArrivalPlan:
    """This process's share of --arrival-rate: all of it, or one worker's part (--expect-workers of them)."""
    options = environment.parsed_options
    runner = environment.runner
    is_worker = bool(options.worker)
    of = max(1, int(options.expect_workers or 1)) if is_worker else 1
    share = max(0, runner.worker_index) if is_worker and runner else 0
    max_in_flight = options.max_flows or default_max_in_flight(options.arrival_rate, run_of(environment).config.request_timeout_s, of)
    return ArrivalPlan(rate=options.arrival_rate, max_in_flight=max_in_flight, share=share % of, of=of, tolerance_s=run_of(environment).config.arrival_tolerance_ms / 1000)


class NamedShape(LoadTestShape):
    """The shape named by --shape, over --users, --spawn-rate and --run-time (see otp_suite.loadtest.shapes)."""

    use_common_options = True

    def tick(self) -> Tick:
        runner: Any = self.runner  # set by Locust before the first tick
        options = runner.environment.parsed_options
        elapsed_s: float = self.get_run_time()  # type: ignore[no-untyped-call]  # Locust leaves it unannotated
        if options.arrival_rate:
            # Open model: one scheduler per load-generating process, for the run time.
            schedulers = max(1, int(options.expect_workers or 1)) if options.master else 1
            run_time_s = options.run_time or float("inf")
            return None if elapsed_s >= run_time_s else (schedulers, float(schedulers))
        spec = ShapeSpec(
            name=options.shape,
            users=options.num_users or 1,
            spawn_rate=options.spawn_rate or 1.0,
            run_time_s=options.run_time or float("inf"),
            params=parse_shape_params(options.shape, options.shape_params),
        )
        return plan(spec, elapsed_s)


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]  # Locust's add_listener is unannotated
def add_options(parser: Any) -> None:
    # Made from the settings' declarations (otp_suite.loadtest.locust_options), shown in the web UI.
    add_setting_arguments(parser, choices={"--shape": sorted(SHAPES)})


# -- wiring: the run is built at init; the target is the embedded service when none is named ---------


@events.init.add_listener  # type: ignore[untyped-decorator]  # Locust's add_listener is unannotated
def build_process_run(environment: Any, **kwargs: Any) -> None:
    options = environment.parsed_options
    try:
        run = build_run()
        # The options given to Locust (command line, web UI) over the profile and the variables.
        run.with_config(with_locust_options(run.config, options))
        parse_shape_params(options.shape, options.shape_params)
        if options.arrival_rate:
            flow_chooser(run.mix, options.tags, options.exclude_tags)
    except (ConfigError, FlowMixError, ShapeError, ArrivalError) as error:
        sys.exit(f"otp-suite locustfile: {error}")
    attach(environment, run)
    if options.master:
        tolerate_busy_workers()
    # The closed model's weights are the mix's (Locust's --tags filter this list when the test starts).
    OtpUser.tasks = [FLOW_TASKS[name] for name in FLOW_NAMES for _ in range(run.mix[name])]
    if not options.worker:
        # The master or the single process decides which users run: the scheduler in arrival-rate
        # mode, the closed-model users otherwise. (A worker keeps both: the master names the class.)
        chosen = [ArrivalFlows] if options.arrival_rate else [c for c in environment.user_classes if c is not ArrivalFlows]
        environment.user_classes[:] = chosen
        if options.arrival_rate:
            LATENCY.plan = {"rate": options.arrival_rate, "max_flows": options.max_flows or default_max_in_flight(options.arrival_rate, run.config.request_timeout_s), "tolerance_ms": run.config.arrival_tolerance_ms}
    if run.config.base_url is None and not options.host and not options.worker:
        from otp_suite.target import resolved_target

        run.embedded_service = resolved_target(run.config, policy=EMBEDDED_LOAD_POLICY)
        run.with_config(run.embedded_service.__enter__())
        log.warning("no OTP_BASE_URL: load goes to the embedded reference service at %s", run.config.base_url)
    if not environment.host and not options.worker:
        environment.host = run.config.base_url


@events.test_start.add_listener  # type: ignore[untyped-decorator]  # Locust's add_listener is unannotated
def check_target(environment: Any, **kwargs: Any) -> None:
    run = run_of(environment)
    try:
        run.with_config(with_locust_options(run.config, environment.parsed_options))  # the web UI may have changed them
    except ConfigError as error:
        log.error("otp-suite: %s", error)
        environment.process_exit_code = 2
        environment.runner.quit()
        return
    host = (environment.host or "").rstrip("/")
    if host and host != run.config.base_url:
        run.with_config(run.config.with_target(host))  # --host or the web UI named another target
    if environment.parsed_options.worker:
        return  # the master decides
    try:
        check_load_allowed(host, run.config)
    except LoadRefused as refusal:
        log.error("otp-suite: %s", refusal)
        environment.process_exit_code = 2
        environment.runner.quit()
        return
    watch_live(run, environment)


def watch_live(run: LocustRun, environment: Any) -> None:
    """Abort on breach and /metrics (otp_suite.loadtest.live_run), when asked for; one watch per test."""
    if run.live is not None:
        run.live.stop()  # a new test from the web UI
        run.live = None
    if run.config.abort_on_breach or run.config.metrics_port:
        from otp_suite.loadtest.live_run import LiveRun

        run.live = LiveRun(environment, run.config, LATENCY)
        run.live.start()


@events.quitting.add_listener  # type: ignore[untyped-decorator]  # Locust's add_listener is unannotated
def stop_what_this_process_started(environment: Any, **kwargs: Any) -> None:
    try:
        run = run_of(environment)
    except RuntimeError:
        return  # quitting before init finished (a bad option): nothing was started
    if run.live is not None:
        run.live.stop()
    if run.embedded_service is not None:
        run.embedded_service.__exit__(None, None, None)


WorkerCensus().attach(events)
LATENCY.attach(events)
