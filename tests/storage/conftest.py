"""Snapshot storage (``graph_olap_server.storage``): settings, the local store, and object
storage end to end against a real S3-compatible server started here.

The server is moto's server mode (``ThreadedMotoServer``: real HTTP on a free port); the
tests list and delete objects with boto3, a client independent of the platform's obstore.
Credentials are the usual ``AWS_*`` environment variables (moto accepts any), set for
each module that uses the server (and unset after it) so wrapper processes inherit them
as a pod would from its Secret.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

BUCKET = "graph-snapshots"


@dataclasses.dataclass
class S3:
    """The test server: its endpoint and a boto3 client on it."""

    endpoint: str
    client: Any

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under ``prefix`` in the bucket, sorted."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def empty(self, prefix: str) -> None:
        for key in self.keys(prefix):
            self.client.delete_object(Bucket=BUCKET, Key=key)


@pytest.fixture(scope="module")
def s3_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "test-key-id")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
        patch.setenv("AWS_REGION", "us-east-1")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield


@pytest.fixture(scope="module")
def s3(s3_env: None) -> Iterator[S3]:
    """A moto S3 server on a free port with the bucket ``graph-snapshots``."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield S3(endpoint, client)
    finally:
        server.stop()


@pytest.fixture
def prefix() -> str:
    """A fresh prefix in the bucket for one test."""
    return f"t-{uuid.uuid4().hex[:8]}"
