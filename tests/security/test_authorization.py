"""The authorization matrix: every endpoint of the control plane and of a wrapper, called
by every kind of caller, against the policy tables of :mod:`tests.security.policy`.

Allowed callers must get past authentication and the role check (any answer but 401/403,
and no 5xx); ids that do not exist keep those calls cheap and harmless (404, or 422 for an
empty body). Denied callers get 401 (no or bad credentials) or 403 (a role too low), each
with the platform's error envelope. Every answer is also scanned for the secrets in play.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from graph_olap_server.app import create_app
from graph_olap_server.runner import ServerThread
from graph_olap_server.wrapper.app import create_wrapper_app
from graph_olap_server.wrapper.auth import StaticAuthorizer
from graph_olap_server.wrapper.config import WrapperConfig
from tests.conftest import INTERNAL_KEY
from tests.security import policy
from tests.security.canary import SecretCanary
from tests.security.conftest import Keys, World

_PARAM = re.compile(r"\{(\w+)\}")


def endpoints(app: FastAPI) -> dict[str, Callable[..., Any]]:
    """``"METHOD /path/{param}"`` -> handler, for every route the app serves (HEAD and
    OPTIONS aside), with included routers flattened."""
    found: dict[str, Callable[..., Any]] = {}
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if method not in ("HEAD", "OPTIONS"):
                found[f"{method} {route.path}"] = route.endpoint
    return found


def fill(path: str, samples: Mapping[str, str]) -> str:
    unknown = [name for name in _PARAM.findall(path) if name not in samples]
    assert not unknown, (
        f"{path} has path parameters {unknown} with no sample value: add one to "
        "PATH_SAMPLES / WRAPPER_SAMPLES in tests/security/policy.py"
    )
    return _PARAM.sub(lambda m: samples[m.group(1)], path)


def unclassified(found: Mapping[str, object], table: Mapping[str, str], where: str) -> list[str]:
    problems = [
        f"{key} has no authorization policy: classify it in {where} of "
        "tests/security/policy.py (PUBLIC, USER, OWNER, OPS, ADMIN, ...) and in "
        "docs/security.md"
        for key in sorted(set(found) - set(table))
    ]
    problems += [
        f"{key} is in {where} of tests/security/policy.py but the app has no such endpoint; "
        "remove it"
        for key in sorted(set(table) - set(found))
    ]
    return problems


def denial_problem(answer: httpx.Response, status: int) -> str | None:
    """Why ``answer`` is not a proper refusal with ``status``, or None."""
    if answer.status_code != status:
        return f"answered {answer.status_code}, expected {status}"
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"{status} without the error envelope: {answer.text[:200]!r}"
    code = {401: "UNAUTHORIZED", 403: "FORBIDDEN"}[status]
    if error.get("code") != code or not error.get("message"):
        return f"{status} envelope has code {error.get('code')!r}, expected {code} and a message"
    return None


def secrets_canary(keys: Keys, world: World) -> SecretCanary:
    return SecretCanary(
        {
            "the internal key": INTERNAL_KEY,
            "carol's API key": keys.carol,
            "alice's API key": keys.alice,
            "alice's wrapper token": world.wrapper_token,
        }
    )


def test_every_endpoint_has_a_policy(server: ServerThread) -> None:
    found = endpoints(create_app(server.settings))
    assert len(found) >= 60, f"only {len(found)} endpoints found: is the route listing broken?"
    problems = unclassified(found, policy.CONTROL_PLANE, "CONTROL_PLANE")
    # Ownership is checked in the handlers: an OWNER endpoint must check it, and an
    # endpoint that checks it must be classified OWNER (so test_ownership covers it).
    for key, handler in found.items():
        source = inspect.getsource(handler)
        checks = "require_owner(" in source or (
            "forbidden(" in source and "owner_username" in source
        )
        if key in policy.CONTROL_PLANE and checks != (policy.CONTROL_PLANE[key] == policy.OWNER):
            problems.append(
                f"{key}: its handler {'checks' if checks else 'does not check'} the owner but "
                f"the policy says {policy.CONTROL_PLANE[key]!r}"
            )
    assert not problems, "\n".join(problems)


def test_control_plane_matrix(
    server: ServerThread, roles: dict[str, dict[str, str]], api_keys: Keys, world: World
) -> None:
    canary = secrets_canary(api_keys, world)
    found = endpoints(create_app(server.settings))
    assert not unclassified(found, policy.CONTROL_PLANE, "CONTROL_PLANE")
    problems: list[str] = []
    checked = 0
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
        for key in sorted(found):
            method, path = key.split(" ", 1)
            level = policy.CONTROL_PLANE[key]
            url = fill(path, policy.PATH_SAMPLES)
            body = {} if method in ("POST", "PUT", "DELETE") else None
            for role, headers in roles.items():
                answer = http.request(method, url, headers=headers, json=body)
                checked += 1
                canary.scan(answer.text, where=f"the answer of {key} to {role}")
                canary.scan(str(answer.headers), where=f"the headers of {key} to {role}")
                if role in policy.ALLOWED[level]:
                    if answer.status_code in (401, 403) or answer.status_code >= 500:
                        problems.append(
                            f"{key} ({level}) as {role}: expected to be let in, got "
                            f"{answer.status_code} {answer.text[:160]}"
                        )
                    continue
                status = 401 if role == "anonymous" or level == policy.WRAPPER else 403
                problem = denial_problem(answer, status)
                if (
                    status == 401
                    and level != policy.WRAPPER
                    and problem is None
                    and answer.headers.get("www-authenticate") != "Bearer"
                ):
                    problem = "401 without WWW-Authenticate: Bearer"
                if problem:
                    problems.append(f"{key} ({level}) as {role}: {problem}")
    assert checked == len(found) * len(roles)
    assert not problems, f"{len(problems)} of {checked} checks failed:\n" + "\n".join(problems)
    canary.check()


def test_wrapper_matrix(
    tmp_path: Path, roles: dict[str, dict[str, str]], api_keys: Keys, world: World
) -> None:
    """Alice's wrapper: health is public, progress and threads take only its token, and
    everything else takes the caller's credentials, checked by the control plane."""
    config = WrapperConfig(instance_id=world.instance_id, snapshot_dir=tmp_path, data_dir=tmp_path)
    found = endpoints(create_wrapper_app(config, authorizer=StaticAuthorizer(set())))
    problems = unclassified(found, policy.WRAPPER_ROUTES, "WRAPPER_ROUTES")
    assert not problems, "\n".join(problems)
    callers = {
        **roles,
        "alice's API key": {"Authorization": f"Bearer {api_keys.alice}"},
        "wrapper token": {"X-Wrapper-Token": world.wrapper_token},
    }
    canary = secrets_canary(api_keys, world)
    checked = 0
    with httpx.Client(base_url=world.instance_url, timeout=30, trust_env=False) as http:
        for key in sorted(found):
            method, path = key.split(" ", 1)
            level = policy.WRAPPER_ROUTES[key]
            url = fill(path, policy.WRAPPER_SAMPLES)
            for caller, headers in callers.items():
                answer = http.request(
                    method, url, headers=headers, json=policy.WRAPPER_BODIES.get(key)
                )
                checked += 1
                canary.scan(answer.text, where=f"the wrapper's answer of {key} to {caller}")
                if caller in policy.WRAPPER_ALLOWED[level]:
                    if answer.status_code in (401, 403) or answer.status_code >= 500:
                        problems.append(
                            f"wrapper {key} ({level}) as {caller}: expected to be let in, got "
                            f"{answer.status_code} {answer.text[:160]}"
                        )
                    continue
                no_credentials = caller in ("anonymous", "wrapper token")
                status = 401 if level == policy.TOKEN or no_credentials else 403
                problem = denial_problem(answer, status)
                if problem:
                    problems.append(f"wrapper {key} ({level}) as {caller}: {problem}")
    assert checked == len(found) * len(callers)
    assert not problems, f"{len(problems)} of {checked} checks failed:\n" + "\n".join(problems)
    canary.check()
