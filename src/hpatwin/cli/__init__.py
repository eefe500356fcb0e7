"""The ``hpatwin`` command line: one sub-command per user job.

Each sub-command lives in its own module under :mod:`hpatwin.cli` and exposes a
``command`` (a :class:`click.Command`). :data:`COMMANDS` maps each name to its module
and one-line help; a module is imported only when its command runs (or its own
``--help`` is asked for), so ``hpatwin score`` and ``hpatwin plan`` never load JAX or
SymPy.

No traceback reaches a user: :meth:`LazyGroup.invoke` is the one top-level handler. It turns
any error from a command into a one-line ``Error: …`` message (control characters removed, at
most 2,000 characters, naming the file and field but never echoing file contents) and exit
code 2. ``HPATWIN_DEBUG=1`` re-raises for the traceback.

Example
-------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(main, ["--help"])
>>> "score" in result.output and "simulate" in result.output
True
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import click
import yaml
from pydantic import ValidationError

from hpatwin.io.text import one_line

#: command name -> (module, one-line help shown by ``hpatwin --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": ("hpatwin.cli.simulate_cmd", "Simulate one patient or a batch to NetCDF."),
    "params": ("hpatwin.cli.params_cmd", "List parameters with units, sources and evidence."),
    "export-sbml": ("hpatwin.cli.export_sbml_cmd", "Export a model as SBML."),
    "pathways": ("hpatwin.cli.pathways_cmd", "List the pathways --ablate can switch off."),
    "score": ("hpatwin.cli.score_cmd", "Score instruments, cortisol, HRV; FHIR and CSV."),
    "plan": ("hpatwin.cli.plan_cmd", "Plan a protocol with the safety screen."),
    "plan-to-treatment": (
        "hpatwin.cli.plan_to_treatment_cmd",
        "Convert the planned protocol into a treatment plan the twin simulates.",
    ),
    "records": (
        "hpatwin.cli.records_cmd",
        "Patient records: SQLite/PostgreSQL store, FHIR and CSV.",
    ),
    "serve": ("hpatwin.cli.serve_cmd", "Serve the clinic web app on localhost."),
    "trial": ("hpatwin.cli.trial_cmd", "Run an in-silico trial with a report."),
    "web": ("hpatwin.cli.web_cmd", "Administer the clinic web app (create users)."),
    "power": ("hpatwin.cli.power_cmd", "Power by simulation for a trial spec."),
    "fit": ("hpatwin.cli.fit_cmd", "Fit the patient twin to one patient's record."),
    "forecast": (
        "hpatwin.cli.forecast_cmd",
        "Forecast candidate protocols from a patient-twin fit.",
    ),
}
#: modules of every command (kept for tools that walk them)
COMMAND_MODULES: tuple[str, ...] = tuple(module for module, _ in COMMANDS.values())


EXIT_INPUT_ERROR = 2
"""Exit code of every error the top-level handler reports."""


class UserFacingError(click.ClickException):
    """A one-line error message for the terminal, exit code 2."""

    exit_code = EXIT_INPUT_ERROR


def describe_error(err: BaseException) -> str:
    """The one-line message for ``err``: file, field and problem, never file contents.

    Example
    -------
    >>> describe_error(FileNotFoundError(2, "No such file or directory", "in.yaml"))
    'in.yaml: No such file or directory'
    >>> describe_error(UnicodeDecodeError("utf-8", b"\\xff", 0, 1, "invalid start byte"))
    'not UTF-8 text (invalid byte at offset 0); save the file as UTF-8'
    >>> describe_error(KeyError("x"))
    'internal error (KeyError); please report it (HPATWIN_DEBUG=1 shows the traceback)'
    """
    if isinstance(err, ValidationError):
        parts = []
        for item in err.errors():
            location = ".".join(str(p) for p in item["loc"])
            parts.append(f"{location}: {item['msg']}" if location else str(item["msg"]))
        return one_line("; ".join(parts))
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 text (invalid byte at offset {err.start}); save the file as UTF-8"
    if isinstance(err, yaml.YAMLError):
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        return one_line(f"not valid YAML ({where}{getattr(err, 'problem', None) or 'error'})")
    if isinstance(err, RecursionError):
        return "input nested too deeply"
    if isinstance(err, MemoryError):
        return "out of memory: reduce the size of the run (patients, days) or the input file"
    ours = type(err).__module__.startswith("hpatwin")
    if isinstance(err, OSError) and not ours and err.strerror:
        name = "" if err.filename is None else str(err.filename)
        return one_line(f"{name}: {err.strerror}" if name else err.strerror)
    if ours or isinstance(err, (ValueError, ArithmeticError, OSError)):
        text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
        return one_line(text) or type(err).__name__
    return (
        f"internal error ({type(err).__name__}); please report it "
        "(HPATWIN_DEBUG=1 shows the traceback)"
    )


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use; the one top-level error handler."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.UsageError):
            raise
        except click.ClickException as err:
            raise UserFacingError(one_line(err.format_message())) from None
        except Exception as err:
            if os.environ.get("HPATWIN_DEBUG") == "1":
                raise
            raise UserFacingError(describe_error(err)) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command = importlib.import_module(COMMANDS[cmd_name][0]).command
        if not isinstance(command, click.Command):
            raise TypeError(f"{COMMANDS[cmd_name][0]}.command is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hpatwin")
def main() -> None:
    """hpatwin: a mechanistic HPA-axis twin for chronic pain with depression.

    Research and decision-support software for licensed clinicians and
    researchers, not a medical device: it explains, it never prescribes.
    """
