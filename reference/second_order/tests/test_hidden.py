"""Hidden tests for `second_order`: fresh random inputs per submission, several shapes and
both dtypes, each in every kind the contract allows (requiring grad or not, holding a .grad
or not), the expected values computed live by the reference solution."""

import pytest
import torch

from grader.testing import Fn, expect_clean_call, expect_close, expect_tensor

CASES = [(torch.float32, 3), (torch.float64, 7), (torch.float64, 1), (torch.float32, 20)]
CASE_IDS = ["float32-n3", "float64-n7", "float64-n1", "float32-n20"]


def draw(seed, dtype, *shapes):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=generator, dtype=dtype) for shape in shapes]


def draw_long(seed, dtype, n, block=4096):
    """A long random vector drawn cheaply: random blocks, each shifted by a random offset.

    Drawing 200,000 normal numbers costs about as much as the hvp being tested; this costs
    well under a millisecond and still differs per submission and along the vector."""
    generator = torch.Generator().manual_seed(seed)
    tile = torch.randn(block, generator=generator, dtype=dtype)
    shifts = torch.randn(-(-n // block), 1, generator=generator, dtype=dtype)
    return (tile + shifts).reshape(-1)[:n].contiguous()


def index_for(seed, n):
    return seed % n


@pytest.mark.question("first_order_grads")
@pytest.mark.parametrize("dtype,n", CASES, ids=CASE_IDS)
def test_first_order_grads(student, reference, checks, seed, dtype, n):
    """first_order_grads matches the reference on random {dtype} inputs of length {n}"""
    x, y = draw(seed, dtype, (n,), (n,))
    checks.expect_like_reference(student, reference, "first_order_grads", x, y)


@pytest.mark.question("second_partials")
@pytest.mark.parametrize("dtype,n", CASES, ids=CASE_IDS)
def test_second_partials(student, reference, checks, seed, dtype, n):
    """second_partials matches the reference on random {dtype} inputs of length {n}"""
    x, y = draw(seed, dtype, (n,), (n,))
    i = index_for(seed, n)
    checks.expect_like_reference(
        student,
        reference,
        "second_partials",
        x,
        y,
        i,
        variants=checks.second_partials_mistakes(reference, x, y, i),
    )


@pytest.mark.question("grads_without_zeroing")
@pytest.mark.parametrize("dtype,n", CASES, ids=CASE_IDS)
def test_grads_without_zeroing(student, reference, checks, seed, dtype, n):
    """grads_without_zeroing matches the reference on random {dtype} inputs of length {n}"""
    x, y = draw(seed, dtype, (n,), (n,))
    i = index_for(seed, n)
    checks.expect_like_reference(
        student,
        reference,
        "grads_without_zeroing",
        x,
        y,
        i,
        variants=checks.zeroing_mistakes(reference, x, y, i),
    )


FUNCTIONS = ["quartic", "rosenbrock", "log_sum_exp"]


def make_function(name, seed, dtype, n):
    a, b = draw(seed + 1, dtype, (n,), (n,))
    if name == "quartic":
        return Fn("quartic", (a.abs(), b))
    if name == "rosenbrock":
        return Fn("rosenbrock", (torch.tensor(100.0, dtype=dtype),))
    return Fn("log_sum_exp", (a, b))


@pytest.mark.question("hessian")
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype,n", CASES[:2], ids=CASE_IDS[:2])
def test_hessian(student, reference, checks, seed, function, dtype, n):
    """hessian matches the reference for the {function} function on {dtype} inputs of length {n}"""
    (x,) = draw(seed, dtype, (n,))
    f = make_function(function, seed, dtype, n)
    checks.expect_like_reference(
        student,
        reference,
        "hessian",
        f,
        x,
        variants=checks.hessian_mistakes(reference, f, x),
        forbid_helpers=True,
    )


@pytest.mark.question("hvp")
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype,n", CASES[:2], ids=CASE_IDS[:2])
def test_hvp(student, reference, checks, seed, function, dtype, n):
    """hvp matches the reference for the {function} function on {dtype} inputs of length {n}"""
    x, v = draw(seed, dtype, (n,), (n,))
    f = make_function(function, seed, dtype, n)
    checks.expect_like_reference(student, reference, "hvp", f, x, v, forbid_helpers=True)


# The API's largest hvp: n = 200,000. A dense float32 Hessian would need 160 GB, far past
# the 2 GiB memory limit, so only O(n) code passes; correct code needs a few tens of MB.
LONG = 200_000
WINDOW = 2048


def windows(seed, n, count=6):
    """Where the long hvp is compared: both ends and `count` random stretches of WINDOW."""
    generator = torch.Generator().manual_seed(seed)
    starts = torch.randint(1, n - WINDOW, (count,), generator=generator).tolist()
    return [0, *sorted(starts), n - WINDOW]


@pytest.mark.question("hvp")
@pytest.mark.weight(3)
@pytest.mark.timeout(60)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_hvp_long(student, reference, seed, private_seed, dtype):
    """hvp works at n = 200,000 in {dtype} without forming the Hessian"""
    x, v = draw_long(seed, dtype, LONG), draw_long(seed + 1, dtype, LONG)
    f = Fn("rosenbrock", (torch.tensor(100.0, dtype=dtype),))
    reply = student.hvp(f, x, v)
    expect_tensor(reply.value, shape=(LONG,), dtype=dtype, what=reply.call)
    # The Rosenbrock Hessian is tridiagonal: (Hv)[i] depends on x and v at i-1, i and i+1
    # only. So the reference, run on a stretch with one element of margin on each side, gives
    # the exact expected values inside it, at a thousandth of the cost of the whole vector.
    for start in windows(private_seed, LONG):  # not derivable from the inputs sent
        low, high = max(start - 1, 0), min(start + WINDOW + 1, LONG)
        expected = reference.hvp(f, x[low:high], v[low:high])
        expect_close(
            reply.value[start : start + WINDOW],
            expected[start - low : start - low + WINDOW],
            what=f"{reply.call}[{start}:{start + WINDOW}]",
        )
    expect_clean_call(reply, forbid_helpers=True)


def critic_and_batch(seed, dtype, batch, dim, hidden=8):
    generator = torch.Generator().manual_seed(seed)

    def d(*shape):
        return torch.randn(*shape, generator=generator, dtype=dtype)

    return Fn("critic", (d(hidden, dim), d(hidden), d(hidden), d(()))), d(batch, dim)


PENALTY_CASES = [(torch.float32, 8, 3), (torch.float64, 1, 5), (torch.float64, 16, 2)]
PENALTY_IDS = ["float32-B8-d3", "float64-B1-d5", "float64-B16-d2"]


@pytest.mark.question("gradient_penalty")
@pytest.mark.parametrize("dtype,batch,dim", PENALTY_CASES, ids=PENALTY_IDS)
def test_gradient_penalty(student, reference, checks, seed, dtype, batch, dim):
    """gradient_penalty and the weight gradients it gives match the reference ({dtype}, B={batch}, d={dim})"""
    critic, x = critic_and_batch(seed, dtype, batch, dim)
    checks.expect_penalty_and_weight_grads(student, reference, critic, x)
