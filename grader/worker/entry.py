"""How a worker starts, in both modes: its options, the protocol's streams, and torch made
ready before any student code.

The forking zygote (:mod:`grader.worker.serve`) gets ready once, and every submission and
question is forked from it; the portable worker (:mod:`grader.worker.portable`) never imports
torch itself, and each question process it starts gets ready on its own. Both do it here, so
that a question starts from the same state in either mode.
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import pickle
import site
import sys
import warnings
from dataclasses import dataclass
from typing import Any

from grader.wire.limits import ResourceLimits
from grader.worker import forbidden, global_draws, shapes_on_demand


@dataclass(frozen=True)
class WorkerOptions:
    """A worker's command line, as both modes read it."""

    limits: ResourceLimits
    forbid: dict[str, tuple[str, ...]]
    """The assignment's forbidden helpers: module name -> names in it."""
    warm_optimizer: bool
    isolate: bool
    keep: tuple[str, ...]
    syscall_filter: bytes = b""
    """The seccomp program each isolated submission loads before its first question."""

    @classmethod
    def from_arguments(cls, arguments: argparse.Namespace) -> WorkerOptions:
        return cls(
            limits=ResourceLimits.from_arguments(arguments),
            forbid=forbidden_helpers(arguments.forbid),
            warm_optimizer=arguments.warm_optimizer,
            isolate=arguments.isolate,
            keep=tuple(arguments.keep),
            syscall_filter=bytes.fromhex(arguments.syscall_filter),
        )


def argument_parser(prog: str) -> argparse.ArgumentParser:
    """The options every worker takes (`grader.worker_client` writes them)."""
    parser = argparse.ArgumentParser(prog=prog)
    ResourceLimits.add_arguments(parser)
    parser.add_argument(
        "--isolate",
        action="store_true",
        help="inside the sandbox (the fork mode only): give each submission its own namespaces, "
        "folder and the uid its request names",
    )
    parser.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="FOLDER",
        help="a read-only folder under /tmp to keep in each submission's /tmp",
    )
    parser.add_argument(
        "--syscall-filter",
        default="",
        metavar="HEX",
        help="inside the sandbox: a seccomp program (classic BPF, in hex) that each submission "
        "loads once it has dropped to its uid",
    )
    parser.add_argument(
        "--forbid",
        action="append",
        default=[],
        metavar="MODULE:NAME,...",
        help="record calls to these functions of MODULE (the assignment's forbidden helpers)",
    )
    parser.add_argument(
        "--warm-optimizer",
        action="store_true",
        help="take one optimizer step at start-up (assignments that train)",
    )
    return parser


def forbidden_helpers(entries: list[str]) -> dict[str, tuple[str, ...]]:
    """`--forbid MODULE:NAME,...` entries as module name -> names."""
    return {
        module: tuple(names.split(",")) for module, _, names in (entry.partition(":") for entry in entries)
    }


def take_protocol_streams() -> tuple[io.FileIO, io.FileIO]:
    """Keep stdin/stdout for the protocol and point fd 0/1 away, so prints cannot corrupt it."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - open as long as the process
    return requests, replies


def trusted_folders() -> list[str]:
    """Where trusted code lives: the Python installation, its packages, the grader."""
    grader_package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [sys.base_prefix, sys.prefix, *site.getsitepackages(), grader_package]


def ready_for_student_code(options: WorkerOptions) -> None:
    """Pay torch's first-use costs (under the limits already set), make breakpoint() do
    nothing and install the forbidden helpers' recorders: all before any student code is
    imported. torch itself is imported with the worker's modules in the fork mode (the
    input guard binds its functions), and here, under the limits, in the portable one."""
    import torch

    # No bytecode of the submission is ever cached (`-I` ignores PYTHONDONTWRITEBYTECODE):
    # bytecode from outside the trusted folders is then only ever what code made at run time,
    # which the audit hook notes when it is loaded.
    sys.dont_write_bytecode = True
    torch.set_num_threads(1)
    # The homework asks for backward(create_graph=True) on purpose; torch's warning about it
    # would only fill the student's report.
    warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph=True")
    warm_up(optimizer=options.warm_optimizer)
    sys.breakpointhook = no_debugger
    forbidden.install(options.forbid)


def warm_up(*, optimizer: bool) -> None:
    """Pay torch's lazy first-use costs once here, not in every question.

    Double backward initialises on first use; backward with grad_outputs would import sympy
    (about 0.4 s), which :mod:`shapes_on_demand` makes wait until something needs it; the
    first optimizer step imports torch._dynamo (about 1 s, sympy with it), so that is paid
    only for assignments that train. What is cached on first use (copyreg's slot names,
    torch's device module) is cached before the witnesses take their snapshot.
    """
    import torch
    import torch.utils._device  # noqa: F401 - every question's TorchModes binds it

    if not optimizer:  # the optimizer's first step imports torch._dynamo, and sympy with it
        shapes_on_demand.install()
    global_draws.seeder()  # imports numpy.random (about 16 ms), which every question seeds

    weight = torch.zeros(2, requires_grad=True)
    (grad,) = torch.autograd.grad((weight**3).sum(), weight, create_graph=True)
    torch.autograd.grad(grad, weight, grad_outputs=torch.ones_like(grad), retain_graph=True)
    grad.sum().backward()  # type: ignore[no-untyped-call]
    torch.nn.functional.mse_loss(weight, weight.detach())
    copy.copy(weight.detach())  # copyreg caches torch.Tensor.__slotnames__ on first use
    pickle.dumps(weight.detach())
    if optimizer:
        torch.optim.Adam([weight], lr=0.1).step()


def no_debugger(*args: Any, **kwargs: Any) -> None:
    """A breakpoint() left in a submission does nothing (no debugger reads the worker's
    stdin, and a debugger's tracing would be noted as tampering)."""
