"""What an instructor sees in the terminal after a batch: the gradebook, the distribution,
each question, the costliest mistakes, and the outliers.

Rendered from a :class:`GradedBatch`: a total is its Standing's, an overridden question's
points carry a mark, and a late penalty has its own column. Ids and questions are shown
through :func:`grader.outputs.submission_report.plain`: no markup, no escape sequences.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from grader.gradebook.standing import GradedBatch, graded_batch
from grader.outputs import statistics
from grader.outputs.adjustments import OVERRIDE_MARK, marked_points, points
from grader.outputs.submission_report import STATUS_STYLES, plain
from grader.results import LIMITS, SubmissionResult

LIMIT_STATUSES = LIMITS
BAR_WIDTH = 40
SHOWN_MISTAKES = 5


class GradebookTable:
    """One row per graded submission, one column per question, the penalty on its own."""

    def __init__(self, batch: GradedBatch) -> None:
        self.batch = batch

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        batch = self.batch
        late = any(s.late is not None for s in batch.standings)
        table = Table(
            title="gradebook",
            title_justify="left",
            caption=f"{OVERRIDE_MARK} set by an instructor's override"
            if any(s.overrides for s in batch.standings)
            else None,
        )
        table.add_column("submission")
        table.add_column("score", justify="right")
        for question in batch.questions:
            table.add_column(plain(question), justify="right")
        if late:
            table.add_column("late", justify="right")
        problems = any(s.result.problem for s in batch.standings)
        if problems:
            table.add_column("problem")
        for standing in batch.standings:
            result = standing.result
            scores = {q.question: q for q in result.questions(list(batch.questions))}
            cells = [
                Text(
                    marked_points(standing, q),
                    style=STATUS_STYLES.get(scores[q].status, "red") if q in scores else "dim",
                )
                for q in batch.questions
            ]
            total = f"{points(standing.total)}/{points(standing.max_points)}"
            penalty = [Text(f"-{points(standing.penalty)}" if standing.late else "")] if late else []
            problem = [plain(result.problem, style="red")] if problems else []
            table.add_row(plain(result.submission_id), total, *cells, *penalty, *problem)
        yield table


class ClassStatistics:
    """Score histogram, per-question means, costliest mistakes, the slowest and largest
    submissions, and every limit hit."""

    def __init__(self, batch: GradedBatch) -> None:
        self.batch = batch

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.batch.standings:
            yield Text("No submissions graded.")
            return
        yield Group(
            self._histogram(),
            self._per_question(),
            self._mistakes(),
            self._slowest(),
            self._largest(),
            self._limits(),
        )

    def _histogram(self) -> Text:
        bins = statistics.distribution(self.batch)
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
        for figures in statistics.per_question(self.batch):
            if figures.max_points:
                table.add_row(
                    plain(figures.question),
                    f"{points(figures.mean)}/{points(figures.max_points)}",
                    f"{figures.full_share:.0%}",
                )
        return table

    def _mistakes(self) -> Text:
        ranked = statistics.mistakes(self.batch)[:SHOWN_MISTAKES]
        shown = ", ".join(
            f"{m.code} in {m.question} ({len(m.submissions)} submission(s), {points(m.points_lost)} points)"
            for m in ranked
        )
        return plain("costliest mistakes: " + (shown or "none recognised"))

    def _slowest(self) -> Text:
        return plain(
            "slowest: "
            + ", ".join(
                f"{s.submission_id} ({s.result.execution_time:.1f} s)" for s in statistics.slowest(self.batch)
            )
        )

    def _largest(self) -> Text:
        """Peak memory of each submission's processes together (its control group's own)."""
        largest = statistics.largest(self.batch)
        if not largest:
            return plain("largest: not measured (no control group per submission)")
        return plain(
            "largest: "
            + ", ".join(f"{s.submission_id} ({s.result.peak_memory_mib:.0f} MiB)" for s in largest)
        )

    def _limits(self) -> Text:
        hits = [f"{h.submission_id} ({h.question}: {h.status})" for h in statistics.limits_hit(self.batch)]
        return plain("hit a limit: " + (", ".join(hits) if hits else "none"), style="yellow" if hits else "")


class BatchStatistics(ClassStatistics):
    """The statistics of results with no instructor adjustments."""

    def __init__(self, batch: list[SubmissionResult], questions: list[str]) -> None:
        super().__init__(graded_batch(batch, questions=questions))
