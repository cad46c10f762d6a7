"""Running ``contract_tests`` against a resolved target and turning the result into a verdict.

The suite runs in a child pytest process (its own Schemathesis hooks, Hypothesis state and
target fixtures stay out of the caller), configured through OTP_* variables only. Before it
starts, the run checks what would make every test meaningless: the spec, the target's
reachability, whether the target accepts the suite's token, and whether it answers like the API
at all (otp_suite.api_probe: if not, the run stops with exit 1 and that one reason). Afterwards every report file is
scrubbed of secrets, whatever the tests wrote.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from otp_suite.api_probe import NotTheApi, check_answers_like_the_api
from otp_suite.config import PROJECT_ROOT, SuiteConfig
from otp_suite.contract.openapi_schema import SpecUnusable, load_contract_schema
from otp_suite.contract.outcome import ContractOutcome, mark_unjudged_as_errors, read_junit, write_interrupted_junit, write_stopped_junit
from otp_suite.contract.run_plan import FAR_TARGET_INI, has_long_waits, numbers_needed
from otp_suite.contract.worker_forks import WorkerForkServer, fork_server_supported
from otp_suite.exit_codes import ExitCode
from otp_suite.interruption import signal_name_of, signals_held
from otp_suite.preflight import PreflightFailed, TargetChecked, check_target, round_trip_s
from otp_suite.redaction import Redactor
from otp_suite.report.junit import ERROR, JunitCase, add_junit_case
from otp_suite.report.labels import AREA_CONTRACT
from otp_suite.report.results_writer import write_result
from otp_suite.report.scrub import scrub_tree

CONTRACT_TESTS_DIR = PROJECT_ROOT / "contract_tests"
#: pytest-xdist workers (README "Contract: side by side"). Each costs a start-up (imports and
#: collection, seconds of CPU), so a run has few unless the target's policy has long waits, where
#: each test that waits out a lifetime of its own (the lifetime's two edges, resend restarting it)
#: or the send window needs a worker of its own, and the cooldown tests fill the others. The tests
#: of expired challenges need none: their lifetime runs from the session's start.
#: OTP_CONTRACT_WORKERS overrides both (1: one after another).
FEW_WORKERS, LONG_WAIT_WORKERS = 4, 6
#: A target whose median answer takes this long is far (a stage in another region): its tests wait
#: on the network round trips, not the CPU, so more of them run side by side (README "Contract:
#: side by side"; benchmarks/bench_contract_network.py). Ten, since the workers are forked from a
#: server with their libraries imported (otp_suite.contract.worker_forks): through a 50 ms link 10
#: beat 8 on an idle and on a loaded 2-core machine; 12 was no faster idle and slower loaded.
FAR_TARGET_ROUND_TRIP_S, FAR_TARGET_WORKERS = 0.020, 10
#: When the tests wait on the target's clock or the network (a policy with long waits, a far
#: target), the workers after the first FIRST_WORKERS start at LATER_WORKER_NICENESS (execnet's
#: ``nice=``). Each worker's imports and collection cost seconds of CPU; started together on a
#: small machine, all are ready together at the end of everyone's start-up. Started in order, the
#: first ones are ready first and begin the longest tests (at a production policy the three that
#: wait out a lifetime of their own) while the others finish their start-up on what CPU is left.
FIRST_WORKERS, LATER_WORKER_NICENESS = 3, 10
_CANNOT_JUDGE_MARK = "cannot judge: "
#: pytest-xdist's status line in quiet mode (``-q``) without a terminal, shown once.
XDIST_STATUS_LINE = "bringing up nodes..."
#: How long an interrupted child may take to write its JUnit XML and results before it is killed:
#: xdist's controller waits for every worker to stop, which takes seconds on a loaded machine.
STOP_GRACE_S = 25
#: How the child pytest is started by default.
PYTEST_COMMAND = (sys.executable, "-m", "pytest")
#: The check made before the tests (otp_suite.api_probe); named like a test in failures and the report.
NOT_THE_API_CHECK = "the target answers like the OTP API"
#: The JUnit case of a run that stopped before its tests because it could not judge the target.
CANNOT_JUDGE_CHECK = "the contract run can judge the target"


def _preflight(config: SuiteConfig, checked: TargetChecked | None) -> tuple[int, str] | None:
    """(exit code, one-line reason) when the suite need not run: 2 it cannot judge, 1 the target is not the API; else None.

    The target's own preflight (:func:`otp_suite.preflight.check_target`) is skipped when
    ``checked`` covers it (the gate made it already).
    """
    from otp_suite.testdata.tokens import mint_token

    try:
        load_contract_schema(config)
    except SpecUnusable as error:
        return ExitCode.CANNOT_JUDGE, str(error)
    try:
        check_target(config, checked)
        check_answers_like_the_api(config, config.jwt_token or mint_token(config.jwt_secret or "", "suite-preflight"))
    except PreflightFailed as error:
        return ExitCode.CANNOT_JUDGE, str(error)
    except NotTheApi as error:
        return ExitCode.BROKEN, str(error)
    return None


def _test_ranges_too_used(config: SuiteConfig, *, load_smoke: bool) -> str | None:
    """Why a whole run cannot judge now: a test range without the free numbers it needs (earlier
    runs' sends still count against the send limits); None when every range has them."""
    from otp_suite.testdata.phone_numbers import NumberAllocator

    allocator = NumberAllocator.for_config(config)
    what = f"{config.contract_depth} contract run" + (" and the gate's load smoke" if load_smoke else "")
    for index, needed in enumerate(numbers_needed(config, load_smoke=load_smoke)):
        chosen = allocator.ranges[index]
        try:
            free, wait_s = allocator.free_count(index, needed=needed)
        except OSError as error:
            return f"the ledger of test numbers {allocator.ledger.path} cannot be used ({error}); set OTP_NUMBER_LEDGER (or OTP_REPORT_HISTORY) to a writable place"
        if free >= needed:
            continue
        if needed > chosen.size:
            return f"test range {chosen} holds {chosen.size} numbers and a {what} sends to about {needed}; configure a wider range (OTP_TEST_RANGES)"
        return (
            f"test range {chosen}: {free} of its {chosen.size} numbers are free of the send limits that earlier runs left "
            f"(ledger {allocator.ledger.path}), a {what} needs about {needed}; enough are free in {math.ceil(wait_s)} s: "
            "run again then, or configure a wider range (OTP_TEST_RANGES)"
        )
    return None


def run_contract(
    config: SuiteConfig,
    *,
    allure_dir: Path,
    junit_path: Path,
    echo: Callable[[str], None],
    pytest_args: Sequence[str] = (),
    pytest_command: Sequence[str] = PYTEST_COMMAND,
    checked: TargetChecked | None = None,
    load_smoke_follows: bool = False,
) -> ContractOutcome:
    """Run the contract suite against ``config``'s target (already resolved: ``base_url`` set).

    Allure results are added to ``allure_dir`` (not emptied first); JUnit XML replaces ``junit_path``.
    ``pytest_args`` narrows the run (e.g. ``-k``, node ids), as does ``config.contract_select``. Returns the verdict; never raises for
    a broken target or a failed run. ``pytest_command`` starts the child pytest (a benchmark passes
    another: ``benchmarks/bench_warm_pytest.py``).
    ``checked``: the target's preflight, already made by the caller (the gate), is not repeated.
    ``load_smoke_follows``: the gate's load smoke runs next, so a whole run checks its test range
    has room for both (:func:`otp_suite.contract.run_plan.numbers_needed`).
    """
    redact = Redactor(config.jwt_secret, config.jwt_token)
    stopped = _preflight(config, checked)
    if stopped is not None:
        code, reason = stopped[0], redact(stopped[1])
        # A CI test tab shows the run, and why it stopped, even with no test run.
        check = NOT_THE_API_CHECK if code == ExitCode.BROKEN else CANNOT_JUDGE_CHECK
        write_stopped_junit(junit_path, check, broken=code == ExitCode.BROKEN, message=reason)
        if code == ExitCode.BROKEN:
            # Shown in the gate's report like any failed check, with the reason as its message.
            write_result(allure_dir, name=NOT_THE_API_CHECK, status="failed", area=AREA_CONTRACT, message=reason)
        if code == ExitCode.BROKEN:
            return ContractOutcome(exit_code=code, failed=1, failures=(NOT_THE_API_CHECK,), reason=reason, not_the_api=True)
        return ContractOutcome(exit_code=code, reason=reason)
    whole_run = not config.contract_select and not any("::" in arg or arg == "-k" for arg in pytest_args)
    too_used = _test_ranges_too_used(config, load_smoke=load_smoke_follows) if whole_run else None
    if too_used is not None:
        return ContractOutcome(exit_code=ExitCode.CANNOT_JUDGE, reason=redact(too_used))
    seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
    config = replace(config, seed=seed)
    echo(f"contract run against {config.base_url} (seed {seed}; replay with --seed {seed})")
    # Not emptied here: a caller (the gate) may already have written its own results into it.
    allure_dir.mkdir(parents=True, exist_ok=True)
    junit_path.parent.mkdir(parents=True, exist_ok=True)
    junit_path.unlink(missing_ok=True)
    # Node ids select themselves; options alone (e.g. -k) still run the whole directory.
    if config.contract_select:
        pytest_args = [*pytest_args, "-k", config.contract_select]
    selection = list(pytest_args) if any(arg.startswith(str(CONTRACT_TESTS_DIR.name)) or "::" in arg for arg in pytest_args) else [str(CONTRACT_TESTS_DIR), *pytest_args]
    far_round_trip_s, selected_node_ids = round_trip_s(config), sum("::" in arg for arg in pytest_args)
    environment = config.to_environment()
    workers = planned_workers(config, selected_node_ids=selected_node_ids, round_trip_s=far_round_trip_s)
    forks = WorkerForkServer(environment, PROJECT_ROOT) if workers > 1 and fork_server_supported() else None
    with forks or contextlib.nullcontext():
        side_by_side = side_by_side_options(config, echo, selected_node_ids=selected_node_ids, round_trip_s=far_round_trip_s, worker_python=forks.python if forks else None)
        command = [*pytest_command, *selection, *_child_options(config, allure_dir=allure_dir, junit_path=junit_path), *side_by_side]
        status, reason_line = _run_child(command, environment, forks, redact=redact, echo=echo, allure_dir=allure_dir, junit_path=junit_path)
    if forks is not None and forks.failure:
        echo(f"note: the workers started as new Pythons (slower), not from the fork server: {redact(forks.failure)}")
    mark_unjudged_as_errors(junit_path)
    return _verdict(status, junit_path, reason_line, seed)


def _child_options(config: SuiteConfig, *, allure_dir: Path, junit_path: Path) -> list[str]:
    """The contract pytest's options apart from what it runs and how many workers run it."""
    return [
        "-p", "no:cacheprovider",
        f"--rootdir={PROJECT_ROOT}", "-c", str(CONTRACT_TESTS_DIR / "pytest.ini"),
        f"--junitxml={junit_path}", f"--alluredir={allure_dir}", "--allure-no-capture",
        # A test may wait up to OTP_MAX_WAIT_S for the target's clock, then still make requests.
        "-o", f"timeout={int(config.max_wait_s + 120)}",
        "-q", "-rfEs", "--no-header", "--tb=short", "--color=no",
        # Locust's pytest plugin imports gevent: seconds of start-up in every worker, for nothing here.
        # anyio's plugin serves async tests (there are none); unraisableexception's forced garbage
        # collections at the session's end cost each worker a tenth of a second of CPU. Plain
        # asserts: every check states its own message, and rewriting the asserts of every module of
        # the plugins' packages cost each worker 0.3 CPU-seconds (12 % of its start-up).
        "-p", "no:locust", "-p", "no:anyio", "-p", "no:unraisableexception", "--assert=plain",
    ]  # fmt: skip


def _run_child(command: list[str], environment: dict[str, str], forks: WorkerForkServer | None, *, redact: Redactor, echo: Callable[[str], None], allure_dir: Path, junit_path: Path) -> tuple[int, str | None]:
    """Run the contract pytest, echoing its output redacted; its exit status and its "cannot judge" reason, if it gave one.

    Interrupted (Ctrl-C, SIGTERM), it stops the child and its workers, marks the results partial
    and re-raises. Either way every report file is scrubbed of secrets.
    """
    reason_line: str | None = None
    # Its own session: a terminal's Ctrl-C reaches only this process, which stops the child once, in order.
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)
    try:
        assert process.stdout is not None
        seen_status = False
        for line in process.stdout:
            clean = redact(line.rstrip("\n"))
            if clean == XDIST_STATUS_LINE:
                # xdist prints its quiet status once when the workers start and again when they have collected.
                if seen_status:
                    continue
                seen_status = True
            echo(clean)
            if _CANNOT_JUDGE_MARK in clean and reason_line is None:
                reason_line = clean.split(_CANNOT_JUDGE_MARK, 1)[1].strip().rstrip("!").strip()
        return process.wait(), reason_line
    except BaseException as stopped:
        # Interrupted (Ctrl-C, SIGTERM): stop the child, keep what it wrote and say the results are partial.
        with signals_held():
            _stop_child(process, forks)
            if isinstance(stopped, KeyboardInterrupt):
                message = f"interrupted by {signal_name_of(stopped)}: the contract run stopped before it finished; its results are partial"
                write_result(allure_dir, name="contract run interrupted", status="broken", area=AREA_CONTRACT, message=message)
                if not junit_path.is_file():  # pytest was killed at the grace's end (a loaded machine) before writing it
                    write_interrupted_junit(junit_path, message)
        raise
    finally:
        with signals_held():  # a half-done scrub would leave a token in the results
            for written in (allure_dir, junit_path):
                scrub_tree(written, redact)


def planned_workers(config: SuiteConfig, *, selected_node_ids: int = 0, round_trip_s: float = 0.0) -> int:
    """How many pytest-xdist workers run the tests side by side (1: one after another, no xdist).

    The tests wait on the network and the target's clock, not on the CPU, so there are more
    workers than cores. At the full depth against a policy with long waits every test that waits
    out a lifetime of its own or the send window needs a worker of its own for the run to last one
    lifetime. A far target (``round_trip_s``, the median answer time, of at least
    :data:`FAR_TARGET_ROUND_TRIP_S`) gets :data:`FAR_TARGET_WORKERS`. A run narrowed to a few node
    ids starts no more workers than it has ids (each worker costs a start-up and a collection).
    Workers never share a number: each claims its numbers in the run's ledger (otp_suite.testdata.phone_numbers).
    """
    return _wanted_workers(config, selected_node_ids, round_trip_s)


def _wanted_workers(config: SuiteConfig, selected_node_ids: int, round_trip_s: float) -> int:
    far = round_trip_s >= FAR_TARGET_ROUND_TRIP_S
    workers = config.contract_workers or max(LONG_WAIT_WORKERS if has_long_waits(config) else FEW_WORKERS, FAR_TARGET_WORKERS if far else 0)
    return min(workers, selected_node_ids) if selected_node_ids else workers


def side_by_side_options(config: SuiteConfig, echo: Callable[[str], None], *, selected_node_ids: int = 0, round_trip_s: float = 0.0, worker_python: str | None = None) -> list[str]:
    """pytest-xdist options for :func:`planned_workers` workers (otp_suite.contract.scheduling); ``echo`` says why when it matters.

    ``worker_python`` starts each worker instead of a new Python (otp_suite.contract.worker_forks).
    """
    long_waits, far = has_long_waits(config), round_trip_s >= FAR_TARGET_ROUND_TRIP_S
    workers = planned_workers(config, selected_node_ids=selected_node_ids, round_trip_s=round_trip_s)
    if far and not config.contract_workers and workers > 1:
        echo(f"the target answers in {round_trip_s * 1000:.0f} ms (a far target: its tests wait on the network), so {workers} workers run them side by side")
    far_option = ["-o", f"{FAR_TARGET_INI}=true"] if far else []
    return [*xdist_options(workers, staggered=long_waits or far, worker_python=worker_python), *far_option]


def xdist_options(workers: int, *, staggered: bool, worker_python: str | None = None) -> list[str]:
    """pytest-xdist options for ``workers``; ``staggered``: the later ones niced (:data:`FIRST_WORKERS`); ``worker_python``: see :func:`side_by_side_options`."""
    if workers <= 1:
        return ["-p", "no:xdist"]
    python = f"//python={worker_python}" if worker_python else ""
    # One test at a time after each worker's first two: the collection's order is the schedule
    # (otp_suite.contract.scheduling), so no long wait is handed out in a chunk behind another.
    load = ["--dist", "load", "--maxschedchunk", "1"]
    if not staggered or workers <= FIRST_WORKERS:
        return [*load, "--tx", f"{workers}*popen{python}"]
    return [*load, "--tx", f"{FIRST_WORKERS}*popen{python}", "--tx", f"{workers - FIRST_WORKERS}*popen{python}//nice={LATER_WORKER_NICENESS}"]


def _stop_child(process: subprocess.Popen[str], forks: WorkerForkServer | None) -> None:
    """Stop the pytest child and its xdist workers like Ctrl-C does (JUnit XML is written), then anything left in its session."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        # The whole group: a worker sleeping through a policy wait stops at once and reports it.
        os.killpg(process.pid, signal.SIGINT)
    if forks is not None:  # forked workers are in the fork server's group
        forks.signal_workers(signal.SIGINT)
    try:
        process.communicate(timeout=STOP_GRACE_S)  # drained, not shown: pytest's own interrupt report
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if forks is not None:
        forks.signal_workers(signal.SIGKILL)
    process.wait()


def _verdict(status: int, junit_path: Path, reason_line: str | None, seed: int) -> ContractOutcome:
    if status == 2 or not junit_path.is_file():
        reason = reason_line or f"the contract suite stopped before judging (pytest exit status {status})"
        # The tests that ran stay in the file; the case added says why the rest could not be judged.
        add_junit_case(junit_path, JunitCase(CANNOT_JUDGE_CHECK, "contract_tests.preflight", ERROR, f"cannot judge: {reason}"))
        return ContractOutcome(exit_code=ExitCode.CANNOT_JUDGE, reason=reason, seed=seed)
    areas, failures, skips, unjudged, waits_not_made = read_junit(junit_path)
    passed = sum(a.passed for a in areas.values())
    failed = sum(a.failed for a in areas.values())
    skipped = sum(a.skipped for a in areas.values())
    common = dict(passed=passed, failed=failed, skipped=skipped, areas=areas, failures=tuple(failures), skip_reasons=tuple(skips), unjudged=tuple(unjudged), waits_not_made=tuple(waits_not_made), seed=seed)
    if failed:
        return ContractOutcome(exit_code=ExitCode.BROKEN, **common)  # type: ignore[arg-type]
    if unjudged:
        # The target did not answer them: a setup or network problem, never counted as a broken contract.
        first = unjudged[0].split(": ", 1)[-1]
        reason = f"{len(unjudged)} check(s) could not be judged, the target did not answer them: {first}"
        return ContractOutcome(exit_code=ExitCode.CANNOT_JUDGE, reason=reason, **common)  # type: ignore[arg-type]
    if status == 1:
        return ContractOutcome(exit_code=ExitCode.BROKEN, **common)  # type: ignore[arg-type]
    if status != 0 or passed == 0:
        return ContractOutcome(exit_code=ExitCode.CANNOT_JUDGE, reason=f"no contract test ran to a verdict (pytest exit status {status})", **common)  # type: ignore[arg-type]
    return ContractOutcome(exit_code=ExitCode.HOLDS, **common)  # type: ignore[arg-type]
