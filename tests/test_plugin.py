"""The grading plugin's rules for points, on small test files that pytester runs through it.

Each test writes an assignment.toml and a few test files, runs pytest on them in this process
with the plugin registered (as grader/session.py does), hands it one submission and reads the
graded tests back. Expected points come from the assignment.toml written here, never from a
course's own numbers. Student failures are raised as the `student` fixture raises them
(grader.problems), so no worker is started.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import results
from grader.course.assignment import Assignment
from grader.plugin import GradingPlugin, GradingSettings
from grader.results import GradedTest
from grader.submission_run import SubmissionRun

CONFIG = """\
title = "Points"
module = "points"

[questions]
alpha = { public = 6, hidden = 9 }
beta = { public = 4, hidden = 2 }
"""
HEADER = "import pytest\n\nfrom grader import problems\n"
SEED_KEY = b"a secret of the tests' own"


class NoWorker:
    """Stands in for the submission's workers: these tests never call student code."""

    late_tampering: dict[str, str] = {}

    def close(self) -> None:
        pass


@dataclass
class Graded:
    """What the plugin made of one submission: its tests by function name, or why none ran."""

    tests: dict[str, GradedTest]
    config_error: str

    def scores(self) -> dict[str, tuple[str, float, float]]:
        """Each test's (status, score, max score)."""
        return {name: (t.status, t.score, t.max_score) for name, t in self.tests.items()}


@pytest.fixture
def assignment(pytester: pytest.Pytester) -> Assignment:
    folder = pytester.mkdir("points")
    (folder / "assignment.toml").write_text(CONFIG)
    return Assignment.load(folder)


def write_tests(pytester: pytest.Pytester, path: str, source: str) -> Path:
    """A test file at `path` under pytester's folder: the plugin's imports, then `source`."""
    file = pytester.path / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(HEADER + textwrap.dedent(source))
    return file


def grade(pytester: pytest.Pytester, settings: GradingSettings, *files: Path) -> Graded:
    """Run pytest on `files` with the plugin, for one submission."""
    run = SubmissionRun("student", make_pool=NoWorker)
    runs = iter([run])
    plugin = GradingPlugin(settings, lambda: next(runs, None))
    pytester.runpytest_inprocess(
        *map(str, files), "-p", "no:cacheprovider", "--import-mode=importlib", plugins=[plugin]
    )
    assert not plugin.collection_errors, plugin.collection_errors
    assert run.error is None, run.error
    return Graded({t.nodeid.split("::")[-1]: t for t in run.tests}, plugin.config_error)


def check(assignment: Assignment, **options) -> GradingSettings:
    return GradingSettings(assignment, results.Mode.CHECK, **options)


def grade_mode(assignment: Assignment, **options) -> GradingSettings:
    return GradingSettings(assignment, results.Mode.GRADE, seed_key=SEED_KEY, **options)


def test_a_passing_test_earns_its_share_and_a_failing_one_none(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha_right():
            pass

        @pytest.mark.question("alpha")
        def test_alpha_wrong():
            assert 1 == 2, "alpha returned 1, expected 2"

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    alpha, beta = assignment.questions["alpha"].public, assignment.questions["beta"].public
    assert graded.scores() == {
        "test_alpha_right": (results.PASSED, alpha / 2, alpha / 2),
        "test_alpha_wrong": (results.FAILED, 0.0, alpha / 2),
        "test_beta": (results.PASSED, beta, beta),
    }
    assert graded.tests["test_alpha_wrong"].message == "alpha returned 1, expected 2"


def test_weights_split_a_questions_points_and_each_parameter_is_a_test(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        @pytest.mark.weight(3)
        @pytest.mark.parametrize("n", [1, 2])
        def test_alpha_heavy(n):
            '''alpha on {n} inputs'''

        @pytest.mark.question("alpha")
        def test_alpha_light():
            pass

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    alpha = assignment.questions["alpha"].public
    each = alpha / (3 + 3 + 1)
    assert {name: t.max_score for name, t in graded.tests.items() if name.startswith("test_alpha")} == (
        pytest.approx(
            {"test_alpha_heavy[1]": 3 * each, "test_alpha_heavy[2]": 3 * each, "test_alpha_light": each}
        )
    )
    assert graded.tests["test_alpha_heavy[2]"].name == "alpha on 2 inputs"  # its docstring, filled in


def test_check_grades_the_public_share_and_grade_adds_the_hidden_one(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha(seed):
            pass

        @pytest.mark.question("beta")
        def test_beta(seed):
            pass
        """,
    )
    hidden = write_tests(
        pytester,
        "hidden/test_hidden.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha_hidden(seed):
            pass

        @pytest.mark.question("alpha")
        def test_alpha_hidden_fails(seed):
            assert False, "wrong on hidden inputs"

        @pytest.mark.question("beta")
        def test_beta_hidden(seed):
            pass
        """,
    )
    questions = assignment.questions
    checked = grade(pytester, check(assignment), public)
    assert {t.visibility for t in checked.tests.values()} == {results.VISIBLE}
    assert sum(t.max_score for t in checked.tests.values()) == sum(q.public for q in questions.values())

    graded = grade(pytester, grade_mode(assignment, hidden_tests=hidden.parent), public, hidden)
    assert {name: t.visibility for name, t in graded.tests.items() if "hidden" in name} == dict.fromkeys(
        ["test_alpha_hidden", "test_alpha_hidden_fails", "test_beta_hidden"], results.HIDDEN
    )
    assert sum(t.max_score for t in graded.tests.values()) == pytest.approx(assignment.total_points)
    assert graded.scores()["test_alpha_hidden_fails"] == (results.FAILED, 0.0, questions["alpha"].hidden / 2)
    assert graded.scores()["test_beta_hidden"] == (
        results.PASSED,
        questions["beta"].hidden,
        questions["beta"].hidden,
    )


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        ('problems.NotAttempted("alpha is still the stub")', results.NOT_ATTEMPTED),
        ('problems.StudentRaised("ValueError: bad shape")', results.Status.ERROR),
        ('problems.ImportFailed("the submission did not import")', results.Status.IMPORT_FAILED),
    ],
)
def test_a_student_problem_earns_nothing_and_keeps_its_status(pytester, assignment, raised, status):
    public = write_tests(
        pytester,
        "test_public.py",
        f"""
        @pytest.mark.question("alpha")
        def test_alpha():
            raise {raised}

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    alpha, beta = assignment.questions["alpha"].public, assignment.questions["beta"].public
    assert graded.scores() == {
        "test_alpha": (status, 0.0, alpha),
        "test_beta": (results.PASSED, beta, beta),
    }


def test_a_skipped_test_is_not_run_and_earns_nothing(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha():
            pytest.skip("needs a GPU")

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    alpha = assignment.questions["alpha"].public
    assert graded.scores()["test_alpha"] == (results.NOT_RUN, 0.0, alpha)


def test_tampering_costs_the_whole_question_and_only_it(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha_first():
            pass

        @pytest.mark.question("alpha")
        def test_alpha_second():
            raise problems.Tampering("alpha patched torch.autograd.grad")

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    alpha, beta = assignment.questions["alpha"].public, assignment.questions["beta"].public
    assert graded.scores() == {
        "test_alpha_first": (results.FAILED, 0.0, alpha / 2),
        "test_alpha_second": (results.FAILED, 0.0, alpha / 2),
        "test_beta": (results.PASSED, beta, beta),
    }
    first = graded.tests["test_alpha_first"]
    assert first.misconception == "tampering" and first.message.startswith("not counted: ")


def test_a_hang_loses_the_rest_of_its_question(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha_hangs():
            raise problems.StudentTimedOut("timed out after 10 s while calling alpha")

        @pytest.mark.question("alpha")
        def test_alpha_after(student):
            pass

        @pytest.mark.question("beta")
        def test_beta(student):
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    alpha, beta = assignment.questions["alpha"].public, assignment.questions["beta"].public
    assert graded.scores() == {
        "test_alpha_hangs": (results.Status.TIMED_OUT, 0.0, alpha / 2),
        "test_alpha_after": (results.Status.TIMED_OUT, 0.0, alpha / 2),
        "test_beta": (results.PASSED, beta, beta),
    }
    after = graded.tests["test_alpha_after"]
    assert after.after_lost and "in an earlier test of alpha" in after.message


def test_grade_pays_published_inputs_only_beside_a_fresh_pass(pytester, assignment):
    """In `grader grade` a passing test on published inputs (no seed) earns its points only if
    a test of its question on inputs drawn for this submission passed too."""
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha_published():
            pass

        @pytest.mark.question("alpha")
        def test_alpha_fresh(seed):
            assert False, "wrong on fresh inputs"

        @pytest.mark.question("beta")
        def test_beta_published():
            pass

        @pytest.mark.question("beta")
        def test_beta_fresh(seed):
            pass
        """,
    )
    alpha, beta = assignment.questions["alpha"].public, assignment.questions["beta"].public
    graded = grade(pytester, grade_mode(assignment), public)
    assert graded.scores() == {
        "test_alpha_published": (results.FAILED, 0.0, alpha / 2),
        "test_alpha_fresh": (results.FAILED, 0.0, alpha / 2),
        "test_beta_published": (results.PASSED, beta / 2, beta / 2),
        "test_beta_fresh": (results.PASSED, beta / 2, beta / 2),
    }
    assert graded.tests["test_alpha_published"].message.startswith("passes only on the published example")
    checked = grade(pytester, check(assignment), public)  # a student's own check is not held back
    assert checked.scores()["test_alpha_published"] == (results.PASSED, alpha / 2, alpha / 2)


def test_a_slow_test_keeps_its_share_but_runs_only_when_asked(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        @pytest.mark.slow
        def test_alpha_slow():
            pass

        @pytest.mark.question("alpha")
        def test_alpha_quick():
            pass

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    alpha = assignment.questions["alpha"].public
    quick = grade(pytester, check(assignment), public)
    assert quick.scores()["test_alpha_slow"] == (results.NOT_RUN, 0.0, alpha / 2)
    assert quick.scores()["test_alpha_quick"] == (results.PASSED, alpha / 2, alpha / 2)
    slow = grade(pytester, check(assignment, run_slow=True), public)
    assert slow.scores()["test_alpha_slow"] == (results.PASSED, alpha / 2, alpha / 2)


def test_a_selection_of_questions_grades_only_their_tests(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha():
            pass

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    graded = grade(pytester, check(assignment, questions=frozenset({"beta"})), public)
    beta = assignment.questions["beta"].public
    assert graded.scores() == {"test_beta": (results.PASSED, beta, beta)}


@pytest.mark.parametrize(
    ("markers", "error"),
    [
        ("", "missing @pytest.mark.question(name) on test_public.py::test_alpha"),
        (
            '@pytest.mark.question("gamma")',
            "unknown question 'gamma' from the markers on test_public.py::test_alpha",
        ),
        (
            '@pytest.mark.question("alpha")\n@pytest.mark.weight(0)',
            "invalid weight 0 from the markers on test_public.py::test_alpha: use a positive number",
        ),
        (
            '@pytest.mark.question("alpha")\n@pytest.mark.weight(True)',
            "invalid weight True from the markers on test_public.py::test_alpha",
        ),
        (
            '@pytest.mark.question("alpha")\n@pytest.mark.timeout("soon")',
            "invalid timeout 'soon' from the markers on test_public.py::test_alpha",
        ),
    ],
    ids=["no question", "unknown question", "zero weight", "weight True", "timeout text"],
)
def test_a_bad_marker_stops_grading_and_names_its_test(pytester, assignment, markers, error):
    public = write_tests(
        pytester,
        "test_public.py",
        f"""
{markers}
def test_alpha():
    pass

@pytest.mark.question("beta")
def test_beta():
    pass
""",
    )
    graded = grade(pytester, check(assignment), public)
    assert error in graded.config_error
    assert graded.tests == {}


def test_points_with_no_test_for_them_stop_grading(pytester, assignment):
    public = write_tests(
        pytester,
        "test_public.py",
        """
        @pytest.mark.question("alpha")
        def test_alpha():
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    beta = assignment.questions["beta"].public
    assert graded.config_error == f"beta has {beta:g} visible points in assignment.toml but no test for them"
    assert graded.tests == {}
