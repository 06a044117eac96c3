"""The authenticator catalogue: every provider an execution of a flow can name.

Keycloak discovers these as provider factories (`AuthenticatorFactory`,
`ClientAuthenticatorFactory`, `FormActionFactory`, `FormAuthenticatorFactory`); each says
its display name, help text, the requirements an execution of it may have, whether it
takes an `AuthenticatorConfig` and which properties that config has. Ostium lists them
here, once, for the admin API (which providers exist, what their configs look like) and
for the login side (which of them a flow may run). Listing a provider here does not mean
Ostium can run it: that is the login side's decision.

The ids, display names, requirement choices and config property names are Keycloak 26's
(they are what exports and admin clients carry); help texts are Ostium's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "PROVIDERS",
    "X509_BROWSER",
    "X509_DIRECT_GRANT",
    "ConfigProperty",
    "Provider",
    "ProviderKind",
    "provider",
]


class ProviderKind(StrEnum):
    """Which of Keycloak's provider interfaces the factory implements: it decides which
    flows an execution of it may be added to (`client-flow`, `form-flow`, others)."""

    AUTHENTICATOR = "authenticator"
    CLIENT = "client"
    FORM_ACTION = "form-action"
    FORM = "form"


@dataclass(frozen=True)
class ConfigProperty:
    """Keycloak's ProviderConfigProperty, as `ConfigPropertyRepresentation` shows it."""

    name: str
    label: str
    help_text: str
    type: str = "String"
    default_value: object = None
    options: tuple[str, ...] = ()
    secret: bool = False

    def representation(self) -> dict[str, object]:
        body: dict[str, object] = {
            "name": self.name,
            "label": self.label,
            "helpText": self.help_text,
            "type": self.type,
            "secret": self.secret,
            "required": False,
            "readOnly": False,
        }
        if self.default_value is not None:
            body["defaultValue"] = self.default_value
        if self.options:
            body["options"] = list(self.options)
        return body


R, A, C, D = "REQUIRED", "ALTERNATIVE", "CONDITIONAL", "DISABLED"


@dataclass(frozen=True)
class Provider:
    id: str
    display_name: str
    description: str
    kind: ProviderKind = ProviderKind.AUTHENTICATOR
    requirement_choices: tuple[str, ...] = (R, A, D)
    configurable: bool = False
    # A condition (`conditional-*`): only meaningful inside a CONDITIONAL sub-flow.
    condition: bool = False
    user_setup_allowed: bool = False
    # Client authenticators only: whether the client has a secret (Keycloak's
    # ClientAuthenticatorFactory.supportsSecret).
    supports_secret: bool = False
    properties: tuple[ConfigProperty, ...] = field(default=())

    def metadata(self) -> dict[str, object]:
        """One entry of `GET …/authentication/authenticator-providers` and its siblings."""
        body: dict[str, object] = {
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
        }
        if self.kind is ProviderKind.CLIENT:
            body["supportsSecret"] = self.supports_secret
        return body


X509_BROWSER = "auth-x509-client-username-form"
X509_DIRECT_GRANT = "direct-grant-auth-x509-username"

_SUBJECT_DN = "Match SubjectDN using regular expression"

# Keycloak's AbstractX509ClientCertificateAuthenticatorFactory: the same properties for
# the browser and the direct-grant X.509 authenticators.
_X509_PROPERTIES = (
    ConfigProperty(
        "x509-cert-auth.mapping-source-selection",
        "User Identity Source",
        "Which part of the client certificate names the user; the regular-expression"
        " sources apply the expression below to that field.",
        "List",
        _SUBJECT_DN,
        (
            _SUBJECT_DN,
            "Subject's e-mail",
            "Subject's Alternative Name E-mail",
            "Subject's Alternative Name otherName (UPN)",
            "Subject's Common Name",
            "Match IssuerDN using regular expression",
            "Certificate Serial Number",
            "Certificate Serial Number and IssuerDN",
            "SHA-256 Thumbprint",
            "Full Certificate in PEM format",
        ),
    ),
    ConfigProperty(
        "x509-cert-auth.canonical-dn-enabled",
        "Canonical DN representation enabled",
        "Compare distinguished names in their canonical (RFC 2253 canonical) form.",
        "boolean",
        False,
    ),
    ConfigProperty(
        "x509-cert-auth.serialnumber-hex-enabled",
        "Enable Serial Number hexadecimal representation",
        "Write the certificate serial number in hexadecimal instead of decimal.",
        "boolean",
        False,
    ),
    ConfigProperty(
        "x509-cert-auth.regular-expression",
        "A regular expression to extract user identity",
        "Applied to the chosen certificate field; its one capturing group is the user's identity.",
        "String",
        "(.*?)(?:$)",
    ),
    ConfigProperty(
        "x509-cert-auth.mapper-selection",
        "User mapping method",
        "How the extracted identity finds the user: by username or e-mail, or by a user attribute.",
        "List",
        "Username or Email",
        ("Custom Attribute Mapper", "Username or Email"),
    ),
    ConfigProperty(
        "x509-cert-auth.mapper-selection.user-attribute-name",
        "A name of user attribute",
        "The user attribute holding the identity, when the mapping method is the custom"
        " attribute mapper; several names for identities made of several values.",
        "MultivaluedString",
        "usercertificate",
    ),
    ConfigProperty(
        "x509-cert-auth.crl-checking-enabled",
        "CRL Checking Enabled",
        "Check the certificate against certificate revocation lists.",
        "boolean",
    ),
    ConfigProperty(
        "x509-cert-auth.crldp-checking-enabled",
        "Enable CRL Distribution Point to check certificate revocation status",
        "Fetch the revocation lists the certificate's CRL distribution points name.",
        "boolean",
        False,
    ),
    ConfigProperty(
        "x509-cert-auth.crl-relative-path",
        "CRL Path",
        "Where the revocation lists are when distribution points are not used: URLs or"
        " files; each listed one is checked.",
        "MultivaluedString",
        "crl.pem",
    ),
    ConfigProperty(
        "x509-cert-auth-crl-abort-if-non-updated",
        "Abort if CRL is outdated",
        "Refuse the certificate when a revocation list is past its next-update time.",
        "boolean",
        True,
    ),
    ConfigProperty(
        "x509-cert-auth.ocsp-checking-enabled",
        "OCSP Checking Enabled",
        "Check the certificate's revocation status with OCSP.",
        "boolean",
    ),
    ConfigProperty(
        "x509-cert-auth.ocsp-fail-open",
        "OCSP Fail-Open Behavior",
        "Accept the certificate when the OCSP responder cannot be reached.",
        "boolean",
        False,
    ),
    ConfigProperty(
        "x509-cert-auth.ocsp-responder-uri",
        "OCSP Responder Uri",
        "The OCSP responder to ask, overriding the one the certificate names.",
        "String",
    ),
    ConfigProperty(
        "x509-cert-auth.ocsp-responder-certificate",
        "OCSP Responder Certificate",
        "The certificate (PEM body, no BEGIN/END lines) that signs the responder's answers,"
        " when it is neither the issuer nor a delegated OCSP signer of it.",
        "Text",
    ),
    ConfigProperty(
        "x509-cert-auth.keyusage",
        "Validate Key Usage",
        "Key usage bits the certificate must have (RFC 5280 §4.2.1.3), e.g."
        " 'digitalSignature, keyEncipherment'; empty checks nothing.",
        "String",
    ),
    ConfigProperty(
        "x509-cert-auth.extendedkeyusage",
        "Validate Extended Key Usage",
        "Extended key usages the certificate must have (RFC 5280 §4.2.1.12); empty checks nothing.",
        "String",
    ),
    ConfigProperty(
        "x509-cert-auth.certificate-policy",
        "Validate Certificate Policy",
        "Certificate policy OIDs the certificate must carry (RFC 5280 §4.2.1.4); empty"
        " checks nothing.",
        "String",
    ),
    ConfigProperty(
        "x509-cert-auth.certificate-policy-mode",
        "Certificate Policy Validation Mode",
        "Whether all the listed policies or any one of them must be present.",
        "List",
        "All",
        ("All", "Any"),
    ),
    ConfigProperty(
        "x509-cert-auth.confirmation-page-disallowed",
        "Bypass identity confirmation",
        "Sign the user in without first asking them to confirm the identity taken from the"
        " certificate.",
        "boolean",
    ),
    ConfigProperty(
        "x509-cert-auth.revalidate-certificate-enabled",
        "Revalidate Client Certificate",
        "Check the chain against the server's truststore again, for setups where the TLS"
        " layer did not.",
        "boolean",
        False,
    ),
    ConfigProperty(
        "x509-cert-auth.timestamp-validation-enabled",
        "Check certificate validity",
        "Refuse certificates that are expired or not yet valid.",
        "boolean",
        True,
    ),
)

_AUTH = ProviderKind.AUTHENTICATOR
_ALL: tuple[Provider, ...] = (
    # Browser flow.
    Provider("auth-cookie", "Cookie", "Signs in from the SSO session cookie, if there is one."),
    Provider(
        "auth-spnego", "Kerberos", "Signs in with Kerberos (SPNEGO).", requirement_choices=(A, D)
    ),
    Provider(
        "identity-provider-redirector",
        "Identity Provider Redirector",
        "Sends the user to an identity provider: the one kc_idp_hint names or the default.",
        configurable=True,
        properties=(
            ConfigProperty(
                "defaultProvider",
                "Default Identity Provider",
                "The alias of the identity provider to use when none is hinted.",
            ),
        ),
    ),
    Provider(
        "auth-username-password-form",
        "Username Password Form",
        "The login form asking for username (or e-mail) and password.",
        requirement_choices=(R,),
    ),
    Provider(
        "auth-username-form",
        "Username Form",
        "A login form asking only for the username (or e-mail).",
        requirement_choices=(R,),
    ),
    Provider(
        "auth-password-form",
        "Password Form",
        "A form asking the already identified user for their password.",
        requirement_choices=(R, A, D),
    ),
    Provider(
        "auth-otp-form",
        "OTP Form",
        "Asks for a one-time code from the user's authenticator app.",
        user_setup_allowed=True,
    ),
    Provider(
        "webauthn-authenticator",
        "WebAuthn Authenticator",
        "Asks for a WebAuthn (security key) signature as a second factor.",
        user_setup_allowed=True,
    ),
    Provider(
        "auth-recovery-authn-code-form",
        "Recovery Authentication Code Form",
        "Asks for one of the user's recovery codes.",
        user_setup_allowed=True,
    ),
    Provider(
        X509_BROWSER,
        "X509/Validate Username Form",
        "Signs in with the TLS client certificate, mapped to a user as configured.",
        configurable=True,
        properties=_X509_PROPERTIES,
    ),
    # Conditions.
    Provider(
        "conditional-user-configured",
        "Condition - user configured",
        "True when the user has set up the other executions of the sub-flow.",
        requirement_choices=(R, D),
        condition=True,
    ),
    Provider(
        "conditional-user-role",
        "Condition - user role",
        "True when the user holds the configured role.",
        requirement_choices=(R, D),
        configurable=True,
        condition=True,
        properties=(
            ConfigProperty(
                "condUserRole",
                "User role",
                "The role: a realm role's name, or 'clientId.role' for a client role.",
            ),
            ConfigProperty("negate", "Negate output", "Invert the condition.", "boolean", False),
        ),
    ),
    Provider(
        "conditional-level-of-authentication",
        "Condition - Level of Authentication",
        "True while the requested level of authentication is being reached.",
        requirement_choices=(R, D),
        configurable=True,
        condition=True,
        properties=(
            ConfigProperty(
                "loa-condition-level",
                "Level of Authentication (LoA)",
                "The level this sub-flow reaches.",
                "int",
            ),
            ConfigProperty(
                "loa-max-age",
                "Max Age",
                "Seconds the level stays valid in the SSO session (0: this login only).",
                "int",
                36000,
            ),
        ),
    ),
    # Direct grant.
    Provider(
        "direct-grant-validate-username",
        "Username Validation",
        "Checks the username of a resource owner password grant.",
        requirement_choices=(R,),
    ),
    Provider(
        "direct-grant-validate-password",
        "Password",
        "Checks the password of a resource owner password grant.",
        requirement_choices=(R, D),
    ),
    Provider(
        "direct-grant-validate-otp",
        "OTP",
        "Checks the one-time code sent with a resource owner password grant.",
        requirement_choices=(R, A, D),
    ),
    Provider(
        X509_DIRECT_GRANT,
        "X509/Validate Username",
        "Checks the TLS client certificate of a direct grant and maps it to a user.",
        configurable=True,
        properties=_X509_PROPERTIES,
    ),
    # Reset credentials.
    Provider(
        "reset-credentials-choose-user",
        "Choose User",
        "Asks which account's credentials to reset.",
        requirement_choices=(R,),
    ),
    Provider(
        "reset-credential-email",
        "Send Reset Email",
        "Mails the user a link to continue the reset.",
        requirement_choices=(R,),
    ),
    Provider(
        "reset-password",
        "Reset Password",
        "Has the user choose a new password.",
        requirement_choices=(R, D),
    ),
    Provider(
        "reset-otp",
        "Reset OTP",
        "Removes the user's one-time-password credentials so they set up a new one.",
        requirement_choices=(R, D),
        configurable=True,
        properties=(
            ConfigProperty(
                "action_on_otp_reset_flag",
                "Action on OTP reset",
                "Which OTP credentials to remove.",
                "List",
                "Remove one OTP",
                ("Remove one OTP", "Remove all OTPs"),
            ),
        ),
    ),
    # First broker login.
    Provider(
        "idp-review-profile",
        "Review Profile",
        "Shows the profile an identity provider sent for the user to review.",
        requirement_choices=(R, D),
        configurable=True,
        properties=(
            ConfigProperty(
                "update.profile.on.first.login",
                "Update profile on first login",
                "When the review page is shown: always (on), never (off), or when a required"
                " attribute is missing.",
                "List",
                "missing",
                ("on", "missing", "off"),
            ),
        ),
    ),
    Provider(
        "idp-create-user-if-unique",
        "Create User If Unique",
        "Creates the user unless one with the same username or e-mail exists.",
        configurable=True,
        properties=(
            ConfigProperty(
                "require.password.update.after.registration",
                "Require Password Update After Registration",
                "Have the new user set a password.",
                "boolean",
            ),
        ),
    ),
    Provider(
        "idp-confirm-link",
        "Confirm link existing account",
        "Asks the user to confirm linking the identity provider account to an existing one.",
        requirement_choices=(R, D),
    ),
    Provider(
        "idp-email-verification",
        "Verify existing account by Email",
        "Mails the existing account a link that confirms the identity provider link.",
    ),
    Provider(
        "idp-username-password-form",
        "Username Password Form for identity provider reauthentication",
        "Has the user sign in to the existing account to confirm the link.",
        requirement_choices=(R,),
    ),
    # Docker.
    Provider(
        "docker-http-basic-authenticator",
        "Docker Authenticator",
        "HTTP Basic authentication for the Docker registry protocol.",
        requirement_choices=(R,),
    ),
    # Client authentication.
    Provider(
        "client-secret",
        "Client Id and Secret",
        "The client sends its id and secret (HTTP Basic or form parameters).",
        ProviderKind.CLIENT,
        (A, R, D),
        supports_secret=True,
    ),
    Provider(
        "client-jwt",
        "Signed Jwt",
        "The client signs a JWT with its private key (private_key_jwt).",
        ProviderKind.CLIENT,
        (A, R, D),
    ),
    Provider(
        "client-secret-jwt",
        "Signed Jwt with Client Secret",
        "The client signs a JWT with its secret (client_secret_jwt).",
        ProviderKind.CLIENT,
        (A, R, D),
        supports_secret=True,
    ),
    Provider(
        "client-x509",
        "X509 Certificate",
        "The client presents a TLS client certificate (RFC 8705).",
        ProviderKind.CLIENT,
        (A, R, D),
    ),
    # Registration: the form and its actions.
    Provider(
        "registration-page-form",
        "Registration Page",
        "The registration form; its form actions validate and act on what it submits.",
        ProviderKind.FORM,
        (R, D),
    ),
    Provider(
        "registration-user-creation",
        "Registration User Profile Creation",
        "Validates the profile attributes of the form and creates the user.",
        ProviderKind.FORM_ACTION,
        (R, D),
    ),
    Provider(
        "registration-password-action",
        "Password Validation",
        "Validates the chosen password against the password policy.",
        ProviderKind.FORM_ACTION,
        (R, D),
    ),
    Provider(
        "registration-recaptcha-action",
        "reCAPTCHA",
        "Adds a reCAPTCHA challenge to the registration form.",
        ProviderKind.FORM_ACTION,
        (R, D),
        configurable=True,
        properties=(
            ConfigProperty("site.key", "reCAPTCHA Site Key", "The site key from Google."),
            ConfigProperty("secret", "reCAPTCHA Secret", "The secret from Google.", secret=True),
        ),
    ),
    Provider(
        "registration-terms-and-conditions",
        "Terms and conditions",
        "Asks the new user to accept the terms and conditions.",
        ProviderKind.FORM_ACTION,
        (R, D),
    ),
)

PROVIDERS: dict[str, Provider] = {p.id: p for p in _ALL}


def provider(provider_id: str | None) -> Provider | None:
    return PROVIDERS.get(provider_id or "")
