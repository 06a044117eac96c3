"""The admin REST API at /admin/realms, with Keycloak's representations."""
