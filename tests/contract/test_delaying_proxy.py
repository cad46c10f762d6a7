"""The delaying proxy models a network link: every answer passes unchanged and a round trip
through it takes at least the configured round-trip time (plus one more for a new connection's
handshake). Each test serves its own reference service on a fresh port, so the tests are safe
under pytest-xdist."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from otp_suite.config import load_config
from otp_suite.contract.runner import FAR_TARGET_WORKERS, FIRST_WORKERS, LATER_WORKER_NICENESS, side_by_side_options
from otp_suite.preflight import round_trip_s
from otp_suite.service import ServiceSettings, create_app
from otp_suite.service.server import ServiceThread
from otp_suite.testdata.delaying_proxy import DelayingProxy, delayed_link

ROUND_TRIP_S = 0.2


@pytest.fixture
def served() -> Iterator[ServiceThread]:
    with ServiceThread(create_app(ServiceSettings(jwt_secret="proxy-test-secret"))) as service:
        yield service


def test_answers_pass_through_unchanged(served: ServiceThread) -> None:
    direct = httpx.get(served.url + "/no-such-path")

    with delayed_link(served.url, round_trip_s=ROUND_TRIP_S) as link:
        proxied = httpx.get(link.url + "/no-such-path")

    assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content)
    assert link.counters.connections == 1 and link.counters.bytes_down >= len(direct.content)


def test_each_round_trip_takes_at_least_the_configured_time(served: ServiceThread) -> None:
    with delayed_link(served.url, round_trip_s=ROUND_TRIP_S) as link, httpx.Client(base_url=link.url) as client:
        started = time.perf_counter()
        client.get("/no-such-path")  # new connection: handshake round trip, then request and answer
        first = time.perf_counter() - started
        started = time.perf_counter()
        client.get("/no-such-path")  # kept-alive connection: one round trip
        second = time.perf_counter() - started

    assert first >= 2 * ROUND_TRIP_S
    assert second >= ROUND_TRIP_S
    assert link.counters.connections == 1


def test_refuses_a_non_loopback_upstream() -> None:
    with pytest.raises(ValueError, match="not loopback"):
        DelayingProxy("192.0.2.1", 80, one_way_delay_s=0.025)


def test_the_runner_times_a_far_target_by_its_round_trips_and_plans_more_workers(served: ServiceThread) -> None:
    config = load_config({"OTP_BASE_URL": served.url, "OTP_TTL_S": "3", "OTP_RESEND_COOLDOWN_S": "1"})

    with delayed_link(served.url, round_trip_s=ROUND_TRIP_S) as link:
        far = replace(config, base_url=link.url)
        measured = round_trip_s(far)
        said: list[str] = []
        options = side_by_side_options(far, said.append, round_trip_s=measured)

    assert measured >= ROUND_TRIP_S  # a lower bound: a busy machine only adds to it
    assert options[options.index("--tx") + 1 :: 2][:2] == [f"{FIRST_WORKERS}*popen", f"{FAR_TARGET_WORKERS - FIRST_WORKERS}*popen//nice={LATER_WORKER_NICENESS}"]
    assert said and "a far target" in said[0]
