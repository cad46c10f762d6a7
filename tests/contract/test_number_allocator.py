"""The test-number allocator and its ledger (otp_suite.testdata.phone_numbers, otp_suite.testdata.number_ledger), and
the ranges of OTP_TEST_RANGES: a number sent to is not handed out again within a send window, by
this process, another process of the run or a later run; a used-up range says how long to wait."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from otp_suite.config import ConfigError, load_config
from otp_suite.number_ranges import NumberRange, parse_ranges
from otp_suite.testdata.number_ledger import CLAIM_HOLD_S, NumberLedger
from otp_suite.testdata.phone_numbers import NumberAllocator, PhoneNumber, RangeExhausted

WINDOW_S = 600.0
#: A range of a thousand numbers: +999 55501234567000 .. 55501234567999.
THOUSAND = NumberRange("+999", "55501234567")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "history" / "test-numbers.jsonl"


def allocator(ledger_path: Path, clock: Clock, *ranges: NumberRange) -> NumberAllocator:
    """A process's allocator over ``ranges`` (default: the thousand), on the shared ledger file."""
    return NumberAllocator(ranges or (THOUSAND,), NumberLedger(ledger_path, window_s=WINDOW_S, clock=clock))


def sent(source: NumberAllocator, numbers: list[PhoneNumber]) -> None:
    for number in numbers:
        source.mark_sent(number.country_code, number.phone_number)


def verified_by_an_earlier_run(ledger_path: Path, clock: Clock) -> list[PhoneNumber]:
    """An earlier run sent to and verified every number of the range, then ended a send window ago; those numbers."""
    earlier_run = allocator(ledger_path, clock)
    used = earlier_run.fresh_many(999)
    sent(earlier_run, used)
    for number in used:
        earlier_run.mark_verified(number.country_code, number.phone_number)
    earlier_run.release()
    clock.now += WINDOW_S + 1
    return used


def test_ranges_parse_country_code_prefix_and_length() -> None:
    ranges = parse_ranges("OTP_TEST_RANGES", "+91:99999, +44:7700900:10")

    assert ranges == (NumberRange("+91", "99999", 14), NumberRange("+44", "7700900", 10))
    assert ranges[1].size == 1000 and ranges[1].contains("+44", "7700900123") and not ranges[1].contains("+91", "7700900123")


@pytest.mark.parametrize("value", ["91:99999", "+91", "+91:99x", "+91:99999:15", "+91:9999999999:10", "+91:99999,+91:99999"])
def test_a_malformed_range_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="OTP_TEST_RANGES"):
        load_config({"OTP_TEST_RANGES": value})


def test_test_ranges_replace_the_country_code_and_prefix() -> None:
    config = load_config({"OTP_TEST_RANGES": "+91:99999,+44:77009", "OTP_TEST_COUNTRY_CODE": "+49", "OTP_TEST_PHONE_PREFIX": "1234"})

    assert config.number_ranges == (NumberRange("+91", "99999"), NumberRange("+44", "77009"))


def test_country_code_and_prefix_alone_are_the_one_range() -> None:
    config = load_config({"OTP_TEST_COUNTRY_CODE": "+49", "OTP_TEST_PHONE_PREFIX": "1234"})

    assert config.number_ranges == (NumberRange("+49", "1234"),)


def test_the_ranges_reach_a_child_process_unchanged() -> None:
    config = load_config({"OTP_TEST_RANGES": "+91:99999,+44:7700900:10"})

    assert load_config(config.to_environment({})).number_ranges == config.number_ranges


def test_numbers_are_drawn_from_the_whole_range_not_counted_from_its_start(ledger_path: Path, clock: Clock) -> None:
    numbers = allocator(ledger_path, clock, NumberRange("+999", "5550")).fresh_many(50)

    suffixes = sorted(int(n.phone_number[4:]) for n in numbers)
    assert all(n.country_code == "+999" and n.phone_number.startswith("5550") and len(n.phone_number) == 14 for n in numbers)
    assert suffixes[-1] - suffixes[0] > 10**9, f"50 numbers span only {suffixes[-1] - suffixes[0]} of 10^10: not random over the range"


def test_a_number_sent_to_is_not_handed_out_again_within_the_send_window(ledger_path: Path, clock: Clock) -> None:
    earlier_run = allocator(ledger_path, clock)
    used = earlier_run.fresh_many(900)
    sent(earlier_run, used)
    earlier_run.release()

    later = allocator(ledger_path, clock).fresh_many(100)

    assert not {n.phone_number for n in used} & {n.phone_number for n in later}
    with pytest.raises(RangeExhausted):
        allocator(ledger_path, clock).fresh()


def test_numbers_sent_to_are_free_again_one_window_after_their_release(ledger_path: Path, clock: Clock) -> None:
    earlier_run = allocator(ledger_path, clock)
    sent(earlier_run, earlier_run.fresh_many(1000))
    earlier_run.release()
    clock.now += WINDOW_S + 1

    again = allocator(ledger_path, clock).fresh_many(1000)

    assert len({n.phone_number for n in again}) == 1000


def test_a_number_never_sent_to_is_handed_back_free(ledger_path: Path, clock: Clock) -> None:
    first = allocator(ledger_path, clock)
    unsent = first.fresh_many(1000)
    first.hand_back(unsent[0])
    first.release()

    assert len(allocator(ledger_path, clock).fresh_many(1000)) == 1000


def test_a_used_up_range_says_how_long_to_wait(ledger_path: Path, clock: Clock) -> None:
    earlier_run = allocator(ledger_path, clock)
    sent(earlier_run, earlier_run.fresh_many(1000))
    earlier_run.release()
    clock.now += 100

    with pytest.raises(RangeExhausted) as exhausted:
        allocator(ledger_path, clock).fresh()

    assert exhausted.value.wait_s == pytest.approx(WINDOW_S - 100)
    assert "+999:55501234567 (1000 numbers) is used up" in str(exhausted.value) and "OTP_TEST_RANGES" in str(exhausted.value)


def test_free_count_says_when_enough_numbers_are_free(ledger_path: Path, clock: Clock) -> None:
    earlier_run = allocator(ledger_path, clock)
    sent(earlier_run, earlier_run.fresh_many(400))
    earlier_run.release()
    clock.now += 10
    later_run = allocator(ledger_path, clock)
    sent(later_run, later_run.fresh_many(400))
    later_run.release()

    assert allocator(ledger_path, clock).free_count(needed=500) == pytest.approx((200, WINDOW_S - 10))
    assert allocator(ledger_path, clock).free_count(needed=200) == (200, 0.0)


def test_a_run_that_died_keeps_its_numbers_out_for_a_window_and_the_hold(ledger_path: Path, clock: Clock) -> None:
    died = allocator(ledger_path, clock)
    died.fresh_many(1000)  # never released
    clock.now += WINDOW_S + 1

    with pytest.raises(RangeExhausted) as exhausted:
        allocator(ledger_path, clock).fresh()

    assert exhausted.value.wait_s == pytest.approx(CLAIM_HOLD_S - 1)


def test_a_number_a_run_verified_is_never_handed_out_as_new(ledger_path: Path, clock: Clock) -> None:
    used = verified_by_an_earlier_run(ledger_path, clock)
    source = allocator(ledger_path, clock)

    never_verified = source.fresh_never_verified()

    assert never_verified is not None and never_verified.phone_number not in {n.phone_number for n in used}
    assert source.fresh_never_verified() is None
    assert len(source.fresh_many(999)) == 999  # verified numbers still serve checks that need no new number


def test_verified_numbers_are_remembered_after_the_file_is_rewritten(ledger_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("otp_suite.testdata.number_ledger.COMPACT_AFTER_LINES", 10)
    used = verified_by_an_earlier_run(ledger_path, clock)
    rewriting = allocator(ledger_path, clock)
    sent(rewriting, [rewriting.fresh()])
    rewriting.release()  # rewritten: only blocked and verified numbers stay
    source = allocator(ledger_path, clock)

    never_verified = source.fresh_never_verified()

    assert len(ledger_path.read_text(encoding="utf-8").splitlines()) == 1 + 1 + 999 + 1  # header, the one blocked, the verified, the new claim
    assert never_verified is not None and never_verified.phone_number not in {n.phone_number for n in used}
    assert source.fresh_never_verified() is None


def test_one_phone_number_under_two_country_codes_when_the_ranges_share_it(ledger_path: Path, clock: Clock) -> None:
    source = allocator(ledger_path, clock, NumberRange("+91", "99999"), NumberRange("+44", "999990"))

    pair = source.fresh_in_both(0, 1)

    assert pair is not None
    first, second = pair
    assert (first.country_code, second.country_code) == ("+91", "+44") and first.phone_number == second.phone_number
    assert second.phone_number.startswith("999990")


def test_no_shared_phone_number_between_disjoint_ranges(ledger_path: Path, clock: Clock) -> None:
    source = allocator(ledger_path, clock, NumberRange("+91", "99999"), NumberRange("+44", "77009"))

    assert source.fresh_in_both(0, 1) is None


def test_a_number_of_a_range_that_is_not_configured_is_refused(ledger_path: Path, clock: Clock) -> None:
    with pytest.raises(IndexError, match="OTP_TEST_RANGES has 1"):
        allocator(ledger_path, clock).fresh(1)


def _claim_in_another_process(args: tuple[str, int]) -> list[str]:
    path, count = args
    source = NumberAllocator((THOUSAND,), NumberLedger(Path(path), window_s=WINDOW_S))
    numbers = [source.fresh() for _ in range(count)]
    sent(source, numbers)
    source.release()
    return [number.phone_number for number in numbers]


def test_processes_sharing_the_ledger_never_share_a_number(ledger_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        batches = pool.map(_claim_in_another_process, [(str(ledger_path), 300)] * 3)

    drawn = [n for batch in batches for n in batch]
    assert len(drawn) == 900 and len(set(drawn)) == 900


def test_the_ledger_file_is_rewritten_small_and_still_read_right(ledger_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("otp_suite.testdata.number_ledger.COMPACT_AFTER_LINES", 50)
    reader = allocator(ledger_path, clock)
    reader.fresh()  # reads the file as it is now
    writer = allocator(ledger_path, clock)
    used = writer.fresh_many(100)
    sent(writer, used)
    writer.release()  # 200 lines: rewritten as one line per number

    lines = ledger_path.read_text(encoding="utf-8").splitlines()
    later = reader.fresh_many(50)

    assert len(lines) == 1 + 101  # the header, the 100 numbers blocked and the reader's one
    assert not {n.phone_number for n in used} & {n.phone_number for n in later}
