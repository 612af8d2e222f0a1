"""What an instructor wants to see after a batch: distribution, questions, outliers.

Ids and questions are shown through :func:`grader.report.plain`: no markup, no escape sequences.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from grader.report import plain, points
from grader.results import LIMITS, SubmissionResult

LIMIT_STATUSES = LIMITS
BAR_WIDTH = 40


class BatchStatistics:
    """Score histogram, per-question means, the slowest submissions, and limits hit."""

    def __init__(self, batch: list[SubmissionResult], questions: list[str]) -> None:
        self.batch = batch
        self.questions = questions

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.batch:
            yield Text("No submissions graded.")
            return
        yield Group(self._histogram(), self._per_question(), self._slowest(), self._largest(),
                    self._limits())

    def _histogram(self) -> Text:
        bins = [0] * 10
        for result in self.batch:
            share = result.score / result.max_score if result.max_score else 0.0
            bins[min(int(share * 10), 9)] += 1
        text = Text("score distribution (percent of the maximum)\n", style="bold")
        peak = max(bins) or 1
        for index, count in enumerate(bins):
            label = f"{index * 10:>3}–{index * 10 + 10 if index < 9 else 100:<3}"
            text.append(f"{label} {'█' * round(count / peak * BAR_WIDTH)} {count}\n")
        return text

    def _per_question(self) -> Table:
        table = Table(title="per question", title_justify="left")
        for column in ("question", "mean", "full marks"):
            table.add_column(column, justify="left" if column == "question" else "right")
        for question in self.questions:
            scores = [q for r in self.batch for q in r.questions([question]) if q.max_score]
            if not scores:
                continue
            mean = sum(q.score for q in scores) / len(scores)
            full = sum(abs(q.score - q.max_score) < 1e-6 for q in scores) / len(scores)
            table.add_row(plain(question), f"{points(mean)}/{points(scores[0].max_score)}", f"{full:.0%}")
        return table

    def _slowest(self) -> Text:
        slowest = sorted(self.batch, key=lambda r: -r.execution_time)[:5]
        return plain("slowest: " + ", ".join(f"{r.submission_id} ({r.execution_time:.1f} s)"
                                              for r in slowest))

    def _largest(self) -> Text:
        """Peak memory of each submission's processes together (its control group's own)."""
        measured = [r for r in self.batch if r.peak_memory_mib is not None]
        if not measured:
            return plain("largest: not measured (no control group per submission)")
        largest = sorted(measured, key=lambda r: -r.peak_memory_mib)[:5]
        return plain("largest: " + ", ".join(f"{r.submission_id} ({r.peak_memory_mib:.0f} MiB)"
                                             for r in largest))

    def _limits(self) -> Text:
        hits = sorted({f"{r.submission_id} ({t.question}: {t.status})" for r in self.batch
                       for t in r.tests if t.status in LIMIT_STATUSES and not t.after_lost})
        return plain("hit a limit: " + (", ".join(hits) if hits else "none"),
                     style="yellow" if hits else "")
