"""The authorization policy of the platform, as tables the tests check the real answers against.

Every endpoint of the control plane and of the wrapper has one entry. A new endpoint
without one fails ``test_every_endpoint_has_a_policy``: classify it here (and in
docs/security.md).

Levels of the control plane (who gets past authentication and the role check):

========== ================================================================================
PUBLIC     anyone, without credentials
USER       any authenticated caller (analyst, ops, admin, internal key, API key)
OWNER      any authenticated caller reaches it; the handler then lets only the resource's
           owner or an admin change it (``User.require_owner``), or, for ``/access``, only
           the owner, ops and admins use the instance. Checked with real resources in
           test_ownership.py
OPS        ops, admin, internal key; analysts get 403
ADMIN      admin, internal key; analysts and ops get 403
WRAPPER    no user credential at all: only the instance's own ``X-Wrapper-Token`` (401)
========== ================================================================================
"""

from __future__ import annotations

PUBLIC = "public"
USER = "user"
OWNER = "owner"
OPS = "ops"
ADMIN = "admin"
WRAPPER = "wrapper token"

CONTROL_PLANE: dict[str, str] = {
    # the API description and health probes
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    # mappings: everyone reads and copies; only the owner (or an admin) changes one
    "GET /api/mappings": USER,
    "POST /api/mappings": USER,
    "GET /api/mappings/{mapping_id}": USER,
    "PUT /api/mappings/{mapping_id}": OWNER,
    "DELETE /api/mappings/{mapping_id}": OWNER,
    "POST /api/mappings/{mapping_id}/copy": USER,
    "PUT /api/mappings/{mapping_id}/lifecycle": OWNER,
    "GET /api/mappings/{mapping_id}/versions": USER,
    "GET /api/mappings/{mapping_id}/versions/{version}": USER,
    "GET /api/mappings/{mapping_id}/versions/{from_version}/diff/{to_version}": USER,
    "GET /api/mappings/{mapping_id}/snapshots": USER,
    "GET /api/mappings/{mapping_id}/tree": USER,
    "POST /api/mappings/dry-run": USER,  # helper L4: reads the warehouse, writes nothing
    "POST /api/mappings/{mapping_id}/dry-run": USER,
    # snapshots
    "GET /api/snapshots": USER,
    "POST /api/snapshots": USER,
    "GET /api/snapshots/{snapshot_id}": USER,
    "PUT /api/snapshots/{snapshot_id}": OWNER,
    "DELETE /api/snapshots/{snapshot_id}": OWNER,
    "PUT /api/snapshots/{snapshot_id}/lifecycle": OWNER,
    "GET /api/snapshots/{snapshot_id}/progress": USER,
    "POST /api/snapshots/{snapshot_id}/retry": OWNER,
    "POST /api/snapshots/{snapshot_id}/cancel": OWNER,  # helper L2: Ctrl-C on an export
    # instances: everyone sees the rows; only the owner (or an admin) changes one, and
    # only the owner, ops and admins may use it (/access, which wrappers ask)
    "GET /api/instances": USER,
    "POST /api/instances": USER,
    "POST /api/instances/from-mapping": USER,
    "GET /api/instances/{instance_id}": USER,
    "PUT /api/instances/{instance_id}": OWNER,
    "POST /api/instances/{instance_id}/terminate": OWNER,
    "GET /api/instances/{instance_id}/progress": USER,
    "PUT /api/instances/{instance_id}/cpu": OWNER,
    "PUT /api/instances/{instance_id}/lifecycle": OWNER,
    "POST /api/instances/{instance_id}/extend-ttl": OWNER,
    "GET /api/instances/{instance_id}/access": OWNER,
    "POST /api/internal/instances/{instance_id}/activity": WRAPPER,
    "POST /api/internal/instances/{instance_id}/loaded": WRAPPER,
    # favorites: each user sees and changes only their own (scoped by the query)
    "GET /api/favorites": USER,
    "POST /api/favorites": USER,
    "DELETE /api/favorites/{resource_type}/{resource_id}": USER,
    # warehouse metadata
    "GET /api/schema/catalogs": USER,
    "GET /api/schema/catalogs/{catalog}/schemas": USER,
    "GET /api/schema/catalogs/{catalog}/schemas/{schema}/tables": USER,
    "GET /api/schema/catalogs/{catalog}/schemas/{schema}/tables/{table}/columns": USER,
    "GET /api/schema/search/tables": USER,
    "GET /api/schema/search/columns": USER,
    "POST /api/schema/admin/refresh": ADMIN,
    "GET /api/schema/stats": ADMIN,
    # platform configuration, cluster and jobs
    "GET /api/config/lifecycle": OPS,
    "PUT /api/config/lifecycle": OPS,
    "GET /api/config/concurrency": OPS,
    "PUT /api/config/concurrency": OPS,
    "GET /api/config/maintenance": OPS,
    "PUT /api/config/maintenance": OPS,
    "GET /api/config/export": OPS,
    "PUT /api/config/export": OPS,
    "GET /api/cluster/health": OPS,
    "GET /api/cluster/instances": OPS,
    "POST /api/ops/jobs/trigger": OPS,
    "GET /api/ops/jobs/status": OPS,
    "GET /api/ops/state": OPS,
    "GET /api/ops/export-jobs": OPS,
    "GET /metrics": OPS,
    # admin
    "DELETE /api/admin/resources/bulk": ADMIN,
    "POST /api/admin/resources/bulk/jobs": ADMIN,  # jobs: a bulk delete with wait=False
    "POST /api/admin/api-keys": ADMIN,
    "GET /api/admin/api-keys": ADMIN,
    "DELETE /api/admin/api-keys/{key_id}": ADMIN,
    # jobs: any caller reaches them; services/jobs.py answers 404 JOB_NOT_FOUND for a job
    # of another (ops and admins see all; only the owner or an admin cancels), checked
    # with real jobs in tests/e2e/test_jobs.py
    "GET /api/jobs": USER,
    "GET /api/jobs/{job_id}": USER,
    "POST /api/jobs/{job_id}/cancel": USER,
}

ALLOWED: dict[str, frozenset[str]] = {
    PUBLIC: frozenset(
        {"anonymous", "alice (analyst)", "bob (analyst)", "ops", "admin", "internal key",
         "API-key analyst"}
    ),
    USER: frozenset(
        {"alice (analyst)", "bob (analyst)", "ops", "admin", "internal key", "API-key analyst"}
    ),
    OPS: frozenset({"ops", "admin", "internal key"}),
    ADMIN: frozenset({"admin", "internal key"}),
    WRAPPER: frozenset(),
}  # fmt: skip
ALLOWED[OWNER] = ALLOWED[USER]  # at the route; the handler checks the owner

PATH_SAMPLES: dict[str, str] = {
    # ids that do not exist: an allowed caller gets 404, which still proves "not 401/403"
    "mapping_id": "999999",
    "job_id": "export-999999",  # jobs
    "snapshot_id": "999999",
    "instance_id": "999999",
    "key_id": "999999",
    "resource_id": "999999",
    "version": "1",
    "from_version": "1",
    "to_version": "2",
    "resource_type": "mapping",
    "catalog": "no_such_catalog",
    "schema": "no_such_schema",
    "table": "no_such_table",
}

# -- the wrapper (one process per instance) --------------------------------------------

CALLER = "caller"
"""The caller's own credentials, checked by the control plane's ``/access``: the
instance's owner, ops and admins (and the internal key) may; other analysts get 403."""
TOKEN = "token"
"""Only the instance's ``X-Wrapper-Token`` (the control plane's calls); users get 401."""

WRAPPER_ROUTES: dict[str, str] = {
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    "GET /progress": TOKEN,
    "PUT /threads": TOKEN,
    "POST /internal/access/revoked": TOKEN,  # the control plane's revocation push
    "POST /internal/snapshot/ready": TOKEN,  # a wrapper started during the export loads
    "GET /schema": CALLER,
    "POST /query": CALLER,
    "POST /query/{query_id}/cancel": CALLER,  # helper L2: then only the query's sender, ops, admin
    "GET /queries": CALLER,
    # guarded fetch: then only the held result's owner, ops, admin
    "POST /results": CALLER,
    "GET /results/{result_id}": CALLER,
    "DELETE /results/{result_id}": CALLER,
    "GET /results/{result_id}/arrow": CALLER,
    "GET /results/{result_id}/parquet": CALLER,
    "GET /algo": CALLER,
    "GET /algo/executions": CALLER,
    "GET /algo/executions/{execution_id}": CALLER,
    "DELETE /algo/executions/{execution_id}": CALLER,
    "GET /algo/executions/{execution_id}/result": CALLER,
    "GET /algo/{name}": CALLER,
    "POST /algo/{name}": CALLER,
    "GET /networkx": CALLER,
    "GET /networkx/{name}": CALLER,
    "POST /networkx/{name}": CALLER,
    "GET /lock": CALLER,
}

WRAPPER_ALLOWED: dict[str, frozenset[str]] = {
    PUBLIC: ALLOWED[PUBLIC] | {"alice's API key", "wrapper token"},
    CALLER: frozenset({"alice (analyst)", "ops", "admin", "internal key", "alice's API key"}),
    TOKEN: frozenset({"wrapper token"}),
}

WRAPPER_SAMPLES: dict[str, str] = {
    "execution_id": "no-such-execution",
    "name": "no_such_algo",
    "query_id": "0123456789ab",
    "result_id": "r-000000000000000000000000",
}

WRAPPER_BODIES: dict[str, object] = {
    # valid bodies: the wrapper checks the caller inside the handler, after the body
    "POST /query": {"query": "RETURN 1 AS one"},
    "POST /results": {"query": "RETURN 1 AS one"},
    "PUT /threads": {"threads": 1},
    "POST /algo/{name}": {},
    "POST /networkx/{name}": {},
}
