"""Discovery documents: the ones bundled with google-api-python-client, re-rooted at the sandbox."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import googleapiclient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors_pipeline.sandbox.errors import google_error, json_response

# Only APIs the sandbox emulates; anything else would send a client to endpoints that do not exist.
SUPPORTED_APIS: frozenset[tuple[str, str]] = frozenset({("drive", "v3"), ("gmail", "v1")})

_DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@lru_cache(maxsize=8)
def load_document(api: str, version: str) -> dict[str, Any]:
    """The production discovery document exactly as the client library bundles it (do not mutate)."""
    if (api, version) not in SUPPORTED_APIS:
        raise KeyError(f"{api}.{version}")
    return json.loads((_DOCUMENTS / f"{api}.{version}.json").read_text(encoding="utf-8"))


def schemas(api: str, version: str) -> dict[str, Any]:
    return load_document(api, version)["schemas"]


def rerooted_document(api: str, version: str, base_url: str) -> dict[str, Any]:
    """The production document with only its roots moved to `base_url` (which ends in '/').

    Method paths, batchPath and media upload paths stay relative, so the client builds the
    production paths (`drive/v3/files`, `batch/drive/v3`, `upload/drive/v3/files`) on the sandbox host.
    """
    doc = copy.deepcopy(load_document(api, version))
    doc["rootUrl"] = base_url
    doc["mtlsRootUrl"] = base_url
    doc["baseUrl"] = base_url + doc.get("servicePath", "")
    for endpoint in doc.get("endpoints", ()):  # regional endpoints, where a document has them
        endpoint["endpointUrl"] = base_url
    return doc


def base_url_of(request: Request) -> str:
    """`http://host:port/` as the client reached us (Host header), so a proxy or alias keeps working."""
    return str(request.base_url).rstrip("/") + "/"


async def discovery_document(request: Request) -> Response:
    api, version = request.path_params["api"], request.path_params["version"]
    try:
        doc = rerooted_document(api, version, base_url_of(request))
    except (KeyError, FileNotFoundError):
        return google_error(404, "notFound", f"Requested entity was not found: {api} {version}")
    return json_response(doc)


routes = [Route("/discovery/v1/apis/{api}/{version}/rest", discovery_document, methods=["GET"])]
