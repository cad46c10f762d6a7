"""The suite's settings on Locust's command line are made from their declaration, with one precedence."""

from __future__ import annotations

from pathlib import Path

import configargparse
import pytest

from otp_suite.config import SETTINGS, ConfigError, load_config
from otp_suite.loadtest.locust_options import LOCUST_SETTINGS, add_setting_arguments, with_locust_options


@pytest.fixture
def locust_parser() -> configargparse.ArgumentParser:
    """The kind of parser Locust hands to ``init_command_line_parser`` (configargparse), with the suite's options."""
    parser = configargparse.ArgumentParser()
    add_setting_arguments(parser)
    return parser


@pytest.fixture
def perf_profile(tmp_path: Path) -> dict[str, str]:
    """Variables choosing a profile that sets the shape and the arrival rate."""
    profile = tmp_path / "environments.toml"
    profile.write_text('[perf]\nload_shape = "ramp"\narrival_rate = 3\n')
    return {"OTP_ENV": "perf", "OTP_PROFILE_FILE": str(profile)}


def test_every_locust_option_is_a_declared_setting_naming_its_variable(locust_parser):
    help_text = locust_parser.format_help()

    for option, name in LOCUST_SETTINGS.items():
        assert option in help_text
        assert SETTINGS[name].variable in help_text


def test_an_option_not_given_keeps_the_profiles_value_and_shows_it(locust_parser, perf_profile):
    options = locust_parser.parse_args([], env_vars={})

    config = with_locust_options(load_config(perf_profile), options)

    assert (config.load_shape, config.arrival_rate) == ("ramp", 3.0)
    assert (options.shape, options.arrival_rate) == ("ramp", 3.0)


def test_an_option_given_wins_over_the_profile_and_the_variable(locust_parser, perf_profile):
    options = locust_parser.parse_args(["--shape", "spike", "--max-flows", "7"], env_vars={})

    config = with_locust_options(load_config({**perf_profile, "OTP_LOAD_SHAPE": "step"}), options)

    assert (config.load_shape, config.arrival_max_flows, config.arrival_rate) == ("spike", 7, 3.0)


def test_a_bad_value_from_the_web_ui_is_refused_naming_the_variable(locust_parser):
    options = locust_parser.parse_args([], env_vars={})
    options.arrival_rate = "fast"  # what the web UI's form sends is text

    with pytest.raises(ConfigError, match="OTP_ARRIVAL_RATE"):
        with_locust_options(load_config({}), options)
