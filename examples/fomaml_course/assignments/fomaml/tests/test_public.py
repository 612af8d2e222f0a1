"""Public tests for `fomaml`: `grader check` runs them against the values `grader record`
wrote to expected.json. Each test makes a FOMAML object on the student's side and one on the
reference's, from the same seed, and drives both the same way."""

import pytest
import torch

from grader.testing import expect_clean_call

SMALL = {"hidden": 16, "inner_lr": 0.05}


@pytest.mark.question("FOMAML.adapt")
@pytest.mark.parametrize("steps", [1, 3])
def test_adapt(student, reference, checks, given, seed, steps):
    """adapt takes {steps} first-order step(s) from self.weights and leaves them alone"""
    config = {**SMALL, "inner_steps": steps, "seed": seed}
    [task] = checks.draw(given, seed, 1)
    got = student.probe("adapt_outcome", student.FOMAML(**config), *task)
    checks.expect_adapted(got.value, reference.probe("adapt_outcome", reference.FOMAML(**config), *task))


@pytest.mark.question("FOMAML.meta_loss")
def test_meta_loss(student, reference, checks, given, seed):
    """meta_loss is the mean query loss after adaptation, with the first-order meta-gradient"""
    config, tasks = {**SMALL, "seed": seed}, checks.draw(given, seed, 3)
    got = student.probe("meta_loss_outcome", student.FOMAML(**config), tasks)
    checks.expect_meta_loss(
        got.value, reference.probe("meta_loss_outcome", reference.FOMAML(**config), tasks), 3
    )


@pytest.mark.question("FOMAML.train")
def test_train_state(student, reference, checks, given, seed):
    """train takes one meta-step per batch and appends each meta-loss to history"""
    config, generator = {**SMALL, "seed": seed}, torch.Generator().manual_seed(seed)
    batches = [given.sample_tasks(2, 10, 10, generator) for _ in range(4)]
    model, ref = student.FOMAML(**config), reference.FOMAML(**config)
    expect_clean_call(model.train(batches))
    ref.train(batches)
    mistakes = reference.mistakes(
        [("meta_grads_accumulate", "_trained", ("FOMAMLNoZeroGrad", config, batches))]
    )
    checks.expect_trained(model, ref, len(batches), mistakes)


@pytest.mark.question("FOMAML.train")
def test_train_learns(student, reference, checks, given, seed, private_seed):
    """600 meta-steps from the grader's start learn what the reference's training learns"""
    generator = torch.Generator().manual_seed(seed)
    batches = [given.sample_tasks(4, 10, 10, generator) for _ in range(600)]
    model, ref = student.FOMAML(seed=seed), reference.FOMAML(seed=seed)
    starts = model.weights, ref.weights
    expect_clean_call(model.train(batches))
    ref.train(batches)
    checks.expect_learned(given, checks.draw(given, private_seed, 100), model, ref, starts)
