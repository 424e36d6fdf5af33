"""Authentication: TBA (OAuth 1.0a HMAC-SHA256) and OAuth 2.0 client
credentials with JWT assertions (simulator spec section 3).

The precise reason of a failure goes only to the audit trail; clients see
NetSuite's generic INVALID_LOGIN body.
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import urllib.parse

TBA_REQUIRED = ("realm", "oauth_consumer_key", "oauth_token",
                "oauth_signature_method", "oauth_timestamp", "oauth_nonce",
                "oauth_signature")


class AuthFail(Exception):
    def __init__(self, reason, info=None):
        super().__init__(reason)
        self.reason = reason
        self.info = info or {}


def enc(s):
    """RFC 3986 percent-encoding of UTF-8 (unreserved kept, upper hex)."""
    return urllib.parse.quote(s.encode("utf-8"), safe="-._~")


def parse_oauth_header(value):
    """'OAuth k="v", ...' -> dict; DuplicateParameter / MalformedHeader."""
    rest = value[len("OAuth "):]
    params = {}
    i = 0
    n = len(rest)
    while i < n:
        while i < n and rest[i] in " \t,":
            i += 1
        if i >= n:
            break
        eq = rest.find("=", i)
        if eq < 0:
            raise AuthFail("MalformedHeader")
        name = rest[i:eq].strip()
        i = eq + 1
        if i >= n or rest[i] != '"':
            raise AuthFail("MalformedHeader")
        end = rest.find('"', i + 1)
        if end < 0 or not name:
            raise AuthFail("MalformedHeader")
        val = urllib.parse.unquote(rest[i + 1:end])
        if name in params:
            raise AuthFail("DuplicateParameter")
        params[name] = val
        i = end + 1
        while i < n and rest[i] in " \t":
            i += 1
        if i < n and rest[i] != ",":
            raise AuthFail("MalformedHeader")
    return params


def base_string(method, base_uri, raw_path, raw_query, oauth, form=None):
    pairs = [(k, v) for k, v in oauth.items()
             if k not in ("realm", "oauth_signature")]
    if raw_query:
        pairs += urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    if form:
        pairs += form
    norm = "&".join("%s=%s" % kv for kv in
                    sorted((enc(k), enc(v)) for k, v in pairs))
    return "&".join((method.upper(), enc(base_uri + raw_path), enc(norm)))


def sign(key, text):
    return base64.b64encode(hmac.new(key.encode(), text.encode(),
                                     hashlib.sha256).digest()).decode()


class Auth:
    """Verifies requests; keeps nonces, issued tokens and the audit log."""

    def __init__(self, sim):
        self.sim = sim
        self.lock = threading.Lock()
        self.nonces = {}        # (token_id, nonce) -> time seen
        self.tokens = {}        # access token -> {client, exp, revoked}
        self.revoked_tba = set()

    @property
    def config(self):
        return self.sim.config

    # --- TBA ---------------------------------------------------------

    def tba(self, req, header):
        info = {"scheme": "tba"}
        params = parse_oauth_header(header)
        info.update(consumer_key=params.get("oauth_consumer_key"),
                    token_id=params.get("oauth_token"),
                    nonce=params.get("oauth_nonce"),
                    timestamp=params.get("oauth_timestamp"))
        try:
            self._tba_checks(req, params)
        except AuthFail as e:
            e.info = info
            raise
        return info

    def _tba_checks(self, req, p):
        cfg = self.config["tba"]
        for name in TBA_REQUIRED:
            if name not in p:
                raise AuthFail("MissingParameter:" + name)
        if "oauth_version" in p and p["oauth_version"] != "1.0":
            raise AuthFail("UnsupportedVersion")
        if p["realm"] != self.config["account_id"]:
            raise AuthFail("RealmMismatch")
        if p["oauth_signature_method"] != "HMAC-SHA256":
            raise AuthFail("UnsupportedSignatureMethod")
        tokens = [t for t in self.sim.tba_tokens()
                  if t["consumer_key"] == p["oauth_consumer_key"]]
        if not tokens:
            raise AuthFail("UnknownConsumer")
        tok = next((t for t in tokens if t["token_id"] == p["oauth_token"]),
                   None)
        if tok is None:
            raise AuthFail("UnknownToken")
        if not tok.get("active", True) or tok["token_id"] in \
                self.revoked_tba:
            raise AuthFail("TokenRevoked")
        ts = p["oauth_timestamp"]
        now = self.sim.now()
        if not ts.isdigit() or abs(now - int(ts)) > cfg["timestamp_skew_s"]:
            raise AuthFail("InvalidTimestamp")
        lo, hi = cfg["nonce_len"]
        if not lo <= len(p["oauth_nonce"]) <= hi:
            raise AuthFail("InvalidNonce")
        form = None
        if req.content_type.startswith("application/x-www-form-urlencoded"):
            form = urllib.parse.parse_qsl(req.body.decode("latin-1"),
                                          keep_blank_values=True)
        text = base_string(req.method, req.base, req.raw_path, req.raw_query,
                           p, form)
        key = enc(tok["consumer_secret"]) + "&" + enc(tok["token_secret"])
        if not hmac.compare_digest(sign(key, text).encode(),
                                   p["oauth_signature"].encode()):
            raise AuthFail("InvalidSignature")
        with self.lock:
            ttl = cfg["nonce_ttl_s"]
            for k, seen in list(self.nonces.items()):
                if now - seen > ttl:
                    del self.nonces[k]
            k = (tok["token_id"], p["oauth_nonce"])
            if k in self.nonces:
                raise AuthFail("UsedNonce")
            self.nonces[k] = now

    # --- bearer tokens ---------------------------------------------------

    def bearer(self, token):
        info = {"scheme": "bearer"}
        with self.lock:
            t = self.tokens.get(token)
        if t is None:
            raise AuthFail("UnknownAccessToken", info)
        info["client_id"] = t["client_id"]
        if t["revoked"]:
            raise AuthFail("AccessTokenRevoked", info)
        if self.sim.now() >= t["exp"]:
            raise AuthFail("AccessTokenExpired", info)
        return info

    def revoke(self, token_id=None, access_token=None):
        with self.lock:
            if token_id:
                self.revoked_tba.add(token_id)
            if access_token and access_token in self.tokens:
                self.tokens[access_token]["revoked"] = True

    # --- OAuth 2.0 token endpoint -------------------------------------------

    def issue(self, req):
        """Returns (status, body dict, audit info)."""
        try:
            client_id, kid = self._check_assertion(req)
        except TokenError as e:
            return e.status, {"error": e.error}, {"scheme": "oauth2",
                                                  "reason": e.reason}
        ttl = self.config["oauth2"]["token_ttl_s"]
        token = self.sim.random_token()
        with self.lock:
            self.tokens[token] = {"client_id": client_id, "kid": kid,
                                  "exp": self.sim.now() + ttl,
                                  "revoked": False}
        body = {"access_token": token,
                "expires_in": str(ttl) if
                self.config["oauth2"]["expires_in_as_string"] else ttl,
                "token_type": "Bearer"}
        return 200, body, {"scheme": "oauth2", "client_id": client_id,
                           "kid": kid, "reason": None}

    def _check_assertion(self, req):
        if not req.content_type.startswith(
                "application/x-www-form-urlencoded"):
            raise TokenError(400, "invalid_request", "ContentType")
        form = dict(urllib.parse.parse_qsl(req.body.decode("latin-1"),
                                           keep_blank_values=True))
        gt = form.get("grant_type")
        if gt is None:
            raise TokenError(400, "invalid_request", "MissingGrantType")
        if gt != "client_credentials":
            raise TokenError(400, "unsupported_grant_type", "GrantType")
        if form.get("client_assertion_type") != \
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" or \
                not form.get("client_assertion"):
            raise TokenError(400, "invalid_request", "AssertionType")
        parts = form["client_assertion"].split(".")
        if len(parts) != 3:
            raise TokenError(400, "invalid_request", "MalformedJwt")
        try:
            header = json.loads(b64url(parts[0]))
            claims = json.loads(b64url(parts[1]))
            sig = b64url(parts[2])
        except ValueError:
            raise TokenError(400, "invalid_request", "MalformedJwt")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenError(400, "invalid_request", "MalformedJwt")
        cfg = self.config["oauth2"]
        allowed = {"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
        if cfg["accept_rs256"]:
            allowed.add("RS256")
        alg = header.get("alg")
        if header.get("typ") != "JWT" or alg not in allowed:
            raise TokenError(400, "invalid_grant", "Algorithm")
        client, cert = self._certificate(header.get("kid"))
        if alg not in cert.get("algs", list(allowed)):
            raise TokenError(400, "invalid_grant", "AlgorithmForCertificate")
        if claims.get("iss") != client["client_id"]:
            raise TokenError(401, "invalid_client", "Issuer")
        if claims.get("aud") not in self._audiences(req):
            raise TokenError(400, "invalid_grant", "Audience")
        scope = claims.get("scope")
        if isinstance(scope, str):
            scope = scope.replace(",", " ").split()
        if not isinstance(scope, list) or "rest_webservices" not in scope:
            raise TokenError(400, "invalid_scope", "Scope")
        iat, exp = claims.get("iat"), claims.get("exp")
        now = self.sim.now()
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   for v in (iat, exp)) or iat > now + 60 or exp <= now or \
                exp - iat >= 3600:
            raise TokenError(400, "invalid_grant", "Lifetime")
        signing_input = (parts[0] + "." + parts[1]).encode()
        if not verify_jws(alg, cert["public_key_pem"], signing_input, sig):
            raise TokenError(400, "invalid_grant", "Signature")
        return client["client_id"], header.get("kid")

    def _certificate(self, kid):
        for client in self.sim.oauth2_clients():
            for cert in client.get("certificates", []):
                if cert["kid"] == kid and not cert.get("revoked"):
                    return client, cert
        raise TokenError(401, "invalid_client", "UnknownKid")

    def _audiences(self, req):
        path = "/services/rest/auth/oauth2/v1/token"
        return {"https://%s%s" % (self.config["canonical_host"], path),
                req.base + path}


class TokenError(Exception):
    def __init__(self, status, error, reason):
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jws(alg, pem, signing_input, sig):
    """PS*/ES*/RS* signature check with python3-cryptography."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import \
        encode_dss_signature
    h = {"256": hashes.SHA256, "384": hashes.SHA384,
         "512": hashes.SHA512}[alg[2:]]()
    key = serialization.load_pem_public_key(pem.encode())
    try:
        if alg.startswith("ES"):
            if not isinstance(key, ec.EllipticCurvePublicKey):
                return False
            size = (key.curve.key_size + 7) // 8
            if len(sig) != 2 * size:
                return False
            der = encode_dss_signature(int.from_bytes(sig[:size], "big"),
                                       int.from_bytes(sig[size:], "big"))
            key.verify(der, signing_input, ec.ECDSA(h))
            return True
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        if alg.startswith("PS"):
            pad = padding.PSS(mgf=padding.MGF1(h),
                              salt_length=h.digest_size)
        else:
            pad = padding.PKCS1v15()
        key.verify(sig, signing_input, pad, h)
        return True
    except InvalidSignature:
        return False


def random_token(rng):
    """Opaque access token from the seeded RNG (or secrets if None)."""
    if rng is None:
        return secrets.token_urlsafe(48)
    return base64.urlsafe_b64encode(
        bytes(rng.getrandbits(8) for _ in range(48))).decode().rstrip("=")
