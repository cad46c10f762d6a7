"""The console table of a load run: Locust's figures per entry, and the corrected ones beside them."""

from __future__ import annotations

from otp_suite.loadtest.locust_stats import EntryStats


def entry_table(entries: list[EntryStats]) -> list[str]:
    """Locust's own figures per entry, and beside them the corrected ones (c-) and the dropped requests."""
    rows = [("entry", "requests", "failures", "dropped", "rps", "p50", "p95", "p99", "max", "c-p50", "c-p95", "c-p99", "c-max")]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"

    for e in entries:
        rows.append(
            (e.name, str(e.requests), str(e.failures), str(e.dropped), f"{e.rps:.2f}", f"{e.p50_ms:g}", f"{e.p95_ms:g}", f"{e.p99_ms:g}", ms(e.max_ms),
             ms(e.p50_corrected_ms), ms(e.p95_corrected_ms), ms(e.p99_corrected_ms), ms(e.max_corrected_ms))
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))) for row in rows]
