"""The `grader` command line: argument parsing, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from grader.errors import ExitCode, GraderError
from grader.untrusted_text import escape_controls
from grader.version import installed_version

DESCRIPTION = """\
Grade PyTorch homework with pytest.

students:     grader check                     run the public tests on your work
instructors:  grader grade NAME subs/ --out results   grade submissions with hidden tests
              grader show results [ID]         show saved reports without regrading
              grader export results --format canvas   csv, canvas, gradescope, junit, markdown, html
              grader report results            the class report: results/report.html
              grader override results ID Q POINTS --reason TEXT   adjust one question's points
              grader similarity NAME subs/ --out results   pairs of submissions that look copied
              grader grade ... --question Q    regrade one question, keep the others
              grader grade ... --shard 2/8; grader merge all/ shard*/   grade on many machines
              grader record NAME               re-record the public tests' expected values
              grader release NAME --out DIR    build what students get (no reference inside)
              grader new NAME; grader validate NAME   write an assignment; prove it ready
CI:           grader ci                        autograde a repository on every push
Gradescope:   grader gradescope NAME --out hw.zip   the autograder zip to upload
              grader gradescope-try hw.zip SUB...   try it here as Gradescope would
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE_ERROR, f"grader: error: {message} (see `{self.prog} --help`)\n")


COMMANDS = (
    "check",
    "grade",
    "show",
    "export",
    "merge",
    "override",
    "overrides",
    "report",
    "similarity",
    "record",
    "release",
    "ci",
    "gradescope",
    "gradescope-try",
    "new",
    "validate",
)
"""Every subcommand, in the order `grader --help` lists them: module grader.commands.NAME
(a dash in a name is an underscore in its module's)."""


class _Version(argparse.Action):
    """--version, looked up only when asked for: reading the installed metadata costs every
    other command (each `grader check` among them) about 30 ms."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(installed_version())
        parser.exit()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: only the command it names is imported (a command's module
    imports what it runs, pytest and the grader for some: a `grader check` starts its
    worker sooner), every command when it names none (`grader --help`)."""
    chosen = _chosen_command(sys.argv[1:] if argv is None else argv)
    parser = _Parser(
        prog="grader", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the grader's version and exit")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        if chosen not in (None, name):
            subcommands.add_parser(name)  # known to the parser; never the one run
            continue
        module = importlib.import_module(f"grader.commands.{name.replace('-', '_')}")
        sub = subcommands.add_parser(
            name,
            help=module.HELP,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The command `argv` names: its first word not an option (the top level takes no option
    with a value), if that is a command."""
    first = next((word for word in argv if not word.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser(argv)  # imports the command: a Ctrl-C may come meanwhile
        options = parser.parse_args(argv)
        handler: Callable[[argparse.Namespace], int] | None = getattr(options, "handler", None)
        if handler is None:
            parser.print_help()
            return ExitCode.USAGE_ERROR
        return int(handler(options))
    except GraderError as exc:
        # messages name files and ids that came from students: no control character of
        # theirs reaches the terminal, whichever message carries it
        print(f"grader: error: {escape_controls(str(exc))}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("grader: interrupted; what was already graded is saved", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the edge of the program
        if os.environ.get("GRADER_DEBUG"):
            raise
        print(
            f"grader: internal error: {type(exc).__name__}: {exc} (set GRADER_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
