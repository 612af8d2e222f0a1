"""The catalogue of classic mistakes in this homework, and how each is explained.

A test recognises a mistake in one of two ways: structurally (a forbidden helper was
called, an input changed, the result does not depend on the parameters), or because the
student's answer equals what a known-wrong variant of the reference gives on the same
inputs. Either way the failing test carries the code, the report explains it, and
results.json says it in the test's `misconception` field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Misconception:
    code: str
    title: str
    explanation: str


CATALOGUE: dict[str, Misconception] = {m.code: m for m in [
    Misconception(
        "missing_create_graph", "a derivative of a derivative without create_graph=True",
        "The first backward pass built no graph of its own, so the gradient it returned is a "
        "plain number with no grad_fn: differentiating it again gives nothing (or the error "
        "'does not require grad'). Pass create_graph=True to the first torch.autograd.grad "
        "(or backward) whose result you differentiate again."),
    Misconception(
        "grad_accumulation", ".grad was not zeroed between backward passes",
        "Your answer equals the first-order terms plus the second-order ones: the second "
        "backward added into .grad on top of the first, exactly as in the worked example "
        "(x.grad = [10, 20] + [2, 4]). Reset .grad to None between passes, or use "
        "torch.autograd.grad, which returns gradients instead of accumulating them."),
    Misconception(
        "zeroed_gradients", "the gradients were zeroed where they should accumulate",
        "This question asks you to watch gradients accumulate: after w.backward(create_graph="
        "True) and x.grad[i].backward() without zeroing, x.grad holds first- plus second-order "
        "terms ([12, 24] in the worked example). Your answer holds only one of the two."),
    Misconception(
        "forbidden_api", "a ready-made second-order helper",
        "torch.autograd.functional and torch.func compute Hessians for you; this question asks "
        "you to do it by double backward: take the gradient with create_graph=True, then "
        "differentiate it again."),
    Misconception(
        "in_place_update", "parameters or inputs changed in place",
        "Your function changed the tensors it was given (their values, requires_grad or .grad). "
        "Updates such as p -= lr * g or p.data.add_() destroy the caller's initialisation and "
        "cut the graph the meta-gradient needs. Build new tensors: p - lr * g."),
    Misconception(
        "detached_params", "the adapted parameters no longer depend on the initial ones",
        "What you returned has no path back to params in the computation graph (detach(), "
        ".data, torch.no_grad() or a fresh tensor), so no meta-gradient can reach the "
        "initialisation. Keep the update p - lr * g inside autograd."),
    Misconception(
        "wrong_sign", "gradient ascent instead of descent",
        "Your update moves the parameters up the gradient: it equals p + lr * g. An inner "
        "step descends the loss: p - lr * g."),
    Misconception(
        "first_order_maml", "a first-order meta-gradient where second-order was asked",
        "Your meta-gradient equals first-order MAML's: the inner gradient was treated as a "
        "constant. The meta-gradient must flow through the inner gradient too, so compute it "
        "with create_graph=True when first_order is False."),
    Misconception(
        "ignores_first_order_flag", "second-order even when first_order=True",
        "With first_order=True the inner gradients must be constants (create_graph=False, or "
        "detach them); your meta-gradient still contains the second-order term."),
    Misconception(
        "sum_instead_of_mean", "the meta-loss summed over tasks instead of averaged",
        "Your meta-loss equals the sum of the tasks' query losses; the meta-loss is their mean, "
        "so that its scale does not depend on the meta-batch size."),
    Misconception(
        "tampering", "the submission reached into the grader's code",
        "While this question ran, the submission used one of the doors that lead to the "
        "grader's own code beside it (stack frames, the garbage collector, ctypes, code "
        "objects, tracing, the grader's modules or the record channel), or changed a "
        "namespace that code relies on (the probes, the input guard, torch's autograd "
        "functions). The answers of a process that did so cannot be trusted, so the whole "
        "question scores zero. Instructors: the test's message says which door and where; "
        "a submission that needs none of these for its homework has no reason to use them."),
]}

NO_GRAPH_ERRORS = ("does not require grad and does not have a grad_fn",
                   "One of the differentiated Tensors appears to not have been used in the graph")
SECOND_ORDER_QUESTIONS = ("second_partials", "grads_without_zeroing", "hessian", "hvp",
                          "gradient_penalty")


def recognise_error(question: str, message: str) -> str | None:
    """A student error that shows a known mistake (differentiating a graph-less gradient)."""
    if question in SECOND_ORDER_QUESTIONS and any(text in message for text in NO_GRAPH_ERRORS):
        return "missing_create_graph"
    return None


def explain(code: str | None) -> Misconception | None:
    return CATALOGUE.get(code) if code else None
