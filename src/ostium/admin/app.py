"""The admin API application (FastAPI, for its OpenAPI document), mounted at /admin."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from ostium.admin import (
    action_emails,
    attack_detection,
    authentication,
    client_scopes,
    clients,
    components,
    consents,
    credentials,
    groups,
    identity_providers,
    impersonation,
    installation,
    keys,
    localization,
    realms,
    required_actions,
    role_mappings,
    roles,
    roles_by_id,
    serverinfo,
    sessions,
    smtp,
    user_profile,
    users,
)
from ostium.admin.context import reject_control_characters
from ostium.admin.errors import AdminError
from ostium.admin.openapi import admin_openapi
from ostium.services.user_profile import UserProfileError
from ostium.web.error_handlers import http_error
from ostium.web.middleware.trailing_slash import TrailingSlashMiddleware
from ostium.web.runtime import Runtime

__all__ = ["create_admin_app"]


def create_admin_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Ostium Admin REST API",
        description="Keycloak-compatible admin API",
        version=runtime.version or "0",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(reject_control_characters)],
    )
    app.state.runtime = runtime
    # Keycloak (JAX-RS) answers `/admin/realms/` like `/admin/realms`; no 307.
    app.add_middleware(TrailingSlashMiddleware)
    for module in (
        realms,
        clients,
        client_scopes,
        user_profile,  # before users: /users/profile is not a user id
        users,
        credentials,
        consents,
        action_emails,
        smtp,
        impersonation,
        roles,
        roles_by_id,
        groups,
        role_mappings,
        keys,
        components,
        sessions,
        attack_detection,
        authentication,
        required_actions,
        serverinfo,
        identity_providers,
        installation,
        localization,
    ):
        app.include_router(module.router)

    @app.exception_handler(AdminError)
    async def admin_error(request: Request, exc: AdminError) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="ostium"'} if exc.status_code == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)

    # Unknown admin paths and wrong methods (the OpenAPI route too) answer as Keycloak,
    # not with FastAPI's {"detail": …}.
    app.add_exception_handler(HTTPException, http_error)

    @app.exception_handler(UserProfileError)
    async def profile_rejected(request: Request, exc: UserProfileError) -> Response:
        # Keycloak's ErrorResponse.errors: {field, errorMessage, params} or {errors: [...]}.
        return JSONResponse(exc.body, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # Keycloak answers malformed input with 400 and an errorMessage, not 422.
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", []))
        return JSONResponse({"errorMessage": f"Invalid parameter: {where}"}, status_code=400)

    app.openapi = lambda: admin_openapi(app)  # type: ignore[method-assign]
    return app
