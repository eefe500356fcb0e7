"""The ``hpatwin`` command line: one sub-command per user job.

Each sub-command lives in its own module under :mod:`hpatwin.cli` and exposes a
``command`` (a :class:`click.Command`); :data:`COMMAND_MODULES` lists them.
"""

from __future__ import annotations

import importlib

import click

COMMAND_MODULES: tuple[str, ...] = (
    "hpatwin.cli.simulate_cmd",
    "hpatwin.cli.params_cmd",
    "hpatwin.cli.export_sbml_cmd",
    "hpatwin.cli.pathways_cmd",
    "hpatwin.cli.score_cmd",
    "hpatwin.cli.plan_cmd",
    "hpatwin.cli.trial_cmd",
    "hpatwin.cli.power_cmd",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hpatwin")
def main() -> None:
    """hpatwin: a mechanistic HPA-axis twin for chronic pain with depression.

    Research and decision-support software for licensed clinicians and
    researchers, not a medical device: it explains, it never prescribes.
    """


for _module in COMMAND_MODULES:
    main.add_command(importlib.import_module(_module).command)
