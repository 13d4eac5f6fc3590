"""The wrapper: one process per graph instance, serving Cypher over HTTP.

``python -m graph_olap_server.wrapper --instance-id N --snapshot DIR --port P --data-dir DIR
--engine kuzu|ryugraph --threads C --control-plane URL`` loads the snapshot's Parquet
files into an embedded graph engine and answers the wrapper API of
docs/design-instances.md. Nothing here imports an engine module until a wrapper opens
one (``kuzu`` and ``ryugraph`` cannot share a process); :data:`DEFAULT_ENGINE` is safe to
import from the control plane.
"""

from graph_olap_server.wrapper.engine import DEFAULT_ENGINE, ENGINES

__all__ = ["DEFAULT_ENGINE", "ENGINES"]
