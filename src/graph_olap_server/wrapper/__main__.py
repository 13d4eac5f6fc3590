"""``python -m graph_olap_server.wrapper ...``: serve one instance (see :mod:`.config`)."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from graph_olap_server.wrapper.app import create_wrapper_app
from graph_olap_server.wrapper.config import parse_args


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, serve on 127.0.0.1:PORT until SIGTERM/SIGINT."""
    config = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_wrapper_app(config)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", lifespan="on")
    # A load still running in native code must not meet interpreter shutdown.
    wrapper = getattr(app.state, "wrapper", None)
    if wrapper is not None and not (wrapper.state.ready or wrapper.state.failed):
        os._exit(0)


if __name__ == "__main__":
    main()
