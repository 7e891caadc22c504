"""`agentsdk serve --ray --replicas N`: the same ASGI app, replicated with Ray Serve.

Each replica builds the app itself (it loads the agents file and the key file), so
replicas share nothing but what the agents share: give them a `PostgresCheckpointStore`
and any replica can resume or decide any thread. Without `RAY_ADDRESS` a local Ray
instance is started; with it (`RAY_ADDRESS=ray://HEAD:10001` or `auto`) the replicas go to
that cluster (docs/scaling.md has the multi-node commands).
"""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING, Any

from agentsdk.errors import MissingDependencyError

if TYPE_CHECKING:
    from agentsdk.serve.config import ServeOptions

__all__ = ["deploy"]


def deploy(options: ServeOptions, replicas: int, *, stop: threading.Event | None = None) -> int:
    """Deploy `replicas` copies of the app behind Ray Serve's proxy on `options.host` and
    `options.port`; serve until SIGTERM or SIGINT (or `stop`), then shut down."""
    try:
        import ray
        from ray import serve
    except ImportError:
        raise MissingDependencyError(
            "agentsdk serve --ray needs Ray Serve: pip install 'agentsdk[ray]'"
        ) from None

    def build() -> Any:  # runs in each replica
        from agentsdk.serve.config import build_app

        return build_app(options)

    ray.init(
        address=os.environ.get("RAY_ADDRESS") or None,
        include_dashboard=False,
        log_to_driver=False,
    )
    stop = stop or threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve.start(http_options={"host": options.host, "port": options.port})
        ingress: Any = serve.ingress(build)()
        deployment: Any = serve.deployment(
            ingress, name="agentsdk", num_replicas=replicas, ray_actor_options={"num_cpus": 0}
        )
        serve.run(deployment.bind(), name="agentsdk", route_prefix="/")
        stop.wait()
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()
    return 0
