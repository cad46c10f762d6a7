"""Load shapes: users over time for each named shape, and how their parameters are checked."""

from __future__ import annotations

import pytest

from otp_suite.loadtest.shapes import SHAPES, ShapeError, ShapeSpec, parse_shape_params, plan


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_stops_at_the_run_time(name):
    spec = ShapeSpec(name=name, users=20, spawn_rate=5, run_time_s=60)

    assert plan(spec, 59.9) is not None
    assert plan(spec, 60.0) is None


def test_steady_holds_the_users_at_the_spawn_rate_from_the_start():
    spec = ShapeSpec(name="steady", users=20, spawn_rate=5, run_time_s=60)

    assert [plan(spec, t) for t in (0, 30, 59)] == [(20, 5), (20, 5), (20, 5)]


def _planned(spec: ShapeSpec, elapsed_s: float) -> tuple[int, float]:
    """Users and spawn rate ``elapsed_s`` into a run that has not ended."""
    tick = plan(spec, elapsed_s)
    assert tick is not None, f"the {spec.name} shape ended at {elapsed_s} s"
    return tick


def test_ramp_grows_linearly_from_start_users_to_users_then_holds():
    spec = ShapeSpec(name="ramp", users=21, spawn_rate=5, run_time_s=60, params={"start_users": 1, "ramp_s": 20})

    assert [_planned(spec, t)[0] for t in (0, 10, 20, 40)] == [1, 11, 21, 21]


def test_step_climbs_in_equal_steps_of_equal_length():
    spec = ShapeSpec(name="step", users=40, spawn_rate=10, run_time_s=80, params={"steps": 4})

    assert [_planned(spec, t)[0] for t in (0, 19, 20, 45, 79)] == [10, 10, 20, 30, 40]


def test_spike_jumps_to_all_users_within_a_second_and_falls_back():
    spec = ShapeSpec(name="spike", users=50, spawn_rate=5, run_time_s=60, params={"base_users": 5, "spike_at_s": 20, "spike_s": 10})

    before, during, after = _planned(spec, 10), _planned(spec, 25), _planned(spec, 35)
    assert before[0] == 5 and after[0] == 5
    assert during == (50, 50)


def test_soak_ramps_gently_and_holds_for_the_whole_run():
    spec = ShapeSpec(name="soak", users=100, spawn_rate=50, run_time_s=3600)

    users, rate = _planned(spec, 10)
    assert users == 100
    assert rate == pytest.approx(100 / 300)
    assert plan(spec, 3599) == (users, rate)


def test_shape_parameters_are_numbers_the_shape_knows():
    assert parse_shape_params("step", "steps=5, step_s=12") == {"steps": 5.0, "step_s": 12.0}


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [("zigzag", "", "zigzag"), ("step", "ramp_s=3", "ramp_s=3"), ("ramp", "ramp_s=soon", "ramp_s"), ("spike", "spike_s", "spike_s"), ("step", "steps=-1", "steps")],
)
def test_a_bad_shape_or_parameter_is_refused_by_name(name, text, named):
    with pytest.raises(ShapeError, match=named):
        parse_shape_params(name, text)
