"""Every rule of the homework's contract has a test that fails a submission breaking it.

docs/contract.md quotes each sentence of the contract (`homework-api.md`, kept beside this
repository) in a row naming that test, a submission that breaks the rule where there is one,
and, where a rule cannot be observed, why. The tests here keep that table honest, and test
the rules that had no test of their own: each graded function is called on inputs of every
kind, the stubs' signatures are the reference's, an answer in another dtype fails, and the
functions the tests hand over are what the fine print promises.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import torch

from grader.course.assignment import Assignment
from grader.reference import import_private
from grader.testing import INPUT_KINDS, Mismatch, expect_close
from tests.conftest import ASSIGNMENTS, REFERENCE, ROOT, SUBMISSIONS
from tests.intake import test_contract_submissions, test_submissions

TABLE = ROOT / "docs" / "contract.md"
CONTRACT = ROOT.parent / "shared" / "homework-api.md"
TEST_ID = re.compile(r"`([\w./-]+\.py)::(\w+)`")
SUBMISSION = re.compile(r"`(tests/submissions/[\w./-]+\.py)`")
NO_TEST = ("not a rule", "cannot be observed", "partly cannot be observed")
ALL_KINDS = {(kind.requires_grad, kind.has_grad) for kind in INPUT_KINDS}


def table_rows(text: str) -> list[tuple[str, str, str, str]]:
    """(quote, tests, submissions, note) of each row of the table in docs/contract.md."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("| Rule (quoted)"):
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        assert len(cells) == 4, line
        rows.append((cells[0], cells[1], cells[2], "" if cells[3] == "—" else cells[3]))
    return rows


def contract_blocks(text: str) -> list[str]:
    """The contract's paragraphs, list items and table rows, each on one line (a table row's
    cells joined by " | "); headings, the table's header and its rule line left out."""
    blocks: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if (
            not line
            or line.startswith("#")
            or re.fullmatch(r"\|[-| ]+\|", line)
            or line.startswith("| question |")
        ):
            close()
        elif line.startswith("|"):
            close()
            blocks.append(" | ".join(cell.strip() for cell in line.strip("|").split("|")))
        else:
            if line.startswith("- "):
                close()
                line = line[2:]
            current.append(line)
    close()
    return blocks


def unquoted(blocks: list[str], quotes: list[str]) -> list[str]:
    """What of the contract no quote covers (punctuation aside)."""
    left = []
    for block in blocks:
        for quote in quotes:
            block = block.replace(quote, " ")
        if re.search(r"\w", block):
            left.append(block.strip())
    return left


@pytest.fixture(scope="module")
def rows() -> list[tuple[str, str, str, str]]:
    return table_rows(TABLE.read_text())


def the_contract() -> str:
    if not CONTRACT.is_file():
        pytest.skip(f"the contract is not beside this repository ({CONTRACT})")
    return CONTRACT.read_text()


def test_every_sentence_of_the_contract_is_quoted_in_a_row(rows):
    blocks = contract_blocks(the_contract())
    quotes = [quote for quote, *_ in rows]
    assert unquoted(blocks, quotes) == []
    not_the_contracts = [quote for quote in quotes if not any(quote in block for block in blocks)]
    assert not_the_contracts == []


def test_a_sentence_added_to_the_contract_is_found_without_a_row(rows):
    """The check above fails when the contract gains a rule the table does not quote."""
    added = the_contract() + "\n- **New.** A function must return in under a second.\n"
    assert unquoted(contract_blocks(added), [quote for quote, *_ in rows]) == [
        "**New.** A function must return in under a second."
    ]


def defined_tests(path: Path) -> set[str]:
    return {
        node.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_row_names_a_test_that_exists_or_says_why_none_can(rows):
    assert len(rows) >= 50
    for quote, tests, _, note in rows:
        named = TEST_ID.findall(tests)
        if not named:
            assert note.startswith(NO_TEST) and len(note) > 30, (quote, "names no test and says not why")
        for path, name in named:
            assert (ROOT / path).is_file() and name in defined_tests(ROOT / path), (quote, path, name)
        if note.startswith("cannot be observed") or note.startswith("partly cannot be observed"):
            assert ":" in note and len(note.split(":", 1)[1].strip()) > 30, (quote, "says not why")


def graded_cases() -> dict[str, set[str]]:
    """Each submission graded as losing points, with the questions it loses them on."""
    cases: dict[str, set[str]] = {}
    for folder, scored in (
        ("second_order", test_submissions.SECOND_ORDER_CASES),
        ("maml", test_submissions.MAML_CASES),
    ):
        for name, (scores, _) in scored.items():
            cases[f"{folder}/{name}.py"] = set(scores)
    for folder, lost in (
        ("second_order", test_contract_submissions.SECOND_ORDER),
        ("maml", test_contract_submissions.MAML),
    ):
        for name, questions in lost.items():
            cases.setdefault(f"{folder}/{name}.py", set()).update(questions)
    return cases


def test_every_breaking_submission_is_graded_as_losing_points(rows):
    cases = graded_cases()
    for quote, _, submissions, _ in rows:
        for path in SUBMISSION.findall(submissions):
            assert (ROOT / path).is_file(), path
            relative = str(Path(path).relative_to("tests/submissions"))
            assert cases.get(relative), (quote, path, "is graded nowhere as losing points")


def graded_functions(name: str) -> dict[str, Any]:
    """The stub's graded functions: those that still raise NotImplementedError."""
    stub = import_private(f"tests_contract_stub_{name}", ASSIGNMENTS / name / f"{name}.py")
    found = {}
    for function_name, value in vars(stub).items():
        own = inspect.isfunction(value) and value.__module__ == stub.__name__
        if own and "NotImplementedError" in inspect.getsource(value):
            found[function_name] = value
    return found


@pytest.mark.parametrize("name", ["second_order", "maml"])
def test_every_graded_function_is_a_question_of_its_assignment(name):
    assert set(graded_functions(name)) == set(Assignment.load(ASSIGNMENTS / name).questions)


@pytest.mark.parametrize("name", ["second_order", "maml"])
def test_stub_and_reference_signatures_agree(name):
    reference = import_private(f"tests_contract_reference_{name}", REFERENCE / name / f"{name}.py")
    stub = import_private(f"tests_contract_stub_{name}", ASSIGNMENTS / name / f"{name}.py")
    for function_name, value in vars(stub).items():
        if inspect.isfunction(value) and value.__module__ == stub.__name__:
            stub_parameters = [
                (p.name, p.kind, p.default) for p in inspect.signature(value).parameters.values()
            ]
            reference_parameters = [
                (p.name, p.kind, p.default)
                for p in inspect.signature(getattr(reference, function_name)).parameters.values()
            ]
            assert stub_parameters == reference_parameters, function_name


def test_an_answer_in_another_dtype_fails():
    with pytest.raises(Mismatch, match="dtype float32, expected float64"):
        expect_close(torch.ones(3), torch.ones(3, dtype=torch.float64), what="f(x)")
    with pytest.raises(Mismatch, match="shape"):
        expect_close(torch.ones(3), torch.ones(2), what="f(x)")


class Spy(SimpleNamespace):
    """A module whose graded functions note how each tensor they are handed arrives."""

    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__()
        self.seen: dict[str, set[tuple[bool, bool]]] = {}
        for name, answer in answers.items():
            setattr(self, name, self._noting(name, answer))

    def _noting(self, name: str, answer: Any) -> Any:
        def function(*args: Any, **kwargs: Any) -> Any:
            for tensor in tensors_in([*args, *kwargs.values()]):
                if tensor.is_leaf:
                    self.seen.setdefault(name, set()).add((tensor.requires_grad, tensor.grad is not None))
            return answer(*args, **kwargs)

        return function


def tensors_in(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in tensors_in(item)]
    weights = getattr(value, "parameters", None)
    return tensors_in(weights) if isinstance(weights, list) else []


def probes_of(name: str) -> ModuleType:
    return import_private(f"tests_contract_probes_{name}", ASSIGNMENTS / name / "probes.py")


def test_every_second_order_function_is_called_on_inputs_of_every_kind():
    probes = probes_of("second_order")
    x, y, a, b = (torch.randn(4, dtype=torch.float64) for _ in range(4))
    f = probes.FUNCTIONS["quartic"](a.abs(), b)
    critic = probes.FUNCTIONS["critic"](torch.randn(3, 2), torch.randn(3), torch.randn(3), torch.randn(()))
    spy = Spy(
        {
            "first_order_grads": lambda x, y: (x.detach(), y.detach()),
            "second_partials": lambda x, y, i: (x.detach(), y.detach()),
            "grads_without_zeroing": lambda x, y, i: (x.detach(), y.detach()),
            "hessian": lambda f, x: torch.zeros(len(x), len(x)),
            "hvp": lambda f, x, v: v.detach(),
            "gradient_penalty": lambda f, x: f(x).pow(2).mean(),
        }
    )
    calls = {
        "first_order_grads": (x, y),
        "second_partials": (x, y, 1),
        "grads_without_zeroing": (x, y, 1),
        "hessian": (f, x),
        "hvp": (f, x, y),
        "gradient_penalty": (critic, torch.randn(5, 2)),
    }
    for function, args in calls.items():
        outcomes = probes.PROBES[function](spy, *args)
        assert len(outcomes) == len(INPUT_KINDS) and all(o["changed"] == [] for o in outcomes), function
    probes.PROBES["penalty_and_weight_grads"](spy, critic, torch.randn(5, 2))
    for function in calls:  # x, y, v come in every kind (a critic's weights always require grad)
        assert spy.seen[function] >= ALL_KINDS, function


def test_every_maml_function_is_called_on_inputs_of_every_kind():
    probes = probes_of("maml")
    given = probes.GIVEN
    generator = torch.Generator().manual_seed(0)
    params = [p.detach() for p in given.init_params(6, generator)]
    [(xs, ys, xq, yq), *tasks] = given.sample_tasks(3, 4, 4, generator)
    spy = Spy(
        {
            "inner_update": lambda params, loss, lr, first_order=False: [p * 1 for p in params],
            "adapt": lambda params, xs, ys, lr, steps, first_order=False: list(params),
            "meta_loss": lambda params, tasks, lr, steps, first_order=False: sum(p.sum() for p in params),
            "meta_train": lambda params, steps, generator=None: [p.detach() for p in params],
        }
    )
    probes.PROBES["inner_update_outcome"](spy, params, xs, ys, 0.1, False, xq, yq)
    probes.PROBES["adapt_outcome"](spy, params, xs, ys, 0.1, 1, False, xq, yq)
    probes.PROBES["meta_loss_outcome"](spy, params, [(xs, ys, xq, yq), *tasks], 0.1, 1, False)
    probes.PROBES["meta_train_on_every_kind"](spy, params, 1, generator)
    # the parameters of the first three always require grad (the meta-gradient is taken with
    # respect to them), and hold a .grad or not; the task tensors and meta_train's parameters
    # come in every kind
    assert spy.seen["inner_update"] == {(True, False), (True, True)}
    for function in ("adapt", "meta_loss", "meta_train"):
        assert spy.seen[function] >= ALL_KINDS, function


def functions_handed_to(test_files: list[Path]) -> set[str]:
    """The names of the test functions (`Fn("name", ...)`) the tests hand over."""
    names = set()
    for path in test_files:
        for node in ast.walk(ast.parse(path.read_text())):
            call = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Fn" and node.args
            if call and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
    return names


SECOND_ORDER_TESTS = [
    ASSIGNMENTS / "second_order" / "tests" / "test_public.py",
    REFERENCE / "second_order" / "tests" / "test_hidden.py",
]


def test_hessian_and_hvp_are_tested_on_functions_whose_gradient_depends_on_x():
    probes = probes_of("second_order")
    handed = functions_handed_to(SECOND_ORDER_TESTS) - {"critic"}
    assert handed >= {"quartic", "rosenbrock", "log_sum_exp", "dot_squared"}
    generator = torch.Generator().manual_seed(1)

    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=generator, dtype=torch.float64)

    arguments = {  # as the tests build them
        "quartic": (draw(5).abs(), draw(5)),
        "dot_squared": (draw(5),),
        "rosenbrock": (torch.tensor(10.0, dtype=torch.float64),),
        "log_sum_exp": (draw(5), draw(5)),
    }
    for name in sorted(handed):
        f = probes.FUNCTIONS[name](*arguments[name])
        assert torch.autograd.functional.hessian(f, draw(5)).abs().max() > 1e-3, name


def test_the_critic_treats_rows_independently():
    probes = probes_of("second_order")
    generator = torch.Generator().manual_seed(2)
    critic = probes.FUNCTIONS["critic"](
        *(torch.randn(shape, generator=generator) for shape in ((6, 3), (6,), (6,), ()))
    )
    x = torch.randn(4, 3, generator=generator)
    assert critic(x).shape == (4,)
    jacobian = torch.autograd.functional.jacobian(critic, x)  # (4, 4, 3)
    off_rows = jacobian * (1 - torch.eye(4))[:, :, None]
    assert off_rows.abs().max() == 0 and jacobian.abs().max() > 0


def test_breaking_submissions_named_in_the_table_exist_in_the_submissions_folder(rows):
    named = {path for _, _, submissions, _ in rows for path in SUBMISSION.findall(submissions)}
    assert named and all((ROOT / path).is_relative_to(SUBMISSIONS) for path in named)
