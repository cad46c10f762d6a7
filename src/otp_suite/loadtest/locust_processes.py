"""The Locust processes of one run: their commands, their environment, starting and stopping them.

:func:`run_locust` runs the judging process (local or master) and the local workers to the end
with a hard timeout, each with its own log under ``<reports>/load``, and stops every one of them
on the way out, however the run ends (see :class:`LocustProcesses`).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import IO

from otp_suite.config import SuiteConfig
from otp_suite.interruption import signals_held
from otp_suite.loadtest.locust_run import WORKER_MISSING_AFTER_S
from otp_suite.loadtest.options import LoadOptions
from otp_suite.loadtest.slo import as_overrides
from otp_suite.ports import free_port
from otp_suite.redaction import Redactor
from otp_suite.report.paths import LocustFiles


def locust_environment(config: SuiteConfig, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the Locust processes: this one's, with every ``OTP_*`` replaced by ``config``'s.

    The resolved config travels as variables, so the locustfile's ``load_config()`` rebuilds the
    same object (no profile lookup: OTP_ENV is dropped).
    """
    env = config.to_environment()
    env.update(extra or {})
    return env


def locust_commands(config: SuiteConfig, options: LoadOptions, files: LocustFiles) -> tuple[list[str], list[list[str]]]:
    """The command of the judging process (local or master) and of each worker.

    In arrival-rate mode each process runs one scheduler, so ``--users`` is the number of processes
    that generate load and the locustfile's shape ignores it.
    """
    assert config.base_url is not None
    base = [sys.executable, "-m", "locust", "-f", str(options.locustfile), "--loglevel", "WARNING"]
    if options.is_arrival_rate:
        base += ["--arrival-rate", f"{options.arrival_rate:g}", "--max-flows", str(options.max_flows)]
    generators = max(1, options.workers + options.remote_workers)
    users, spawn_rate = (generators, float(generators)) if options.is_arrival_rate else (options.users, options.spawn_rate)
    main = [
        *base,
        "--headless",
        "--host", config.base_url,
        "--users", str(users),
        "--spawn-rate", f"{spawn_rate:g}",
        "--run-time", f"{options.run_time_s}s",
        "--shape", options.shape,
        "--shape-params", options.shape_params,
        "--csv", str(files.prefix),
        "--csv-full-history",
        "--html", str(files.html),
        "--only-summary",
        # The SLOs judge failures; Locust's own "any failure = exit 1" would hide a crash.
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    if options.tags:
        main += ["--tags", *options.tags]
    if options.exclude_tags:
        main += ["--exclude-tags", *options.exclude_tags]
    if options.samples_csv:
        base += ["--samples-csv"]  # the workers keep their samples for the master too
        main += ["--samples-csv"]
    if not options.is_distributed:
        return main, []
    # Remote workers must reach the master from other hosts; local ones only over loopback.
    bind_host, port = ("0.0.0.0", options.master_port) if options.remote_workers else ("127.0.0.1", free_port())  # noqa: S104
    main += [
        "--master", "--master-bind-host", bind_host, "--master-bind-port", str(port),
        "--expect-workers", str(options.workers + options.remote_workers), "--expect-workers-max-wait", str(options.workers_wait_s),
    ]  # fmt: skip
    worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    if options.tags:
        worker += ["--tags", *options.tags]
    if options.exclude_tags:
        worker += ["--exclude-tags", *options.exclude_tags]
    return main, [list(worker) for _ in range(options.workers)]


def _redacted(text: str, config: SuiteConfig) -> str:
    return Redactor(config.jwt_secret, config.jwt_token).redact(text)


def _tail(path: Path, config: SuiteConfig, lines: int = 8) -> str:
    text = _read(path).strip().splitlines()[-lines:]
    return _redacted(" | ".join(text), config)


class LocustProcesses:
    """The Locust processes of one run, each with its own log file; all stopped on exit."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self.started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        handle = log.open("wb")
        process = subprocess.Popen(command, env=self._env, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((process, handle))
        return process

    def __enter__(self) -> LocustProcesses:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        # Interrupted: Ctrl-C is what lets a Locust master running a shape stop its workers and write
        # its statistics so far (SIGTERM ends such a master at once).
        interrupted = exc_type is not None and issubclass(exc_type, KeyboardInterrupt)
        with signals_held():  # a second Ctrl-C must not leave a worker running
            for process, _ in self.started:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT if interrupted else signal.SIGTERM)
            for process, handle in self.started:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                handle.close()


def run_locust(config: SuiteConfig, options: LoadOptions, files: LocustFiles) -> str:
    """Run Locust to the end; '' when it finished, else the one-line reason it could not run."""
    main_command, worker_commands = locust_commands(config, options, files)
    # The run's SLOs travel as OTP_SLO, whatever their source (--slo, a test's options): the
    # judging process watches them live (abort on breach, metrics).
    env = locust_environment(replace(config, slo=as_overrides(options.slos, options.arrival_rate)), options.extra_env)
    with LocustProcesses(env) as processes:
        main = processes.start(main_command, files.log)
        for index, command in enumerate(worker_commands):
            processes.start(command, files.worker_log(index))
        try:
            code = main.wait(timeout=options.hard_timeout_s)
        except subprocess.TimeoutExpired:
            return f"Locust did not finish within {options.hard_timeout_s:.0f} s (run time {options.run_time_s} s + {options.grace_s:.0f} s grace) and was stopped; see {files.log}"
    if code != 0:
        tail = _tail(files.log, config)
        if options.is_distributed and "waiting for workers" in tail.lower():
            return f"not all {options.workers + options.remote_workers} Locust workers joined within {options.workers_wait_s} s; see {files.log}"
        return f"Locust exited with code {code}: {tail or 'no output'}"
    if not files.stats_csv.is_file():
        return f"Locust wrote no statistics ({files.stats_csv} missing): {_tail(files.log, config) or 'no output'}"
    if options.is_distributed and _LAST_WORKER_MISSING in _read(files.log):
        # Locust then stops the test for good, yet exits 0 at the run time: the figures would cover
        # only the part before, and pass.
        return f"every Locust worker stopped answering for {WORKER_MISSING_AFTER_S} s and Locust stopped the test before its run time; see {files.log}"
    return ""


#: What Locust's master logs when it counts its last worker missing and stops the test.
_LAST_WORKER_MISSING = "The last worker went missing, stopping test."


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
