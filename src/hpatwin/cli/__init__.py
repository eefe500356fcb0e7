"""The ``hpatwin`` command line: one sub-command per user job.

Each sub-command lives in its own module under :mod:`hpatwin.cli` and exposes a
``command`` (a :class:`click.Command`). :data:`COMMANDS` maps each name to its module
and one-line help; a module is imported only when its command runs (or its own
``--help`` is asked for), so ``hpatwin score`` and ``hpatwin plan`` never load JAX or
SymPy.

Example
-------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(main, ["--help"])
>>> "score" in result.output and "simulate" in result.output
True
"""

from __future__ import annotations

import importlib

import click

#: command name -> (module, one-line help shown by ``hpatwin --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": ("hpatwin.cli.simulate_cmd", "Simulate one patient or a batch to NetCDF."),
    "params": ("hpatwin.cli.params_cmd", "List parameters with units, sources and evidence."),
    "export-sbml": ("hpatwin.cli.export_sbml_cmd", "Export a model as SBML."),
    "pathways": ("hpatwin.cli.pathways_cmd", "List the pathways --ablate can switch off."),
    "score": ("hpatwin.cli.score_cmd", "Score instruments, cortisol, HRV; FHIR and CSV."),
    "plan": ("hpatwin.cli.plan_cmd", "Plan a protocol with the safety screen."),
    "records": ("hpatwin.cli.records_cmd", "Patient records: SQLite/PostgreSQL store, FHIR and CSV."),
    "serve": ("hpatwin.cli.serve_cmd", "Serve the clinic web app on localhost."),
    "trial": ("hpatwin.cli.trial_cmd", "Run an in-silico trial with a report."),
    "web": ("hpatwin.cli.web_cmd", "Administer the clinic web app (create users)."),
    "power": ("hpatwin.cli.power_cmd", "Power by simulation for a trial spec."),
}
#: modules of every command (kept for tools that walk them)
COMMAND_MODULES: tuple[str, ...] = tuple(module for module, _ in COMMANDS.values())


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

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
