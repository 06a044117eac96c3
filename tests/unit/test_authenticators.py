"""The authenticator catalogue knows every provider Keycloak's built-in flows name."""

from __future__ import annotations

from ostium.domain.authentication_flows import built_in_flows
from ostium.domain.authenticators import PROVIDERS, X509_BROWSER, X509_DIRECT_GRANT, ProviderKind


def test_every_provider_of_the_built_in_flows_is_in_the_catalogue() -> None:
    flows, _ = built_in_flows("r1")
    named = {e.authenticator for f in flows for e in f.executions if e.authenticator}
    assert named - set(PROVIDERS) == set()
    form_flows = {f.id for f in flows if f.provider_id == "form-flow"}
    for flow in flows:
        for execution in flow.executions:
            known = PROVIDERS[execution.authenticator] if execution.authenticator else None
            if execution.is_flow:
                # A form flow's execution names its form; a basic one names nothing.
                assert (known is not None) == (execution.flow_id in form_flows)
                assert known is None or known.kind is ProviderKind.FORM
            elif flow.provider_id == "client-flow":
                assert known is not None and known.kind is ProviderKind.CLIENT
            elif flow.provider_id == "form-flow":
                assert known is not None and known.kind is ProviderKind.FORM_ACTION
            else:
                assert known is not None and known.kind is ProviderKind.AUTHENTICATOR
                assert execution.requirement in known.requirement_choices


def test_the_x509_authenticators_and_conditions() -> None:
    for provider_id in (X509_BROWSER, X509_DIRECT_GRANT):
        x509 = PROVIDERS[provider_id]
        assert x509.configurable and not x509.condition
        names = [p.name for p in x509.properties]
        assert names[0] == "x509-cert-auth.mapping-source-selection"
        assert len(names) == len(set(names))
    for provider_id in ("auth-password-form", "auth-username-form"):
        assert PROVIDERS[provider_id].kind is ProviderKind.AUTHENTICATOR
    conditions = {p.id for p in PROVIDERS.values() if p.condition}
    assert conditions == {
        "conditional-user-configured",
        "conditional-user-role",
        "conditional-level-of-authentication",
    }
