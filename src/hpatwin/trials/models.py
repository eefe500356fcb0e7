"""Resolve a trial's ``model`` field: a built-in model name or ``package.module:function``.

The ``module:function`` form lets a trial use a model defined outside the
package (a plug-in, or a small synthetic model in tests): the function is
called with no arguments and must return an :class:`~hpatwin.model.OdeModel`.
Importing runs that module's code, as any Python import does, so plug-ins are
refused unless explicitly allowed: ``--allow-plugin`` on the command line or
``HPATWIN_ALLOW_PLUGINS=1`` in the environment (of every Dask worker too). Even
then the reference must name a plain Python function defined in that module
(``os:abort`` or a class is refused).

Example
-------
>>> from hpatwin.trials.models import resolve_model
>>> resolve_model("hpa_core").name
'hpa_core'
"""

from __future__ import annotations

import importlib
import inspect
import os
from functools import cache

from hpatwin.model.catalogue import get_model
from hpatwin.model.definition import OdeModel

PLUGIN_ENV = "HPATWIN_ALLOW_PLUGINS"
"""Environment variable that allows plug-in models (``1``)."""


def plugins_allowed() -> bool:
    """Whether plug-in models (``module:function``) may be imported in this process.

    Example
    -------
    >>> import os
    >>> os.environ.pop("HPATWIN_ALLOW_PLUGINS", None) and None
    >>> plugins_allowed()
    False
    """
    return os.environ.get(PLUGIN_ENV, "") == "1"


def allow_plugins() -> None:
    """Allow plug-in models in this process and in worker processes started from it.

    Example
    -------
    >>> allow_plugins(); plugins_allowed()
    True
    >>> _ = os.environ.pop("HPATWIN_ALLOW_PLUGINS")
    """
    os.environ[PLUGIN_ENV] = "1"


@cache
def resolve_model(reference: str) -> OdeModel:
    """The model named by ``reference`` (built once per process, then shared).

    Example
    -------
    >>> resolve_model("no_such_model")
    Traceback (most recent call last):
    ...
    ValueError: model: unknown model 'no_such_model'; known: ...
    """
    if ":" not in reference:
        return get_model(reference)
    if not plugins_allowed():
        raise ValueError(
            f"model: {reference!r} is a plug-in model (module:function), which runs code from "
            f"outside hpatwin; allow it explicitly with --allow-plugin or {PLUGIN_ENV}=1"
        )
    module_name, _, function_name = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"model: cannot import module {module_name!r} ({err})") from None
    factory = getattr(module, function_name, None)
    if not (
        inspect.isfunction(factory)
        and factory.__module__ == module.__name__
        and not inspect.signature(factory).parameters
    ):
        raise ValueError(
            f"model: {module_name} has no function {function_name!r} of its own taking no arguments"
        )
    model = factory()
    if not isinstance(model, OdeModel):
        raise ValueError(f"model: {reference} returned {type(model).__name__}, not an OdeModel")
    return model
