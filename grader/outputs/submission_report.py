"""Rich renderables for one submission's report, in the terminal and in a notebook.

Reports never claim more than they know: `grader check` ran the public tests only, and says
how many points the hidden tests still hold. Every string from a result reaches the console
as a :class:`~rich.text.Text` made by :func:`plain`: never parsed as markup, its control
characters escaped.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader import results
from grader.course.misconceptions import Catalogue
from grader.outputs.adjustments import points
from grader.results import GradedTest, SubmissionResult
from grader.untrusted_text import escape_controls

SHOWN_FAILURES = 2
STATUS_STYLES: dict[str, str] = {
    results.PASSED: "green",
    results.FAILED: "red",
    results.NOT_ATTEMPTED: "yellow",
    results.NOT_RUN: "dim",
    results.GRADER_ERROR: "magenta",
}


def plain(text: str, style: str = "") -> Text:
    """Text shown as written: no markup, no escape sequences."""
    return Text(escape_controls(text), style=style)


def status_text(status: str) -> Text:
    return plain(status, style=STATUS_STYLES.get(status, "red"))


def title_of(result: SubmissionResult) -> Text:
    return plain(f"{result.assignment} · {result.submission_id}")


class SubmissionReport:
    """The report a student (or an instructor reviewing one student) reads; `catalogue`
    explains its recognised mistakes (none given: the grader's own codes alone)."""

    def __init__(
        self,
        result: SubmissionResult,
        *,
        show_hidden_details: bool = True,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.result = result
        self.show_hidden_details = show_hidden_details
        self.catalogue = catalogue if catalogue is not None else Catalogue()

    def table_only(self) -> Table:
        """The per-question table alone, for reports that show no test details."""
        return self._question_table(title_of(self.result))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        result = self.result
        title = title_of(result)
        if result.problem:
            yield Panel(plain(result.problem, style="red"), title=title, border_style="red")
            return
        yield self._question_table(title)
        for note in result.notes:
            yield plain(f"Note: {note}", style="yellow")
        untouched = [q.question for q in result.questions() if q.status == results.NOT_ATTEMPTED]
        if untouched:
            yield plain(f"Not attempted yet: {', '.join(untouched)}", style="yellow")
        for question in result.questions():
            failures = [
                t
                for t in result.tests
                if t.question == question.question
                and t.status not in (results.PASSED, results.NOT_RUN, results.NOT_ATTEMPTED)
            ]
            if failures:
                yield self._failures(question.question, failures)
        if result.output.strip():
            yield Panel(
                plain(_excerpt(result.output)),
                title="your code printed",
                border_style="dim",
                title_align="left",
            )
        yield self._summary()

    def _question_table(self, title: Text) -> Table:
        table = Table(title=title, title_justify="left", expand=False)
        table.add_column("question")
        table.add_column("points", justify="right")
        table.add_column("tests", justify="right")
        table.add_column("status")
        for question in self.result.questions():
            tests = [t for t in self.result.tests if t.question == question.question]
            passed = sum(t.passed for t in tests)
            table.add_row(
                plain(question.question),
                f"{points(question.score)} / {points(question.max_score)}",
                f"{passed}/{len(tests)}",
                status_text(question.status),
            )
        return table

    def _failures(self, question: str, failures: list[GradedTest]) -> Panel:
        """One panel per question: its first few failing tests, then how many more."""
        body = Text()
        for index, test in enumerate(failures[:SHOWN_FAILURES]):
            if index:
                body.append("\n\n")
            body.append_text(plain(f"✗ {test.name}", style="bold"))
            body.append(" · ")
            body.append_text(status_text(test.status))
            body.append("\n")
            if test.visibility == results.HIDDEN and not self.show_hidden_details:
                body.append("a hidden test: its inputs and expected values are not shown")
            else:
                body.append_text(plain(test.message or test.status))
                if test.traceback:
                    body.append_text(plain("\n" + test.traceback.rstrip(), style="dim"))
        hidden = len(failures) - SHOWN_FAILURES
        if hidden > 0:
            body.append_text(plain(f"\n\n… and {hidden} more failing test(s) of {question}", style="dim"))
        mistake = next((self.catalogue.explain(t.misconception) for t in failures if t.misconception), None)
        if mistake is not None:
            body.append(f"\n\nRecognised mistake: {mistake.title} ({mistake.code})\n", style="bold cyan")
            body.append(mistake.explanation, style="cyan")
        return Panel(
            body,
            title=plain(question, style="bold"),
            title_align="left",
            border_style=STATUS_STYLES.get(failures[0].status, "red"),
        )

    def _summary(self) -> Text:
        result = self.result
        ran = result.run_tests
        earned = sum(t.score for t in ran)
        possible = sum(t.max_score for t in ran)
        if result.mode == results.Mode.CHECK:
            line = Text(f"Public tests: {points(earned)}/{points(possible)} points")
            not_run = [t for t in result.tests if t.status == results.NOT_RUN]
            if not_run:
                line.append(
                    f"; {len(not_run)} slow test(s) worth "
                    f"{points(sum(t.max_score for t in not_run))} points not run "
                    "(add --slow)"
                )
            if result.ungraded_hidden_points:
                line.append(
                    f"; {points(result.ungraded_hidden_points)} more points are graded "
                    "by hidden tests after the deadline"
                )
            line.append(".")
            return line
        return Text(f"Score: {points(result.score)}/{points(result.max_score)}", style="bold")


def _excerpt(output: str, lines: int = 20) -> str:
    kept = output.rstrip().splitlines()
    if len(kept) <= lines:
        return "\n".join(kept)
    return "\n".join(
        kept[: lines // 2] + [f"... {len(kept) - lines} lines left out ..."] + kept[-lines // 2 :]
    )
