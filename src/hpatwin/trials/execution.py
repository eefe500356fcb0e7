"""Where chunks run: in this process (default), or on a Dask cluster.

``scheduler`` (the CLI's ``--scheduler``) accepts:

- ``None``, ``in-process`` or ``sync``: run chunks one after another here;
- ``local``: start a ``distributed.LocalCluster`` of worker processes
  (``workers`` of them, default 2, one thread each) for this run;
- ``local-threads``: the same with threads in this process;
- ``tcp://host:port`` / ``tls://host:port``: connect to a running Dask
  scheduler (reachability is checked before any work starts);
- ``inproc://…``: a scheduler living in this process (tests, notebooks).

With a cluster, at most ``2 × workers`` chunks are in flight and each
finished chunk is handed back and written at once, so memory stays bounded by
the chunk size.

Example
-------
>>> from hpatwin.trials.execution import check_scheduler_address
>>> check_scheduler_address("tcp://10.0.0.5:8786")
'tcp://10.0.0.5:8786'
>>> check_scheduler_address("10.0.0.5")
Traceback (most recent call last):
...
ValueError: --scheduler: '10.0.0.5' is not a scheduler address; use tcp://host:port, tls://host:port, inproc://..., or one of: in-process, sync, local, local-threads
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from hpatwin.engine.jax_engine import CPU_DEVICES_ENV

LOCAL_KEYWORDS = ("in-process", "sync", "local", "local-threads")
_NETWORK = re.compile(
    r"^(tcp|tls)://(?P<host>\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.\-_]+):(?P<port>\d{1,5})$"
)
_INPROC = re.compile(r"^inproc://\S+$")

T = TypeVar("T")
R = TypeVar("R")


def check_scheduler_address(address: str) -> str:
    """Return ``address`` if it looks like a scheduler address or a known keyword, else raise.

    Example
    -------
    >>> check_scheduler_address("local")
    'local'
    """
    if address in LOCAL_KEYWORDS or _INPROC.match(address):
        return address
    match = _NETWORK.match(address)
    if match is None:
        raise ValueError(
            f"--scheduler: {address!r} is not a scheduler address; use tcp://host:port, "
            f"tls://host:port, inproc://..., or one of: {', '.join(LOCAL_KEYWORDS)}"
        )
    port = int(match.group("port"))
    if not 1 <= port <= 65535:
        raise ValueError(f"--scheduler: port {port} in {address!r} must be in 1..65535")
    return address


class Executor(Protocol):
    """Runs a function over tasks and yields results as they finish.

    Example
    -------
    >>> executor: Executor = InProcessExecutor()
    >>> executor.description
    'in-process'
    """

    description: str

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``function(task)`` for every task, in completion order."""
        ...

    def close(self) -> None:
        """Release workers/clients this executor started."""
        ...


class InProcessExecutor:
    """Run tasks one after another in this process.

    Example
    -------
    >>> list(InProcessExecutor().map_unordered(lambda x: x * 2, [1, 2]))
    [2, 4]
    """

    description = "in-process"

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield results in task order (see the class example)."""
        for task in tasks:
            yield function(task)

    def close(self) -> None:
        """Nothing to release (see the class example)."""


class DaskExecutor:
    """Run tasks on a ``distributed.Client``, with a bounded number in flight.

    Example
    -------
    >>> from distributed import Client, LocalCluster
    >>> with LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster:
    ...     executor = DaskExecutor(Client(cluster), owns=(), description="demo")
    ...     print(sorted(executor.map_unordered(abs, [-1, -2, 3])))
    ...     executor.close()
    [1, 2, 3]
    """

    def __init__(self, client: Any, *, owns: tuple[Any, ...], description: str) -> None:
        self.client = client
        self._owns = owns
        self.description = description

    def _window(self) -> int:
        workers = len(self.client.scheduler_info().get("workers", {}))
        return max(2, 2 * workers)

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Submit tasks (a window at a time) and yield results as they complete (class example)."""
        pending = iter(tasks)
        window = self._window()
        running = _distributed().as_completed()
        for task in pending:
            running.add(self.client.submit(function, task, pure=False))
            if running.count() >= window:
                break
        for future in running:
            result = future.result()
            future.release()
            next_task = next(pending, None)
            if next_task is not None:
                running.add(self.client.submit(function, next_task, pure=False))
            yield result

    def close(self) -> None:
        """Close the client, and any cluster started for this run (see the class example)."""
        self.client.close()
        for owned in self._owns:
            owned.close()


def _distributed() -> Any:
    """The ``distributed`` module (imported lazily: only cluster runs need it)."""
    import distributed

    return distributed


def _check_reachable(address: str, timeout_s: float) -> None:
    match = _NETWORK.match(address)
    if match is None:
        return
    host = match.group("host").strip("[]")
    port = int(match.group("port"))
    try:
        with socket.create_connection((host, port), timeout=min(timeout_s, 5.0)):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ValueError(
            f"--scheduler: cannot reach the Dask scheduler at {address} ({reason}); "
            "is it running (dask scheduler) and is the address right?"
        ) from None


def open_executor(
    scheduler: str | None = None,
    workers: int | None = None,
    *,
    connect_timeout_s: float = 10.0,
) -> Executor:
    """Validate ``scheduler``, connect or start workers, and return an executor.

    Raises ``ValueError`` with a clear message for a malformed or unreachable
    address, before any work starts. ``workers`` sets the size of a local
    cluster, or (with an address) how many workers to wait for.

    Example
    -------
    >>> open_executor(None).description
    'in-process'
    >>> open_executor("tcp://127.0.0.1:1", connect_timeout_s=1)
    Traceback (most recent call last):
    ...
    ValueError: --scheduler: cannot reach the Dask scheduler at tcp://127.0.0.1:1 (Connection refused); ...
    """
    if workers is not None and workers < 1:
        raise ValueError(f"--workers: {workers} must be ≥ 1")
    if scheduler is None or scheduler in ("in-process", "sync"):
        if scheduler is None and workers is not None and workers > 1:
            scheduler = "local"
        else:
            return InProcessExecutor()
    check_scheduler_address(scheduler)
    distributed = _distributed()

    if scheduler in ("local", "local-threads"):
        processes = scheduler == "local"
        n_workers = workers or 2
        # each worker process splits its batches over its share of the cores, no more
        share = max(1, (os.cpu_count() or 1) // n_workers)
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",
            **({"env": {CPU_DEVICES_ENV: str(share)}} if processes else {}),
        )
        client = distributed.Client(cluster)
        kind = "processes" if processes else "threads"
        return DaskExecutor(
            client,
            owns=(cluster,),
            description=f"Dask LocalCluster ({workers or 2} worker {kind})",
        )
    _check_reachable(scheduler, connect_timeout_s)
    try:
        client = distributed.Client(scheduler, timeout=f"{connect_timeout_s}s")
    except (OSError, TimeoutError, ValueError) as err:
        raise ValueError(
            f"--scheduler: cannot connect to the Dask scheduler at {scheduler} ({err})"
        ) from None
    if workers is not None:
        try:
            client.wait_for_workers(workers, timeout=connect_timeout_s)
        except TimeoutError:
            client.close()
            raise ValueError(
                f"--workers: fewer than {workers} workers joined {scheduler} "
                f"within {connect_timeout_s:g} s"
            ) from None
    return DaskExecutor(client, owns=(), description=f"Dask scheduler {scheduler}")
