// Drives the real @keycloak/keycloak-admin-client (npm) against a running Ostium.
//
//   node drive.mjs --package DIR --base-url URL --username U --password P
//       runs every check in a fresh realm and prints one JSON line per check:
//       {"name": …, "ok": true|false, "error": null|"…", "methods": ["users.find", …]}
//   node drive.mjs --package DIR --list
//       prints, without a server, what the checks cover: every method of the nine
//       resources, the checks that call it, or why none does yet.
//   node drive.mjs --package DIR --markdown
//       the same as the table in COVERAGE.md next to this script.
//
// DIR is the installed package (…/node_modules/@keycloak/keycloak-admin-client). Each check
// names the client methods it calls; a check that does not call all of them fails, so the
// coverage table cannot claim more than the run does.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const RESOURCES = [
  "users",
  "roles",
  "groups",
  "clients",
  "clientScopes",
  "realms",
  "components",
  "attackDetection",
  "serverInfo",
];

// ---------------------------------------------------------------------------------------
// What is not checked yet, and why. Everything else of the nine resources has a check.

const IDP = "identity brokering (federated identities) is a later issue";
const ORGS = "organizations are a later issue";
const AUTHZ = "authorization services (UMA resource server) are a later issue";
const FGAP = "fine-grained admin permissions are a later issue";
const SCOPE_MAPPINGS = "scope mappings (/scope-mappings) are not implemented yet: endpoint missing";
const EVALUATE = "the client scopes evaluation tab (/evaluate-scopes) is not implemented yet";
const CERTS = "client certificates / JWT client keys (/certificates) are a later issue";
const OID4VC = "OpenID for Verifiable Credentials is a later issue";
const EVENTS = "the events admin API (/events, /admin-events) is a later issue";
const REGISTRATION = "dynamic client registration (initial access, policies) is a later issue";
const USER_STORAGE = "user storage / LDAP federation is a later issue";
const LOCALIZATION = "realm localization texts are a later issue";

const NOT_YET = {
  "users.listFederatedIdentities": IDP,
  "users.addToFederatedIdentity": IDP,
  "users.delFromFederatedIdentity": IDP,
  "users.removeTotp": "OTP credentials are a later issue: endpoint missing",
  "users.getUserStorageCredentialTypes": USER_STORAGE,
  "users.listConsents": "user consents (/consents) are a later issue: endpoint missing",
  "users.revokeConsent": "user consents (/consents) are a later issue: endpoint missing",
  "users.listVerifiableCredentials": OID4VC,
  "users.createVerifiableCredential": OID4VC,
  "users.revokeVerifiableCredential": OID4VC,
  "users.updateVerifiableCredential": OID4VC,
  "users.sendVerifiableCredentialOffer": OID4VC,
  "users.listIssuedVerifiableCredentials": OID4VC,
  "users.revokeIssuedVerifiableCredential": OID4VC,
  "users.getUnmanagedAttributes": "the user profile's unmanaged-attribute policy is a later issue",
  "roles.updatePermission": FGAP,
  "roles.listPermissions": FGAP,
  "groups.updatePermission": FGAP,
  "groups.listPermissions": FGAP,
  "groups.listOrgGroups": ORGS,
  "groups.addMemberToOrgGroup": ORGS,
  "groups.removeMemberFromOrgGroup": ORGS,
  "clients.generateRegistrationAccessToken": REGISTRATION,
  "clients.addMultipleProtocolMappers": "/protocol-mappers/add-models: endpoint missing",
  "clients.findProtocolMappersByProtocol": "/protocol-mappers/protocol/{protocol}: endpoint missing",
  "clients.listScopeMappings": SCOPE_MAPPINGS,
  "clients.addClientScopeMappings": SCOPE_MAPPINGS,
  "clients.listClientScopeMappings": SCOPE_MAPPINGS,
  "clients.listAvailableClientScopeMappings": SCOPE_MAPPINGS,
  "clients.listCompositeClientScopeMappings": SCOPE_MAPPINGS,
  "clients.delClientScopeMappings": SCOPE_MAPPINGS,
  "clients.addRealmScopeMappings": SCOPE_MAPPINGS,
  "clients.listRealmScopeMappings": SCOPE_MAPPINGS,
  "clients.listAvailableRealmScopeMappings": SCOPE_MAPPINGS,
  "clients.listCompositeRealmScopeMappings": SCOPE_MAPPINGS,
  "clients.delRealmScopeMappings": SCOPE_MAPPINGS,
  "clients.evaluatePermission": EVALUATE,
  "clients.evaluateListProtocolMapper": EVALUATE,
  "clients.evaluateGenerateSamlResponse": "SAML is out of scope",
  "clients.evaluateGenerateAccessToken": EVALUATE,
  "clients.evaluateGenerateUserInfo": EVALUATE,
  "clients.evaluateGenerateIdToken": EVALUATE,
  "clients.pushRevocation": "per-client push-revocation (not-before): endpoint missing",
  "clients.addClusterNode": "registered cluster nodes of a client are a later issue",
  "clients.deleteClusterNode": "registered cluster nodes of a client are a later issue",
  "clients.testNodesAvailable": "registered cluster nodes of a client are a later issue",
  "clients.getKeyInfo": CERTS,
  "clients.generateKey": CERTS,
  "clients.downloadKey": CERTS,
  "clients.generateAndDownloadKey": CERTS,
  "clients.uploadKey": CERTS,
  "clients.uploadCertificate": CERTS,
  "clients.getResourceServer": AUTHZ,
  "clients.updateResourceServer": AUTHZ,
  "clients.listResources": AUTHZ,
  "clients.createResource": AUTHZ,
  "clients.getResource": AUTHZ,
  "clients.updateResource": AUTHZ,
  "clients.delResource": AUTHZ,
  "clients.importResource": AUTHZ,
  "clients.exportResource": AUTHZ,
  "clients.evaluateResource": AUTHZ,
  "clients.listPolicies": AUTHZ,
  "clients.findPolicyByName": AUTHZ,
  "clients.updatePolicy": AUTHZ,
  "clients.createPolicy": AUTHZ,
  "clients.findOnePolicyWithType": AUTHZ,
  "clients.findOnePolicy": AUTHZ,
  "clients.listDependentPolicies": AUTHZ,
  "clients.delPolicy": AUTHZ,
  "clients.listPolicyProviders": AUTHZ,
  "clients.listAllScopes": AUTHZ,
  "clients.listAllResourcesByScope": AUTHZ,
  "clients.listAllPermissionsByScope": AUTHZ,
  "clients.listPermissionsByResource": AUTHZ,
  "clients.listScopesByResource": AUTHZ,
  "clients.listPermissionScope": AUTHZ,
  "clients.createAuthorizationScope": AUTHZ,
  "clients.updateAuthorizationScope": AUTHZ,
  "clients.getAuthorizationScope": AUTHZ,
  "clients.delAuthorizationScope": AUTHZ,
  "clients.findPermissions": AUTHZ,
  "clients.createPermission": AUTHZ,
  "clients.updatePermission": AUTHZ,
  "clients.delPermission": AUTHZ,
  "clients.findOnePermission": AUTHZ,
  "clients.getAssociatedScopes": AUTHZ,
  "clients.getAssociatedResources": AUTHZ,
  "clients.getAssociatedPolicies": AUTHZ,
  "clients.createOrUpdatePolicy": AUTHZ,
  "clients.updateFineGrainPermission": FGAP,
  "clients.listFineGrainPermissions": FGAP,
  "clients.v2": "the experimental clients v2 API is not implemented",
  "clientScopes.update": "PUT /client-scopes/{id}: endpoint missing",
  "clientScopes.listDefaultClientScopes": "realm default client scopes: endpoint missing",
  "clientScopes.addDefaultClientScope": "realm default client scopes: endpoint missing",
  "clientScopes.delDefaultClientScope": "realm default client scopes: endpoint missing",
  "clientScopes.listDefaultOptionalClientScopes": "realm default client scopes: endpoint missing",
  "clientScopes.addDefaultOptionalClientScope": "realm default client scopes: endpoint missing",
  "clientScopes.delDefaultOptionalClientScope": "realm default client scopes: endpoint missing",
  "clientScopes.addMultipleProtocolMappers": "client scope protocol mappers: endpoint missing",
  "clientScopes.addProtocolMapper": "client scope protocol mappers: endpoint missing",
  "clientScopes.listProtocolMappers": "client scope protocol mappers: endpoint missing",
  "clientScopes.findProtocolMapper": "client scope protocol mappers: endpoint missing",
  "clientScopes.findProtocolMappersByProtocol": "client scope protocol mappers: endpoint missing",
  "clientScopes.updateProtocolMapper": "client scope protocol mappers: endpoint missing",
  "clientScopes.delProtocolMapper": "client scope protocol mappers: endpoint missing",
  "clientScopes.findProtocolMapperByName": "client scope protocol mappers: endpoint missing",
  "clientScopes.listScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.addClientScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.listClientScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.listAvailableClientScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.listCompositeClientScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.delClientScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.addRealmScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.listRealmScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.listAvailableRealmScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.listCompositeRealmScopeMappings": SCOPE_MAPPINGS,
  "clientScopes.delRealmScopeMappings": SCOPE_MAPPINGS,
  "realms.getDefaultGroups": "realm default groups (/default-groups): endpoint missing",
  "realms.addDefaultGroup": "realm default groups (/default-groups): endpoint missing",
  "realms.removeDefaultGroup": "realm default groups (/default-groups): endpoint missing",
  "realms.findEvents": EVENTS,
  "realms.getConfigEvents": EVENTS,
  "realms.updateConfigEvents": EVENTS,
  "realms.clearEvents": EVENTS,
  "realms.clearAdminEvents": EVENTS,
  "realms.findAdminEvents": EVENTS,
  "realms.getClientRegistrationPolicyProviders": REGISTRATION,
  "realms.getClientsInitialAccess": REGISTRATION,
  "realms.createClientsInitialAccess": REGISTRATION,
  "realms.delClientsInitialAccess": REGISTRATION,
  "realms.getUsersManagementPermissions": FGAP,
  "realms.updateUsersManagementPermissions": FGAP,
  "realms.testLDAPConnection": USER_STORAGE,
  "realms.ldapServerCapabilities": USER_STORAGE,
  "realms.testSMTPConnection": "sending e-mail (SMTP) is a later issue",
  "realms.getRealmSpecificLocales": LOCALIZATION,
  "realms.getRealmLocalizationTexts": LOCALIZATION,
  "realms.addLocalization": LOCALIZATION,
  "realms.deleteRealmLocalizationTexts": LOCALIZATION,
  "components.listSubComponents": USER_STORAGE + " (sub-component types of LDAP mappers)",
  "serverInfo.findEffectiveMessageBundles": "theme message bundles (/resources/…) are a later issue",
};


// ---------------------------------------------------------------------------------------
// The checks, in the order they run: later ones use what earlier ones made (`s`).

const checks = [];
const s = {}; // state shared between checks: ids of what was created
function check(name, methods, fn) {
  checks.push({ name, methods, fn });
}

const REALM = "admin-client-e2e";
const SECRET = "shop-secret-1";

/** The NetworkError the client throws for a non-2xx answer, with its status and body. */
async function rejects(promise, status, body = undefined) {
  let error;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `expected HTTP ${status}, but the call succeeded`);
  assert.ok(error.response, `expected HTTP ${status}, got ${error}`);
  assert.equal(error.response.status, status, `HTTP status (body ${JSON.stringify(error.responseData)})`);
  if (body !== undefined) {
    for (const [key, value] of Object.entries(body)) {
      assert.equal(error.responseData?.[key], value, `body.${key} of ${JSON.stringify(error.responseData)}`);
    }
  }
  return error;
}

function names(list) {
  return list.map((item) => item.name).sort();
}

function need(...keys) {
  for (const key of keys) {
    assert.ok(s[key] !== undefined, `an earlier check did not create ${key}`);
  }
}

check("realms: a created realm is listed and read back, a missing one reads as null",
  ["realms.create", "realms.find", "realms.findOne"], async (kc) => {
    const created = await kc.realms.create({ realm: REALM, enabled: true, displayName: "Shop" });
    assert.deepEqual(created, { realmName: REALM });
    s.realm = REALM;
    kc.setConfig({ realmName: REALM });
    const realm = await kc.realms.findOne({ realm: REALM });
    assert.equal(realm.realm, REALM);
    assert.equal(realm.displayName, "Shop");
    assert.ok(realm.id);
    assert.ok((await kc.realms.find()).some((r) => r.realm === REALM));
    assert.equal(await kc.realms.findOne({ realm: "no-such-realm" }), null);
    await rejects(kc.realms.create({ realm: REALM }), 409);
  });

check("realms: an update changes only the fields it names", ["realms.update"], async (kc) => {
  need("realm");
  await kc.realms.update({ realm: REALM }, { accessTokenLifespan: 600, bruteForceProtected: true, failureFactor: 3 });
  const realm = await kc.realms.findOne({ realm: REALM });
  assert.equal(realm.accessTokenLifespan, 600);
  assert.equal(realm.bruteForceProtected, true);
  assert.equal(realm.displayName, "Shop");
});

check("users: the user profile is read, and written back with free-form attributes allowed",
  ["users.getProfile", "users.updateProfile", "users.getProfileMetadata"], async (kc) => {
    need("realm");
    const profile = await kc.users.getProfile({ realm: REALM });
    const attributeNames = profile.attributes.map((a) => a.name);
    for (const name of ["username", "email", "firstName", "lastName"]) assert.ok(attributeNames.includes(name), attributeNames.join());
    assert.equal(profile.unmanagedAttributePolicy, undefined);
    // As on Keycloak 24 and later, attributes the profile does not name are dropped unless
    // the realm allows them: what an administrator of free-form attributes sets first.
    const written = await kc.users.updateProfile({ ...profile, unmanagedAttributePolicy: "ENABLED", realm: REALM });
    assert.deepEqual(written.attributes.map((a) => a.name), attributeNames);
    assert.equal(written.unmanagedAttributePolicy, "ENABLED");
    const metadata = await kc.users.getProfileMetadata({ realm: REALM });
    assert.ok(metadata.attributes.some((a) => a.name === "username" && a.readOnly === false), JSON.stringify(metadata.attributes?.[0]));
  });

check("realms: the realm's keys list an active RS256 signing key", ["realms.getKeys"], async (kc) => {
  need("realm");
  const keys = await kc.realms.getKeys({ realm: REALM });
  assert.ok(keys.active.RS256, JSON.stringify(keys.active));
  const active = keys.keys.find((k) => k.kid === keys.active.RS256);
  assert.equal(active.status, "ACTIVE");
  assert.equal(active.use, "SIG");
  s.keyProviderId = active.providerId;
});

// --- client scopes ----------------------------------------------------------------------

check("clientScopes: a created scope is found by id and by name",
  ["clientScopes.create", "clientScopes.find", "clientScopes.findOne", "clientScopes.findOneByName"],
  async (kc) => {
    need("realm");
    const { id } = await kc.clientScopes.create({ name: "orders", protocol: "openid-connect", description: "Orders" });
    assert.ok(id);
    s.scopeId = id;
    const scope = await kc.clientScopes.findOne({ id });
    assert.equal(scope.name, "orders");
    assert.equal(scope.protocol, "openid-connect");
    assert.equal(scope.description, "Orders");
    assert.ok((await kc.clientScopes.find()).some((c) => c.id === id));
    assert.equal((await kc.clientScopes.findOneByName({ name: "orders" })).id, id);
    assert.equal(await kc.clientScopes.findOne({ id: "no-such-scope" }), null);
    await rejects(kc.clientScopes.create({ name: "orders" }), 409);
  });

// --- clients ----------------------------------------------------------------------------

check("clients: a created client is found by clientId and read back, a missing one reads as null",
  ["clients.create", "clients.find", "clients.findOne"], async (kc) => {
    need("realm");
    const { id } = await kc.clients.create({
      clientId: "shop",
      secret: SECRET,
      publicClient: false,
      directAccessGrantsEnabled: true,
      serviceAccountsEnabled: true,
      redirectUris: ["https://shop.example/cb"],
    });
    assert.ok(id);
    s.clientId = id;
    const found = await kc.clients.find({ clientId: "shop" });
    assert.deepEqual(found.map((c) => c.id), [id]);
    const client = await kc.clients.findOne({ id });
    assert.equal(client.clientId, "shop");
    assert.deepEqual(client.redirectUris, ["https://shop.example/cb"]);
    assert.equal(await kc.clients.findOne({ id: "no-such-client" }), null);
    await rejects(kc.clients.create({ clientId: "shop" }), 409);
  });

check("clients: q=key:value finds clients by attribute", ["clients.find"], async (kc) => {
  need("clientId");
  await kc.clients.create({ clientId: "ledger", attributes: { tier: "gold" } });
  assert.deepEqual((await kc.clients.find({ q: "tier:gold" })).map((c) => c.clientId), ["ledger"]);
  assert.deepEqual(await kc.clients.find({ q: "tier:none" }), []);
});

check("clients: an update changes the client", ["clients.update"], async (kc) => {
  need("clientId");
  const client = await kc.clients.findOne({ id: s.clientId });
  await kc.clients.update({ id: s.clientId }, { ...client, description: "The shop", redirectUris: ["https://shop.example/*"] });
  const updated = await kc.clients.findOne({ id: s.clientId });
  assert.equal(updated.description, "The shop");
  assert.deepEqual(updated.redirectUris, ["https://shop.example/*"]);
});

check("clients: the secret is read, regenerated, and the rotated one invalidated",
  ["clients.getClientSecret", "clients.generateNewClientSecret", "clients.invalidateSecret"], async (kc) => {
    need("clientId");
    assert.deepEqual(await kc.clients.getClientSecret({ id: s.clientId }), { type: "secret", value: SECRET });
    const fresh = await kc.clients.generateNewClientSecret({ id: s.clientId });
    assert.equal(fresh.type, "secret");
    assert.notEqual(fresh.value, SECRET);
    assert.equal((await kc.clients.getClientSecret({ id: s.clientId })).value, fresh.value);
    await kc.clients.invalidateSecret({ id: s.clientId });
    s.secret = fresh.value;
  });

check("clients: the service account user is service-account-<clientId>",
  ["clients.getServiceAccountUser"], async (kc) => {
    need("clientId");
    const user = await kc.clients.getServiceAccountUser({ id: s.clientId });
    assert.equal(user.username, "service-account-shop");
  });

check("clients: client roles are created, searched, paged, read and updated, a duplicate is a 409",
  ["clients.createRole", "clients.listRoles", "clients.findRole", "clients.updateRole"], async (kc) => {
    need("clientId");
    assert.deepEqual(await kc.clients.createRole({ id: s.clientId, name: "buyer", description: "Buys" }), { roleName: "buyer" });
    await kc.clients.createRole({ id: s.clientId, name: "seller" });
    assert.deepEqual(names(await kc.clients.listRoles({ id: s.clientId })), ["buyer", "seller"]);
    const buyer = await kc.clients.findRole({ id: s.clientId, roleName: "buyer" });
    assert.equal(buyer.description, "Buys");
    assert.equal(buyer.clientRole, true);
    assert.equal(buyer.containerId, s.clientId);
    await kc.clients.updateRole({ id: s.clientId, roleName: "seller" }, { name: "seller", description: "Sells" });
    assert.equal((await kc.clients.findRole({ id: s.clientId, roleName: "seller" })).description, "Sells");
    assert.equal(await kc.clients.findRole({ id: s.clientId, roleName: "no-such-role" }), null);
    assert.deepEqual(names(await kc.clients.listRoles({ id: s.clientId, search: "SELL" })), ["seller"]);
    assert.deepEqual(names(await kc.clients.listRoles({ id: s.clientId, first: 1, max: 1 })), ["seller"]);
    await rejects(kc.clients.createRole({ id: s.clientId, name: "buyer" }), 409,
      { errorMessage: "Role with name buyer already exists" });
    s.buyer = buyer;
    s.seller = await kc.clients.findRole({ id: s.clientId, roleName: "seller" });
  });

check("clients: a protocol mapper is added, found by id and name, updated and deleted",
  ["clients.addProtocolMapper", "clients.listProtocolMappers", "clients.findProtocolMapperById",
    "clients.findProtocolMapperByName", "clients.updateProtocolMapper", "clients.delProtocolMapper"], async (kc) => {
    need("clientId");
    const mapper = {
      name: "department",
      protocol: "openid-connect",
      protocolMapper: "oidc-usermodel-attribute-mapper",
      config: { "user.attribute": "department", "claim.name": "department", "jsonType.label": "String",
        "access.token.claim": "true", "id.token.claim": "false", "userinfo.token.claim": "true" },
    };
    await kc.clients.addProtocolMapper({ id: s.clientId }, mapper);
    const listed = await kc.clients.listProtocolMappers({ id: s.clientId });
    const added = listed.find((m) => m.name === "department");
    assert.ok(added, JSON.stringify(listed));
    const byId = await kc.clients.findProtocolMapperById({ id: s.clientId, mapperId: added.id });
    assert.equal(byId.config["claim.name"], "department");
    assert.equal((await kc.clients.findProtocolMapperByName({ id: s.clientId, name: "department" })).id, added.id);
    await kc.clients.updateProtocolMapper({ id: s.clientId, mapperId: added.id },
      { ...byId, config: { ...byId.config, "claim.name": "dept" } });
    assert.equal((await kc.clients.findProtocolMapperById({ id: s.clientId, mapperId: added.id })).config["claim.name"], "dept");
    await kc.clients.delProtocolMapper({ id: s.clientId, mapperId: added.id });
    assert.equal(await kc.clients.findProtocolMapperById({ id: s.clientId, mapperId: added.id }), null);
  });

check("clients: a client scope is linked as default, then as optional, then unlinked",
  ["clients.addDefaultClientScope", "clients.listDefaultClientScopes", "clients.delDefaultClientScope",
    "clients.addOptionalClientScope", "clients.listOptionalClientScopes", "clients.delOptionalClientScope"], async (kc) => {
    need("clientId", "scopeId");
    const ids = (list) => list.map((scope) => scope.id);
    await kc.clients.addDefaultClientScope({ id: s.clientId, clientScopeId: s.scopeId });
    const defaults = await kc.clients.listDefaultClientScopes({ id: s.clientId });
    assert.ok(defaults.some((scope) => scope.id === s.scopeId && scope.name === "orders"), JSON.stringify(defaults));
    await kc.clients.delDefaultClientScope({ id: s.clientId, clientScopeId: s.scopeId });
    assert.ok(!ids(await kc.clients.listDefaultClientScopes({ id: s.clientId })).includes(s.scopeId));
    await kc.clients.addOptionalClientScope({ id: s.clientId, clientScopeId: s.scopeId });
    assert.ok(ids(await kc.clients.listOptionalClientScopes({ id: s.clientId })).includes(s.scopeId));
    await kc.clients.delOptionalClientScope({ id: s.clientId, clientScopeId: s.scopeId });
    assert.ok(!ids(await kc.clients.listOptionalClientScopes({ id: s.clientId })).includes(s.scopeId));
  });

check("clients: the Keycloak OIDC JSON adapter config names the realm, client and secret",
  ["clients.getInstallationProviders"], async (kc, env) => {
    need("clientId", "secret");
    const config = await kc.clients.getInstallationProviders({ id: s.clientId, providerId: "keycloak-oidc-keycloak-json" });
    assert.equal(config.realm, REALM);
    assert.equal(config.resource, "shop");
    assert.equal(config["auth-server-url"].replace(/\/$/, ""), env.baseUrl);
    assert.equal(config.credentials.secret, s.secret);
  });

// --- realm roles ------------------------------------------------------------------------

check("roles: realm roles are created, listed, read and updated, a missing one reads as null",
  ["roles.create", "roles.find", "roles.findOneByName", "roles.updateByName"], async (kc) => {
    need("realm");
    assert.deepEqual(await kc.roles.create({ name: "clerk", description: "Clerk" }), { roleName: "clerk" });
    await kc.roles.create({ name: "manager" });
    await kc.roles.create({ name: "auditor" });
    const all = names(await kc.roles.find());
    for (const name of ["auditor", "clerk", "manager"]) assert.ok(all.includes(name), all.join());
    const clerk = await kc.roles.findOneByName({ name: "clerk" });
    assert.equal(clerk.description, "Clerk");
    assert.equal(clerk.clientRole, false);
    await kc.roles.updateByName({ name: "auditor" }, { name: "auditor", description: "Reads the books" });
    assert.equal((await kc.roles.findOneByName({ name: "auditor" })).description, "Reads the books");
    assert.equal(await kc.roles.findOneByName({ name: "no-such-role" }), null);
    await rejects(kc.roles.create({ name: "clerk" }), 409);
    s.clerk = clerk;
    s.manager = await kc.roles.findOneByName({ name: "manager" });
    s.auditor = await kc.roles.findOneByName({ name: "auditor" });
  });

check("roles: realm roles are searched and paged", ["roles.find"], async (kc) => {
  need("clerk");
  assert.deepEqual(names(await kc.roles.find({ search: "CLER" })), ["clerk"]);
  const all = names(await kc.roles.find());
  assert.deepEqual(names(await kc.roles.find({ first: 1, max: 2 })), all.slice(1, 3));
});

check("roles: a role read and updated by id, with realm and client composites added and removed",
  ["roles.findOneById", "roles.updateById", "roles.createComposite", "roles.getCompositeRoles",
    "roles.getCompositeRolesForRealm", "roles.getCompositeRolesForClient", "roles.delCompositeRoles",
    "roles.delById"], async (kc) => {
    need("manager", "clerk", "buyer", "clientId");
    const manager = await kc.roles.findOneById({ id: s.manager.id });
    assert.ok(manager, "GET /roles-by-id/{id} found no role (findOneById answered null)");
    assert.equal(manager.name, "manager");
    await kc.roles.updateById({ id: s.manager.id }, { ...manager, description: "Runs the shop" });
    assert.equal((await kc.roles.findOneById({ id: s.manager.id })).description, "Runs the shop");
    await kc.roles.createComposite({ roleId: s.manager.id }, [s.clerk, s.buyer]);
    assert.deepEqual(names(await kc.roles.getCompositeRoles({ id: s.manager.id })), ["buyer", "clerk"]);
    assert.deepEqual(names(await kc.roles.getCompositeRolesForRealm({ id: s.manager.id })), ["clerk"]);
    assert.deepEqual(names(await kc.roles.getCompositeRolesForClient({ id: s.manager.id, clientId: s.clientId })), ["buyer"]);
    assert.equal((await kc.roles.findOneById({ id: s.manager.id })).composite, true);
    await kc.roles.delCompositeRoles({ id: s.manager.id }, [s.buyer]);
    assert.deepEqual(names(await kc.roles.getCompositeRoles({ id: s.manager.id })), ["clerk"]);
    assert.equal(await kc.roles.findOneById({ id: "no-such-role" }), null);
    await kc.roles.create({ name: "temporary" });
    const temporary = await kc.roles.findOneByName({ name: "temporary" });
    await kc.roles.delById({ id: temporary.id });
    assert.equal(await kc.roles.findOneById({ id: temporary.id }), null);
    assert.equal(await kc.roles.findOneByName({ name: "temporary" }), null);
  });

// --- users ------------------------------------------------------------------------------

check("users: a created user is read back, a missing one reads as null, a duplicate is a 409",
  ["users.create", "users.findOne"], async (kc) => {
    need("realm");
    const { id } = await kc.users.create({
      username: "carol", email: "carol@shop.example", firstName: "Carol", lastName: "Danvers",
      enabled: true, attributes: { department: ["sales"] },
    });
    assert.ok(id);
    s.carol = id;
    const carol = await kc.users.findOne({ id });
    assert.equal(carol.username, "carol");
    assert.equal(carol.email, "carol@shop.example");
    assert.deepEqual(carol.attributes.department, ["sales"]);
    s.dave = (await kc.users.create({ username: "dave", enabled: true })).id;
    s.erin = (await kc.users.create({ username: "erin", email: "erin@shop.example", enabled: false })).id;
    assert.equal(await kc.users.findOne({ id: "no-such-user" }), null);
    await rejects(kc.users.create({ username: "carol" }), 409, { errorMessage: "User exists with same username" });
  });

check("users: search by text, exact username and e-mail finds the user, and count agrees",
  ["users.find", "users.count"], async (kc) => {
    need("carol");
    assert.deepEqual((await kc.users.find({ search: "caro" })).map((u) => u.id), [s.carol]);
    assert.deepEqual((await kc.users.find({ username: "carol", exact: true })).map((u) => u.id), [s.carol]);
    assert.deepEqual((await kc.users.find({ email: "carol@shop.example" })).map((u) => u.id), [s.carol]);
    assert.deepEqual(await kc.users.find({ username: "nobody", exact: true }), []);
    const brief = await kc.users.find({ username: "carol", briefRepresentation: true });
    assert.equal(brief[0].attributes, undefined);
    assert.equal(await kc.users.count(), (await kc.users.find({ max: 1000 })).length);
    assert.equal(await kc.users.count({ search: "caro" }), 1);
  });

check("users: search with q=key:value finds users by attribute", ["users.find"], async (kc) => {
  need("carol");
  assert.deepEqual((await kc.users.find({ q: "department:sales" })).map((u) => u.id), [s.carol]);
  assert.deepEqual(await kc.users.find({ q: "department:none" }), []);
});

check("users: search by enabled and emailVerified keeps only the matching users", ["users.find"], async (kc) => {
  need("carol", "erin");
  assert.deepEqual((await kc.users.find({ enabled: false })).map((u) => u.username), ["erin"]);
  assert.ok(!(await kc.users.find({ emailVerified: true })).some((u) => u.username === "carol"));
});

check("users: an update changes names and attributes", ["users.update"], async (kc) => {
  need("carol");
  const carol = await kc.users.findOne({ id: s.carol });
  await kc.users.update({ id: s.carol }, { ...carol, firstName: "Caroline", attributes: { department: ["sales"], floor: ["2"] } });
  const updated = await kc.users.findOne({ id: s.carol });
  assert.equal(updated.firstName, "Caroline");
  assert.deepEqual(updated.attributes.floor, ["2"]);
});

check("users: a reset password lets the user log in with it", ["users.resetPassword"], async (kc, env) => {
  need("carol", "secret");
  await kc.users.resetPassword({ id: s.carol, credential: { type: "password", value: "carol-pw", temporary: false } });
  const tokens = await env.login("carol", "carol-pw");
  assert.ok(tokens.access_token);
  await rejects(kc.users.resetPassword({ id: s.carol, credential: { type: "password", value: "" } }), 400);
});

check("users: realm roles are mapped, listed, listed as composite and unmapped",
  ["users.addRealmRoleMappings", "users.listRealmRoleMappings", "users.listCompositeRealmRoleMappings",
    "users.delRealmRoleMappings", "users.listRoleMappings"], async (kc) => {
    need("carol", "manager", "clerk", "auditor");
    await kc.users.addRealmRoleMappings({ id: s.carol, roles: [s.manager, s.auditor] });
    const direct = names(await kc.users.listRealmRoleMappings({ id: s.carol }));
    assert.ok(direct.includes("manager") && direct.includes("auditor"), direct.join());
    // offline_access comes through the composite default-roles-<realm>, mapped at creation
    const effective = names(await kc.users.listCompositeRealmRoleMappings({ id: s.carol }));
    for (const name of ["auditor", "manager", "default-roles-" + REALM, "offline_access"]) {
      assert.ok(effective.includes(name), `${name} not in ${effective}`);
    }
    const all = await kc.users.listRoleMappings({ id: s.carol });
    assert.ok(names(all.realmMappings).includes("manager"));
    await kc.users.delRealmRoleMappings({ id: s.carol, roles: [s.auditor] });
    assert.ok(!names(await kc.users.listRealmRoleMappings({ id: s.carol })).includes("auditor"));
  });

check("users: the realm roles available to map leave out the mapped ones",
  ["users.listAvailableRealmRoleMappings"], async (kc) => {
    need("carol");
    const available = names(await kc.users.listAvailableRealmRoleMappings({ id: s.carol }));
    assert.ok(available.includes("auditor"), available.join());
    assert.ok(!available.includes("manager"), available.join());
  });

check("users: client roles are mapped, listed, listed as composite and unmapped",
  ["users.addClientRoleMappings", "users.listClientRoleMappings", "users.listCompositeClientRoleMappings",
    "users.delClientRoleMappings"], async (kc) => {
    need("carol", "clientId", "buyer", "seller");
    await kc.users.addClientRoleMappings({ id: s.carol, clientUniqueId: s.clientId, roles: [s.buyer, s.seller] });
    assert.deepEqual(names(await kc.users.listClientRoleMappings({ id: s.carol, clientUniqueId: s.clientId })), ["buyer", "seller"]);
    const all = await kc.users.listRoleMappings({ id: s.carol });
    assert.deepEqual(names(all.clientMappings.shop.mappings), ["buyer", "seller"]);
    await kc.users.delClientRoleMappings({ id: s.carol, clientUniqueId: s.clientId, roles: [s.seller] });
    assert.deepEqual(names(await kc.users.listClientRoleMappings({ id: s.carol, clientUniqueId: s.clientId })), ["buyer"]);
    assert.deepEqual(names(await kc.users.listCompositeClientRoleMappings({ id: s.carol, clientUniqueId: s.clientId })), ["buyer"]);
  });

check("users: the client roles available to map leave out the mapped ones",
  ["users.listAvailableClientRoleMappings"], async (kc) => {
    need("carol", "clientId");
    assert.deepEqual(names(await kc.users.listAvailableClientRoleMappings({ id: s.carol, clientUniqueId: s.clientId })), ["seller"]);
  });

check("roles: the users a realm or client role is mapped to are listed",
  ["roles.findUsersWithRole", "clients.findUsersWithRole"], async (kc) => {
    need("carol", "clientId");
    assert.deepEqual((await kc.roles.findUsersWithRole({ name: "manager" })).map((u) => u.username), ["carol"]);
    assert.deepEqual(await kc.roles.findUsersWithRole({ name: "auditor" }), []);
    assert.deepEqual((await kc.clients.findUsersWithRole({ id: s.clientId, roleName: "buyer" })).map((u) => u.username), ["carol"]);
  });

// --- groups -----------------------------------------------------------------------------

check("groups: a group tree is created, searched, counted and read back",
  ["groups.create", "groups.find", "groups.findOne", "groups.count", "groups.createChildGroup",
    "groups.listSubGroups"], async (kc) => {
    need("realm");
    const { id } = await kc.groups.create({ name: "staff" });
    assert.ok(id);
    s.staff = id;
    s.sales = (await kc.groups.createChildGroup({ id }, { name: "sales" })).id;
    assert.ok(s.sales);
    s.interns = (await kc.groups.create({ name: "interns" })).id;
    assert.deepEqual(names(await kc.groups.find()), ["interns", "staff"]);
    const found = await kc.groups.find({ search: "sales" });
    assert.deepEqual(names(found), ["staff"]);
    const staff = await kc.groups.findOne({ id });
    assert.equal(staff.path, "/staff");
    const children = await kc.groups.listSubGroups({ parentId: id });
    assert.deepEqual(children.map((g) => [g.name, g.path]), [["sales", "/staff/sales"]]);
    assert.deepEqual(await kc.groups.count(), { count: 3 });
    assert.deepEqual(await kc.groups.count({ top: true }), { count: 2 });
    assert.equal(await kc.groups.findOne({ id: "no-such-group" }), null);
    await rejects(kc.groups.create({ name: "staff" }), 409);
  });

check("groups: a group created with attributes keeps them and is found by q=key:value",
  ["groups.create", "groups.find"], async (kc) => {
    need("realm");
    const { id } = await kc.groups.create({ name: "auditors", attributes: { region: ["emea"] } });
    try {
      assert.deepEqual((await kc.groups.findOne({ id })).attributes, { region: ["emea"] });
      assert.deepEqual((await kc.groups.find({ q: "region:emea" })).map((g) => g.name), ["auditors"]);
    } finally {
      await kc.groups.del({ id });
    }
  });

check("groups: realm groups are not organization groups", ["groups.isOrgGroups", "groups.getOrgId"], async (kc) => {
  assert.equal(kc.groups.isOrgGroups(), false);
  assert.equal(kc.groups.getOrgId(), undefined);
});

check("groups: an update renames the group and sets its attributes", ["groups.update"], async (kc) => {
  need("interns");
  await kc.groups.update({ id: s.interns }, { name: "trainees", attributes: { cohort: ["2026"] } });
  const trainees = await kc.groups.findOne({ id: s.interns });
  assert.equal(trainees.name, "trainees");
  assert.deepEqual(trainees.attributes, { cohort: ["2026"] });
});

check("realms: a group is found by its path", ["realms.getGroupByPath"], async (kc) => {
  need("sales");
  const sales = await kc.realms.getGroupByPath({ realm: REALM, path: "staff/sales" });
  assert.equal(sales.id, s.sales);
});

check("users: a user joins groups, lists and counts them, and leaves",
  ["users.addToGroup", "users.listGroups", "users.delFromGroup", "groups.listMembers"], async (kc) => {
    need("carol", "sales", "interns");
    await kc.users.addToGroup({ id: s.carol, groupId: s.sales });
    await kc.users.addToGroup({ id: s.carol, groupId: s.interns });
    const groups = await kc.users.listGroups({ id: s.carol });
    assert.deepEqual(groups.map((g) => g.path).sort(), ["/staff/sales", "/trainees"]);
    assert.deepEqual((await kc.groups.listMembers({ id: s.sales })).map((u) => u.username), ["carol"]);
    await kc.users.delFromGroup({ id: s.carol, groupId: s.interns });
    assert.deepEqual((await kc.users.listGroups({ id: s.carol })).map((g) => g.path), ["/staff/sales"]);
    assert.deepEqual(await kc.groups.listMembers({ id: s.interns }), []);
  });

check("users: the number of groups a user is in is counted", ["users.countGroups"], async (kc) => {
  need("carol");
  assert.deepEqual(await kc.users.countGroups({ id: s.carol }), { count: 1 });
});

check("groups: realm and client roles are mapped to a group, listed and unmapped",
  ["groups.addRealmRoleMappings", "groups.listRealmRoleMappings", "groups.delRealmRoleMappings",
    "groups.addClientRoleMappings", "groups.listClientRoleMappings", "groups.delClientRoleMappings"], async (kc) => {
    need("staff", "clerk", "auditor", "clientId", "buyer", "seller");
    await kc.groups.addRealmRoleMappings({ id: s.staff, roles: [s.clerk, s.auditor] });
    assert.deepEqual(names(await kc.groups.listRealmRoleMappings({ id: s.staff })), ["auditor", "clerk"]);
    await kc.groups.delRealmRoleMappings({ id: s.staff, roles: [s.auditor] });
    assert.deepEqual(names(await kc.groups.listRealmRoleMappings({ id: s.staff })), ["clerk"]);
    await kc.groups.addClientRoleMappings({ id: s.staff, clientUniqueId: s.clientId, roles: [s.buyer, s.seller] });
    assert.deepEqual(names(await kc.groups.listClientRoleMappings({ id: s.staff, clientUniqueId: s.clientId })), ["buyer", "seller"]);
    await kc.groups.delClientRoleMappings({ id: s.staff, clientUniqueId: s.clientId, roles: [s.buyer] });
    assert.deepEqual(names(await kc.groups.listClientRoleMappings({ id: s.staff, clientUniqueId: s.clientId })), ["seller"]);
  });

check("groups: all of a group's role mappings are listed together", ["groups.listRoleMappings"], async (kc) => {
  need("staff");
  const all = await kc.groups.listRoleMappings({ id: s.staff });
  assert.deepEqual(names(all.realmMappings), ["clerk"]);
  assert.deepEqual(names(all.clientMappings.shop.mappings), ["seller"]);
});

check("groups: the roles available to a group and its effective roles",
  ["groups.listAvailableRealmRoleMappings", "groups.listCompositeRealmRoleMappings",
    "groups.listAvailableClientRoleMappings", "groups.listCompositeClientRoleMappings"], async (kc) => {
    need("staff", "clientId");
    const available = names(await kc.groups.listAvailableRealmRoleMappings({ id: s.staff }));
    assert.ok(available.includes("manager") && !available.includes("clerk"), available.join());
    assert.ok(names(await kc.groups.listCompositeRealmRoleMappings({ id: s.staff })).includes("clerk"));
    assert.deepEqual(names(await kc.groups.listAvailableClientRoleMappings({ id: s.staff, clientUniqueId: s.clientId })), ["buyer"]);
    assert.deepEqual(names(await kc.groups.listCompositeClientRoleMappings({ id: s.staff, clientUniqueId: s.clientId })), ["seller"]);
  });

check("users: effective roles include those of the user's groups",
  ["users.listCompositeClientRoleMappings"], async (kc) => {
    need("carol", "clientId");
    // carol holds buyer directly and seller through /staff/sales (roles of /staff are inherited)
    assert.deepEqual(names(await kc.users.listCompositeClientRoleMappings({ id: s.carol, clientUniqueId: s.clientId })), ["buyer", "seller"]);
  });

check("groups: posting an existing group under another moves it there",
  ["groups.updateChildGroup"], async (kc) => {
    need("staff", "interns");
    await kc.groups.updateChildGroup({ id: s.staff }, { id: s.interns, name: "trainees" });
    assert.equal((await kc.groups.findOne({ id: s.interns })).path, "/staff/trainees");
    assert.deepEqual(names(await kc.groups.find()), ["staff"]);
  });

check("groups: posting an existing subgroup at the top level moves it there",
  ["groups.updateRoot"], async (kc) => {
    need("interns");
    await kc.groups.updateRoot({ id: s.interns, name: "trainees" });
    assert.equal((await kc.groups.findOne({ id: s.interns })).path, "/trainees");
    assert.deepEqual(names(await kc.groups.find()), ["staff", "trainees"]);
  });

// --- sessions ---------------------------------------------------------------------------

check("sessions: a login shows in the user's, the client's and the realm's session lists",
  ["users.listSessions", "clients.listSessions", "clients.getSessionCount", "realms.getClientSessionStats"],
  async (kc, env) => {
    need("carol", "clientId");
    await env.login("carol", "carol-pw");
    const sessions = await kc.users.listSessions({ id: s.carol });
    assert.ok(sessions.length >= 1);
    assert.equal(sessions[0].username, "carol");
    assert.equal(sessions[0].clients[s.clientId], "shop");
    const ofClient = await kc.clients.listSessions({ id: s.clientId });
    assert.ok(ofClient.some((session) => session.userId === s.carol));
    assert.equal((await kc.clients.getSessionCount({ id: s.clientId })).count, ofClient.length);
    const stats = await kc.realms.getClientSessionStats({ realm: REALM });
    const shop = stats.find((entry) => entry.clientId === "shop");
    assert.equal(shop.active, String(ofClient.length));
  });

check("sessions: an offline token shows in the offline session lists",
  ["users.listOfflineSessions", "clients.listOfflineSessions", "clients.getOfflineSessionCount"],
  async (kc, env) => {
    need("carol", "clientId");
    const tokens = await env.login("carol", "carol-pw", "openid offline_access");
    assert.ok(tokens.refresh_token);
    const offline = await kc.users.listOfflineSessions({ id: s.carol, clientId: s.clientId });
    assert.equal(offline.length, 1);
    assert.equal(offline[0].userId, s.carol);
    assert.equal((await kc.clients.listOfflineSessions({ id: s.clientId })).length, 1);
    assert.deepEqual(await kc.clients.getOfflineSessionCount({ id: s.clientId }), { count: 1 });
  });

check("sessions: a session deleted by id is gone, an unknown one is a 404",
  ["realms.deleteSession", "realms.removeSession"], async (kc, env) => {
  need("carol");
  await env.login("carol", "carol-pw");
  const before = await kc.users.listSessions({ id: s.carol });
  assert.ok(before.length >= 2, `expected two sessions, got ${before.length}`);
  await kc.realms.deleteSession({ realm: REALM, session: before[0].id, isOffline: false });
  await kc.realms.removeSession({ realm: REALM, sessionId: before[1].id });
  const after = (await kc.users.listSessions({ id: s.carol })).map((session) => session.id);
  assert.ok(!after.includes(before[0].id) && !after.includes(before[1].id), after.join());
  await rejects(kc.realms.deleteSession({ realm: REALM, session: before[0].id }), 404);
});

check("sessions: an offline session is deleted only when asked for as offline",
  ["realms.deleteSession"], async (kc) => {
    need("carol", "clientId");
    const [offline] = await kc.users.listOfflineSessions({ id: s.carol, clientId: s.clientId });
    assert.ok(offline, "no offline session to delete");
    await rejects(kc.realms.deleteSession({ realm: REALM, session: offline.id, isOffline: false }), 404);
    await kc.realms.deleteSession({ realm: REALM, session: offline.id, isOffline: true });
    assert.deepEqual(await kc.users.listOfflineSessions({ id: s.carol, clientId: s.clientId }), []);
  });

check("sessions: signing a user out ends their sessions", ["users.logout"], async (kc, env) => {
  need("carol");
  await env.login("carol", "carol-pw");
  assert.ok((await kc.users.listSessions({ id: s.carol })).length >= 1);
  await kc.users.logout({ id: s.carol });
  assert.deepEqual(await kc.users.listSessions({ id: s.carol }), []);
});

check("sessions: logout-all ends every session and push-revocation sets not-before",
  ["realms.logoutAll", "realms.pushRevocation"], async (kc, env) => {
    need("carol");
    await env.login("carol", "carol-pw");
    await kc.realms.logoutAll({ realm: REALM });
    assert.deepEqual(await kc.users.listSessions({ id: s.carol }), []);
    await kc.realms.update({ realm: REALM }, { notBefore: 0 });
    await kc.realms.pushRevocation({ realm: REALM });
    assert.ok((await kc.realms.findOne({ realm: REALM })).notBefore > 0);
  });

// --- credentials, e-mails, impersonation, user profile ----------------------------------

check("users: credentials are listed without secrets, relabelled, moved and deleted",
  ["users.getCredentials", "users.updateCredentialLabel", "users.moveCredentialPositionUp",
    "users.moveCredentialPositionDown", "users.deleteCredential"], async (kc, env) => {
    need("carol");
    const credentials = await kc.users.getCredentials({ id: s.carol });
    assert.equal(credentials.length, 1, JSON.stringify(credentials));
    const [password] = credentials;
    assert.equal(password.type, "password");
    assert.equal(password.secretData, undefined);
    await kc.users.updateCredentialLabel({ id: s.carol, credentialId: password.id }, "laptop");
    assert.equal((await kc.users.getCredentials({ id: s.carol }))[0].userLabel, "laptop");
    await kc.users.moveCredentialPositionUp({ id: s.carol, credentialId: password.id });
    await rejects(kc.users.moveCredentialPositionDown({ id: s.carol, credentialId: "no-such-credential", newPreviousCredentialId: password.id }), 404);
    await kc.users.deleteCredential({ id: s.carol, credentialId: password.id });
    assert.deepEqual(await kc.users.getCredentials({ id: s.carol }), []);
    await assert.rejects(env.login("carol", "carol-pw"), /401|400/);
  });

check("users: e-mails to a user without an address or a disabled user are refused as Keycloak does",
  ["users.executeActionsEmail", "users.sendVerifyEmail"], async (kc) => {
    need("dave", "erin");
    await rejects(kc.users.executeActionsEmail({ id: s.dave, actions: ["UPDATE_PASSWORD"] }), 400, { errorMessage: "User email missing" });
    await rejects(kc.users.sendVerifyEmail({ id: s.dave }), 400, { errorMessage: "User email missing" });
    await rejects(kc.users.executeActionsEmail({ id: s.erin, actions: ["UPDATE_PASSWORD"] }), 400, { errorMessage: "User is disabled" });
    await rejects(kc.users.sendVerifyEmail({ id: s.erin }), 400, { errorMessage: "User is disabled" });
  });

check("users: impersonating a user answers where the browser goes next", ["users.impersonation"], async (kc, env) => {
  need("dave");
  const result = await kc.users.impersonation({ id: s.dave }, { user: s.dave, realm: REALM });
  assert.equal(result.sameRealm, false);
  assert.ok(result.redirect.startsWith(`${env.baseUrl}/realms/${REALM}/`), result.redirect);
});

// --- brute force ------------------------------------------------------------------------

check("attackDetection: failed logins are counted and cleared per user and for the realm",
  ["attackDetection.findOne", "attackDetection.del", "attackDetection.delAll"], async (kc, env) => {
    need("dave");
    await kc.users.resetPassword({ id: s.dave, credential: { type: "password", value: "dave-pw", temporary: false } });
    const clear = await kc.attackDetection.findOne({ id: s.dave });
    assert.deepEqual([clear.numFailures, clear.disabled, clear.lastIPFailure, clear.lastFailure], [0, false, "n/a", 0]);
    await assert.rejects(env.login("dave", "wrong"));
    const status = await kc.attackDetection.findOne({ id: s.dave });
    assert.equal(status.numFailures, 1);
    assert.ok(status.lastFailure > 0);
    await kc.attackDetection.del({ id: s.dave });
    assert.equal((await kc.attackDetection.findOne({ id: s.dave })).numFailures, 0);
    await assert.rejects(env.login("dave", "wrong"));
    await kc.attackDetection.delAll();
    assert.equal((await kc.attackDetection.findOne({ id: s.dave })).numFailures, 0);
  });

// --- components (key providers) -------------------------------------------------------

check("components: a key provider is created, listed, read, updated and deleted",
  ["components.create", "components.find", "components.findOne", "components.update", "components.del"],
  async (kc) => {
    need("realm");
    const { id } = await kc.components.create({
      name: "extra-rsa", providerId: "rsa-generated", providerType: "org.keycloak.keys.KeyProvider",
      config: { priority: ["50"], keySize: ["2048"] },
    });
    assert.ok(id);
    const listed = await kc.components.find({ type: "org.keycloak.keys.KeyProvider" });
    assert.ok(listed.some((c) => c.id === id), JSON.stringify(listed.map((c) => c.name)));
    assert.deepEqual(await kc.components.find({ type: "org.keycloak.storage.UserStorageProvider" }), []);
    const component = await kc.components.findOne({ id });
    assert.equal(component.providerId, "rsa-generated");
    assert.deepEqual(component.config.priority, ["50"]);
    await kc.components.update({ id }, { ...component, config: { ...component.config, priority: ["60"] } });
    assert.deepEqual((await kc.components.findOne({ id })).config.priority, ["60"]);
    await kc.components.del({ id });
    assert.equal(await kc.components.findOne({ id }), null);
  });

// --- server info, partial export and import --------------------------------------------

check("serverInfo: the server names its version", ["serverInfo.find"], async (kc) => {
  const info = await kc.serverInfo.find();
  assert.equal(typeof info.systemInfo.version, "string");
  assert.ok(info.systemInfo.version.length > 0);
});

check("realms: a partial export holds the clients with their secrets masked, and groups and roles",
  ["realms.export"], async (kc) => {
    need("clientId");
    const exported = await kc.realms.export({ realm: REALM, exportClients: true, exportGroupsAndRoles: true });
    assert.equal(exported.realm, REALM);
    const shop = exported.clients.find((c) => c.clientId === "shop");
    assert.equal(shop.secret, "**********");
    assert.ok(exported.roles.realm.some((r) => r.name === "manager"));
    assert.ok(exported.groups.some((g) => g.name === "staff"));
    // Keycloak's ExportUtils puts the exported clients' service-account users in, nobody else.
    assert.deepEqual(exported.users.map((u) => u.username), ["service-account-shop"]);
  });

check("realms: a partial import adds what is new and skips what exists", ["realms.partialImport"], async (kc) => {
  need("realm");
  const result = await kc.realms.partialImport({
    realm: REALM,
    rep: {
      ifResourceExists: "SKIP",
      users: [{ username: "frank", enabled: true }, { username: "carol", enabled: true }],
      roles: { realm: [{ name: "imported-role" }] },
    },
  });
  assert.equal(result.added, 2, JSON.stringify(result));
  assert.equal(result.skipped, 1, JSON.stringify(result));
  assert.ok(result.results.some((r) => r.action === "ADDED" && r.resourceType === "USER" && r.resourceName === "frank"));
  assert.equal((await kc.users.find({ username: "frank", exact: true })).length, 1);
  assert.ok(await kc.roles.findOneByName({ name: "imported-role" }));
});

check("errors: an unknown admin path is a 404 and a wrong method a 405, in Keycloak's shape",
  [], async (kc, env) => {
    need("realm");
    const headers = { authorization: `Bearer ${await kc.getAccessToken()}` };
    const missing = await fetch(`${env.baseUrl}/admin/realms/${REALM}/no-such-resource`, { headers });
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: "HTTP 404 Not Found" });
    const wrong = await fetch(`${env.baseUrl}/admin/realms/${REALM}/keys`, { method: "PUT", headers });
    assert.equal(wrong.status, 405);
    assert.deepEqual(await wrong.json(), { error: "HTTP 405 Method Not Allowed" });
  });

// --- deletions, last ----------------------------------------------------------------------

check("deletes: roles, client roles, scopes, groups, users and clients are deleted and then missing",
  ["clients.delRole", "roles.delByName", "clientScopes.del", "clientScopes.delByName",
    "groups.del", "users.del", "clients.del"], async (kc) => {
    need("clientId", "scopeId", "staff", "dave");
    await kc.clients.delRole({ id: s.clientId, roleName: "seller" });
    assert.equal(await kc.clients.findRole({ id: s.clientId, roleName: "seller" }), null);
    await kc.roles.delByName({ name: "clerk" });
    assert.equal(await kc.roles.findOneByName({ name: "clerk" }), null);
    await kc.clientScopes.del({ id: s.scopeId });
    assert.equal(await kc.clientScopes.findOne({ id: s.scopeId }), null);
    await kc.clientScopes.create({ name: "to-delete" });
    await kc.clientScopes.delByName({ name: "to-delete" });
    assert.equal(await kc.clientScopes.findOneByName({ name: "to-delete" }), undefined);
    await kc.groups.del({ id: s.staff });
    assert.equal(await kc.groups.findOne({ id: s.staff }), null);
    assert.equal(await kc.groups.findOne({ id: s.sales }), null);
    await kc.users.del({ id: s.dave });
    assert.equal(await kc.users.findOne({ id: s.dave }), null);
    await rejects(kc.users.del({ id: s.dave }), 404);
    await kc.clients.del({ id: s.clientId });
    assert.equal(await kc.clients.findOne({ id: s.clientId }), null);
  });

check("realms: a deleted realm is gone", ["realms.del"], async (kc) => {
  need("realm");
  kc.setConfig({ realmName: "master" });
  await kc.realms.del({ realm: REALM });
  assert.equal(await kc.realms.findOne({ realm: REALM }), null);
});

// ---------------------------------------------------------------------------------------
// Running them.

function argument(name) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** Every method of the nine resources: own function properties (the requests) and
 * prototype methods (helpers such as findOneByName), as `resource.method`. */
function clientMethods(kc) {
  const methods = [];
  for (const resource of RESOURCES) {
    const object = kc[resource];
    const own = Object.keys(object).filter((key) => typeof object[key] === "function");
    const inherited = Object.getOwnPropertyNames(Object.getPrototypeOf(object))
      .filter((key) => key !== "constructor" && typeof object[key] === "function");
    for (const key of [...own, ...inherited]) {
      if (key !== "makeRequest" && key !== "makeUpdateRequest") methods.push(`${resource}.${key}`);
    }
  }
  return methods;
}

/** Replace each method with one that notes the call, so each check proves what it claims. */
function recordCalls(kc, methods, called) {
  for (const method of methods) {
    const [resource, key] = method.split(".");
    const object = kc[resource];
    const original = object[key];
    object[key] = function (...args) {
      called.add(method);
      return original.apply(this, args);
    };
  }
}

function coverage(methods) {
  const covered = {};
  for (const { name, methods: claimed } of checks) {
    for (const method of claimed) (covered[method] ??= []).push(name);
  }
  return methods.map((method) => ({
    method,
    checks: covered[method] ?? [],
    notYet: NOT_YET[method] ?? null,
  }));
}

function markdown(version, rows) {
  const lines = [
    "# What the keycloak-admin-client e2e checks cover",
    "",
    `Generated by \`node drive.mjs --package DIR --markdown\` from @keycloak/keycloak-admin-client ${version};`,
    "`tests/e2e/test_keycloak_admin_client.py` fails when this file and the checks disagree.",
    "",
    "| method | status | checked by / reason |",
    "|---|---|---|",
  ];
  for (const row of rows) {
    const status = row.checks.length ? "covered" : "NOT YET";
    const detail = row.checks.length ? row.checks.join("; ") : (row.notYet ?? "no check and no reason");
    lines.push(`| \`${row.method}\` | ${status} | ${detail.replaceAll("|", "\\|")} |`);
  }
  return lines.join("\n") + "\n";
}

async function main() {
  const packageDir = argument("package");
  assert.ok(packageDir, "--package DIR (the installed @keycloak/keycloak-admin-client) is required");
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const { default: KcAdminClient } = await import(pathToFileURL(join(packageDir, manifest.main)).href);

  const listing = new KcAdminClient({ baseUrl: "http://127.0.0.1:9", realmName: "master" });
  const methods = clientMethods(listing);
  if (process.argv.includes("--list")) {
    const claimed = checks.flatMap((c) => c.methods);
    const unknown = [...new Set([...claimed, ...Object.keys(NOT_YET)])]
      .filter((method) => !methods.includes(method)).sort();
    const duplicates = checks.map((c) => c.name).filter((name, i, all) => all.indexOf(name) !== i);
    console.log(JSON.stringify({
      version: manifest.version,
      checks: checks.map((c) => c.name),
      coverage: coverage(methods),
      unknown, // methods named here that the installed client does not have
      duplicates, // check names used twice
    }));
    return;
  }
  if (process.argv.includes("--markdown")) {
    process.stdout.write(markdown(manifest.version, coverage(methods)));
    return;
  }

  const baseUrl = argument("base-url").replace(/\/$/, "");
  const credentials = { username: argument("username"), password: argument("password"), grantType: "password", clientId: "admin-cli" };
  // The token comes from master while the calls go to the test realm: a separate client
  // keeps refreshing against master.
  const session = new KcAdminClient({ baseUrl, realmName: "master" });
  await session.auth(credentials);
  const kc = new KcAdminClient({ baseUrl, realmName: "master" });
  kc.registerTokenProvider({ getAccessToken: () => session.getAccessToken() });

  const env = {
    baseUrl,
    /** The password grant at the test realm's token endpoint, as the shop would log a user in. */
    async login(username, password, scope = "openid") {
      const response = await fetch(`${baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "password", client_id: "shop", client_secret: s.secret, username, password, scope }),
      });
      const body = await response.json();
      if (response.status !== 200) throw new Error(`login ${username}: HTTP ${response.status} ${JSON.stringify(body)}`);
      return body;
    },
  };

  const called = new Set();
  recordCalls(kc, methods, called);
  for (const { name, methods: claimed, fn } of checks) {
    called.clear();
    let error = null;
    try {
      await fn(kc, env);
      const missed = claimed.filter((method) => !called.has(method));
      assert.deepEqual(missed, [], `the check did not call ${missed.join(", ")}`);
    } catch (caught) {
      error = caught?.stack ? String(caught.message) : String(caught);
      if (caught?.response) error = `HTTP ${caught.response.status} ${caught.response.url}: ${JSON.stringify(caught.responseData)}`;
    }
    console.log(JSON.stringify({ name, ok: error === null, error, methods: claimed }));
  }
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
