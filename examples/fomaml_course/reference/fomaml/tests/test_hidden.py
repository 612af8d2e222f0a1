"""Hidden tests for `fomaml`: fresh inputs per submission, expected values live from the
reference (instructors only): more inner steps, a larger network, train called twice."""

import pytest
import torch

from grader.testing import expect_clean_call


@pytest.mark.question("FOMAML.adapt")
def test_adapt_hidden(student, reference, checks, given, seed):
    """adapt takes two first-order steps on a 40-unit network and leaves self.weights alone"""
    config = {"inner_steps": 2, "seed": seed}
    [task] = checks.draw(given, seed, 1, k=5)
    got = student.probe("adapt_outcome", student.FOMAML(**config), *task)
    checks.expect_adapted(got.value, reference.probe("adapt_outcome", reference.FOMAML(**config), *task))


@pytest.mark.question("FOMAML.meta_loss")
def test_meta_loss_hidden(student, reference, checks, given, seed):
    """meta_loss over five tasks after two inner steps, value and meta-gradient"""
    config = {"hidden": 24, "inner_lr": 0.03, "inner_steps": 2, "seed": seed}
    tasks = checks.draw(given, seed, 5)
    got = student.probe("meta_loss_outcome", student.FOMAML(**config), tasks)
    checks.expect_meta_loss(
        got.value, reference.probe("meta_loss_outcome", reference.FOMAML(**config), tasks), 5
    )


@pytest.mark.question("FOMAML.train")
def test_train_twice_hidden(student, reference, checks, given, seed):
    """train called twice keeps one history across both calls and the reference's weights"""
    config = {"hidden": 24, "inner_steps": 2, "outer_lr": 0.01, "seed": seed}
    generator = torch.Generator().manual_seed(seed)
    batches = [given.sample_tasks(3, 5, 5, generator) for _ in range(6)]
    model, ref = student.FOMAML(**config), reference.FOMAML(**config)
    for half in (batches[:3], batches[3:]):
        expect_clean_call(model.train(half))
        ref.train(half)
    mistakes = reference.mistakes(
        [("meta_grads_accumulate", "_trained", ("FOMAMLNoZeroGrad", config, batches))]
    )
    checks.expect_trained(model, ref, len(batches), mistakes)
