"""Resolve a trial's ``model`` field: a built-in model name or ``package.module:function``.

The ``module:function`` form lets a trial use a model defined outside the
package (a plug-in, or a small synthetic model in tests): the function is
called with no arguments and must return an :class:`~hpatwin.model.OdeModel`.
Importing runs that module's code, as any Python import does. Workers of a
Dask cluster resolve the same reference, so the module must be importable
there too.

Example
-------
>>> from hpatwin.trials.models import resolve_model
>>> resolve_model("hpa_core").name
'hpa_core'
"""

from __future__ import annotations

import importlib
from functools import cache

from hpatwin.model.catalogue import get_model
from hpatwin.model.definition import OdeModel


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
    module_name, _, function_name = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"model: cannot import module {module_name!r} ({err})") from None
    factory = getattr(module, function_name, None)
    if not callable(factory):
        raise ValueError(f"model: {module_name} has no callable {function_name!r}")
    model = factory()
    if not isinstance(model, OdeModel):
        raise ValueError(f"model: {reference} returned {type(model).__name__}, not an OdeModel")
    return model
