"""The development identity server is a real OpenID Connect provider: it publishes where it is
and its keys, binds each code to its PKCE challenge, and signs ID tokens that name who signed in."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tools.oidc import OidcServer

pytestmark = pytest.mark.integration
REDIRECT = "http://127.0.0.1:9/signed-in"


def discovery(oidc: OidcServer) -> dict[str, Any]:
    answer = httpx.get(oidc.discovery_url, timeout=5)
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


def sign_in(oidc: OidcServer, username: str, challenge: str, nonce: str = "n-1") -> str:
    """Post the sign-in form as a browser would; the code from the redirect back."""
    params = {"client_id": "portal", "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
              "state": "s-1", "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256"}
    answer = httpx.post(discovery(oidc)["authorization_endpoint"], params=params, data={"username": username},
                        timeout=5)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlparse(answer.headers["location"]).query)["code"][0]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def exchange(oidc: OidcServer, code: str, verifier: str) -> httpx.Response:
    return httpx.post(discovery(oidc)["token_endpoint"], timeout=5, auth=("portal", "portal-secret"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})


def test_the_identity_server_publishes_its_endpoints_and_supports_pkce_s256(oidc: OidcServer):
    found = discovery(oidc)
    assert found["issuer"] == oidc.issuer
    assert "S256" in found["code_challenge_methods_supported"]
    assert httpx.get(found["jwks_uri"], timeout=5).json()["keys"], "no signing keys published"


def test_its_sign_in_page_lists_the_demonstration_people(oidc: OidcServer):
    _, challenge = pkce()
    page = httpx.get(discovery(oidc)["authorization_endpoint"], timeout=5, params={
        "client_id": "portal", "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}).text
    assert 'name="username"' in page
    assert "panel.chair" in page and "administrator" in page


def test_a_code_is_refused_without_the_verifier_of_its_challenge(oidc: OidcServer):
    _, challenge = pkce()
    code = sign_in(oidc, "lead1.black-country", challenge)
    refused = exchange(oidc, code, secrets.token_urlsafe(48))
    assert refused.status_code == 400
    assert "pkce" in refused.text.lower()


def test_the_id_token_names_who_signed_in_and_is_signed_with_a_published_key(oidc: OidcServer):
    verifier, challenge = pkce()
    code = sign_in(oidc, "lead1.black-country", challenge, nonce="nonce-42")
    tokens = exchange(oidc, code, verifier)
    assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set(httpx.get(discovery(oidc)["jwks_uri"], timeout=5).json())
    claims = jwt.decode(tokens.json()["id_token"], keys).claims
    assert claims["sub"] == "lead1.black-country"
    assert claims["iss"] == oidc.issuer
    assert claims["nonce"] == "nonce-42"
    assert "portal" in ([claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"])
