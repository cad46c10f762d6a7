"""Running ``contract_tests`` against a resolved target and turning the result into a verdict.

The suite runs in a child pytest process (its own Schemathesis hooks, Hypothesis state and
target fixtures stay out of the caller), configured through OTP_* variables only. Before it
starts, the run checks what would make every test meaningless: the spec, the target's
reachability and whether the target accepts the suite's token. Afterwards every report file is
scrubbed of secrets, whatever the tests wrote.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import httpx

from otp_suite.config import PROJECT_ROOT, SuiteConfig
from otp_suite.contract.environment import child_environment
from otp_suite.contract.openapi_schema import SpecUnusable, load_contract_schema
from otp_suite.contract.outcome import ContractOutcome, read_junit
from otp_suite.contract.redaction import Redactor
from otp_suite.preflight import TargetUnreachable, check_reachable, describe_transport_error

CONTRACT_TESTS_DIR = PROJECT_ROOT / "contract_tests"
EXIT_PASSED, EXIT_FAILED, EXIT_CANNOT_JUDGE = 0, 1, 2
_CANNOT_JUDGE_MARK = "cannot judge: "


class TokenRefused(Exception):
    """The target refuses the suite's token; ``str()`` is the one-line reason."""


def check_token_accepted(config: SuiteConfig, token: str) -> None:
    """Raise :class:`TokenRefused` if the target answers 401 to ``token`` on a request with an empty body.

    The body ``{}`` is invalid, so a target that accepts the token answers 400 and sends nothing.
    """
    assert config.base_url is not None
    url = config.base_url.rstrip("/") + "/fe/users/auth/otp/register"
    try:
        with httpx.Client(verify=config.verify_tls, timeout=config.request_timeout_s, follow_redirects=False) as http:
            response = http.post(url, content=b"{}", headers={"content-type": "application/json", "user-jwt-token": token})
    except httpx.TransportError as error:
        raise TargetUnreachable(describe_transport_error(config.base_url, error, config.request_timeout_s)) from None
    if response.status_code == 401:
        source = "OTP_JWT_TOKEN" if config.jwt_token else "a token signed with OTP_JWT_SECRET"
        raise TokenRefused(f"the target {config.base_url} refuses {source} (401); check that it is the environment's secret or a current token")


def _preflight(config: SuiteConfig) -> str | None:
    """The reason the run cannot judge, or None."""
    from fixtures.tokens import mint_token

    try:
        load_contract_schema(config)
    except SpecUnusable as error:
        return str(error)
    if config.base_url is None:
        return "no target: OTP_BASE_URL is not set and no embedded service was started"
    if not (config.jwt_secret or config.jwt_token):
        return "neither OTP_JWT_SECRET nor OTP_JWT_TOKEN is set; the target needs a token (set one of them)"
    try:
        check_reachable(config)
        check_token_accepted(config, config.jwt_token or mint_token(config.jwt_secret or "", "suite-preflight"))
    except (TargetUnreachable, TokenRefused) as error:
        return str(error)
    return None


def scrub_reports(paths: Sequence[Path], redact: Redactor) -> None:
    """Rewrite every text file under ``paths`` with secrets redacted (the last net under the tests' own redaction)."""
    for root in paths:
        files = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            cleaned = redact(text)
            if cleaned != text:
                path.write_text(cleaned, encoding="utf-8")


def run_contract(
    config: SuiteConfig,
    *,
    allure_dir: Path,
    junit_path: Path,
    echo: Callable[[str], None],
    pytest_args: Sequence[str] = (),
) -> ContractOutcome:
    """Run the contract suite against ``config``'s target (already resolved: ``base_url`` set).

    Allure results are added to ``allure_dir`` (not emptied first); JUnit XML replaces ``junit_path``.
    ``pytest_args`` narrows the run (e.g. ``-k``, node ids). Returns the verdict; never raises for
    a broken target or a failed run.
    """
    redact = Redactor(config.jwt_secret, config.jwt_token)
    reason = _preflight(config)
    if reason is not None:
        return ContractOutcome(exit_code=EXIT_CANNOT_JUDGE, reason=redact(reason))
    seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
    config = replace(config, seed=seed)
    echo(f"contract run against {config.base_url} (seed {seed}; replay with --seed {seed})")
    # Not emptied here: a caller (the gate) may already have written its own results into it.
    allure_dir.mkdir(parents=True, exist_ok=True)
    junit_path.parent.mkdir(parents=True, exist_ok=True)
    junit_path.unlink(missing_ok=True)
    # Node ids select themselves; options alone (e.g. -k) still run the whole directory.
    selection = list(pytest_args) if any(arg.startswith(str(CONTRACT_TESTS_DIR.name)) or "::" in arg for arg in pytest_args) else [str(CONTRACT_TESTS_DIR), *pytest_args]
    command = [
        sys.executable, "-m", "pytest", *selection,
        "-p", "no:cacheprovider",
        f"--rootdir={PROJECT_ROOT}", "-c", str(CONTRACT_TESTS_DIR / "pytest.ini"),
        f"--junitxml={junit_path}", f"--alluredir={allure_dir}", "--allure-no-capture",
        # A test may wait up to OTP_MAX_WAIT_S for the target's clock, then still make requests.
        "-o", f"timeout={int(config.max_wait_s + 120)}",
        "-q", "-rfEs", "--no-header", "--tb=short", "--color=no",
    ]  # fmt: skip
    reason_line: str | None = None
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=child_environment(config), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    try:
        assert process.stdout is not None
        for line in process.stdout:
            clean = redact(line.rstrip("\n"))
            echo(clean)
            if _CANNOT_JUDGE_MARK in clean and reason_line is None:
                reason_line = clean.split(_CANNOT_JUDGE_MARK, 1)[1].strip().rstrip("!").strip()
        status = process.wait()
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM): stop the child and its embedded service, keep what it wrote.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    finally:
        scrub_reports([allure_dir, junit_path], redact)
    return _verdict(status, junit_path, reason_line, seed)


def _verdict(status: int, junit_path: Path, reason_line: str | None, seed: int) -> ContractOutcome:
    if status == 2 or not junit_path.is_file():
        return ContractOutcome(exit_code=EXIT_CANNOT_JUDGE, reason=reason_line or f"the contract suite stopped before judging (pytest exit status {status})", seed=seed)
    areas, failures, skips = read_junit(junit_path)
    passed = sum(a.passed for a in areas.values())
    failed = sum(a.failed for a in areas.values())
    skipped = sum(a.skipped for a in areas.values())
    common = dict(passed=passed, failed=failed, skipped=skipped, areas=areas, failures=tuple(failures), skip_reasons=tuple(skips), seed=seed)
    if status == 1 or failed:
        return ContractOutcome(exit_code=EXIT_FAILED, **common)  # type: ignore[arg-type]
    if status != 0 or passed == 0:
        return ContractOutcome(exit_code=EXIT_CANNOT_JUDGE, reason=f"no contract test ran to a verdict (pytest exit status {status})", **common)  # type: ignore[arg-type]
    return ContractOutcome(exit_code=EXIT_PASSED, **common)  # type: ignore[arg-type]
