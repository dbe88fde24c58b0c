# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection, authentication and retry options shared by every module (plugins/module_utils/spec.py).
    DOCUMENTATION = r"""
options:
  auth_method:
    description:
      - How to obtain the Microsoft Graph token.
      - V(auto) picks the first that applies, in this order - O(access_token); O(client_certificate_path);
        O(client_secret); O(federated_token_file); O(username) with O(password); a managed identity when
        C(IDENTITY_ENDPOINT) or C(MSI_ENDPOINT) is set (App Service, Functions, Arc, Azure ML); a token cache at
        O(token_cache_path) left by an earlier device code sign-in (the C(cloudcomms.virtual_appointments.sign_in)
        playbook).
      - The result's RV(auth_method) says which one was used.
      - Falls back to the environment variable E(CLOUDCOMMS_GRAPH_AUTH_METHOD).
    type: str
    default: auto
    choices: [auto, access_token, client_certificate, client_secret, federated_token, username_password,
              managed_identity, device_code]
  tenant_id:
    description:
      - Directory (tenant) ID or verified domain of the Microsoft Entra tenant.
      - Falls back to E(AZURE_TENANT_ID).
    type: str
  client_id:
    description:
      - Application (client) ID of the app registration.
      - With O(auth_method=managed_identity), selects a user-assigned identity; without it the system-assigned
        identity is used.
      - Falls back to E(AZURE_CLIENT_ID).
    type: str
  client_secret:
    description:
      - Client secret of a confidential app registration.
      - Falls back to E(AZURE_CLIENT_SECRET).
    type: str
  client_certificate_path:
    description:
      - Certificate credential - a PEM file holding the private key and the certificate, or a C(.pfx)/C(.p12)
        file.
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PATH).
    type: path
  client_certificate_password:
    description:
      - Password of the private key in O(client_certificate_path).
      - Falls back to E(AZURE_CLIENT_CERTIFICATE_PASSWORD).
    type: str
  federated_token_file:
    description:
      - File holding a federated identity token (workload identity federation - AKS workload identity, GitHub
        Actions or GitLab OIDC), exchanged for a Graph token. It is read again for every token request, so a
        rotated token is picked up.
      - Falls back to E(AZURE_FEDERATED_TOKEN_FILE).
    type: path
  username:
    description:
      - User principal name for O(auth_method=username_password) (resource owner password flow; fails under MFA
        or Conditional Access), or to pick the account in the token cache for O(auth_method=device_code).
      - Falls back to E(AZURE_USERNAME).
    type: str
  password:
    description:
      - Password of O(username).
      - Falls back to E(AZURE_PASSWORD).
    type: str
  access_token:
    description:
      - A Graph access token obtained elsewhere, used as is.
      - Falls back to E(CLOUDCOMMS_GRAPH_ACCESS_TOKEN).
    type: str
  token_cache_path:
    description:
      - MSAL token cache file for delegated sign-in (device code, username and password). Written with mode 0600,
        atomically and under a lock, so parallel forks can share it; later runs use its refresh token silently.
      - Defaults to C(~/.cache/cloudcomms.virtual_appointments/msal_token_cache.json) (C(XDG_CACHE_HOME) is
        honoured).
      - Falls back to E(CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH).
    type: path
  cloud:
    description:
      - The Microsoft cloud; sets the authority host, the Graph endpoint and the token scope together.
      - V(global) - C(login.microsoftonline.com), C(graph.microsoft.com).
      - V(usgov) - C(login.microsoftonline.us), C(graph.microsoft.us).
      - V(usgov_dod) - C(login.microsoftonline.us), C(dod-graph.microsoft.us).
      - V(china) - C(login.partner.microsoftonline.cn), C(microsoftgraph.chinacloudapi.cn).
      - Falls back to E(CLOUDCOMMS_GRAPH_CLOUD).
    type: str
    default: global
    choices: [global, usgov, usgov_dod, china]
  authority_host:
    description:
      - Overrides the sign-in host of O(cloud), for example C(https://login.microsoftonline.us).
      - Falls back to E(AZURE_AUTHORITY_HOST).
    type: str
  graph_endpoint:
    description:
      - Overrides the Graph endpoint of O(cloud) (a proxy, a private endpoint or a local emulator). The token scope
        still follows O(cloud).
      - Falls back to E(CLOUDCOMMS_GRAPH_ENDPOINT).
    type: str
  api_version:
    description:
      - Graph API version. The virtualAppointment resource exists in V(beta) only.
      - When not set, V(beta) for the online meeting and virtual appointment modules, V(v1.0) for the Bookings
        modules (C(booking_*)).
    type: str
    choices: [beta, v1.0]
  validate_certs:
    description:
      - Verify TLS certificates of Graph and of the authority. Only turn this off for a test endpoint.
      - Falls back to E(CLOUDCOMMS_GRAPH_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle (PEM) that signed the certificates of Graph and the authority (a TLS-inspecting proxy, the
        emulator). When set it wins over C(REQUESTS_CA_BUNDLE) and C(CURL_CA_BUNDLE).
      - Falls back to E(CLOUDCOMMS_GRAPH_CA_PATH).
    type: path
  proxy_url:
    description:
      - HTTP(S) proxy for Graph and sign-in, for example C(http://proxy.example.com:3128). Without it the standard
        C(HTTPS_PROXY) and C(NO_PROXY) variables apply.
      - Falls back to E(CLOUDCOMMS_GRAPH_PROXY_URL).
    type: str
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: float
    default: 30
  max_retries:
    description:
      - Retries of one request after throttling (429), 503, or - for requests that are safe to send twice (GET,
        PUT, PATCH, DELETE, C(createOrGet)) - 500, 502, 504 or a dropped connection. Any other request is never
        sent again once it may have reached Graph.
    type: int
    default: 10
  retry_timeout:
    description:
      - Total seconds one request may spend waiting for retries. Retry-After is honoured exactly; a wait that
        would pass this limit is not started and the task fails with the reason.
    type: float
    default: 300
  provisioning_timeout:
    description:
      - Seconds to wait out the first virtual appointment create in a tenant, which Graph answers with 503 or 409
        and Retry-After while it provisions the service (under five minutes, once per tenant).
    type: float
    default: 600
requirements:
  - python >= 3.10
  - requests >= 2.31
  - msal >= 1.33
notes:
  - The modules run on the controller (or where they are delegated) and talk HTTPS to Microsoft Graph; secrets are
    never returned, logged or shown in a diff.
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Reads, then reports what would change without writing.
  diff_mode:
    support: full
    description: Shows the compared view before and after.
  action_group:
    support: full
    membership:
      - cloudcomms.virtual_appointments.graph
    description: Use C(group/cloudcomms.virtual_appointments.graph) in C(module_defaults) to set the connection once.
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Only reads; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  action_group:
    support: full
    membership:
      - cloudcomms.virtual_appointments.graph
    description: Use C(group/cloudcomms.virtual_appointments.graph) in C(module_defaults) to set the connection once.
"""
