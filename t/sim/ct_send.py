#!/usr/bin/env python3
"""Delivers commercetools messages to a URL the way each channel does.

    python3 t/sim/ct_send.py --url URL --channel CHANNEL [options] FILE...
    python3 t/sim/ct_send.py --url URL --channel CHANNEL --scenario DIR

Channels:
  hmac         a relay signing with Standard Webhooks (webhook-id,
               webhook-timestamp, webhook-signature "v1,<base64>")
  pubsub       Google Pub/Sub push: wrapped envelope + RS256 OIDC token
  sns          AWS SNS HTTPS Notification, SignatureVersion 1 or 2
  eventbridge  EventBridge API destination: event envelope + API key header
  eventgrid    Azure Event Grid, Event Grid schema (JSON array)
  cloudevents  Azure Event Grid delivering CloudEvents 1.0 (structured)
  none         the bare payload, unsigned

Delivery behaviour like the real senders: at-least-once (--duplicates),
unordered (--shuffle, --reorder), paced (--rate, --delay, --burst),
parallel (--concurrency) and retried on 408/429/5xx/connection errors with
exponential backoff honouring Retry-After (--retries).  Prints a JSON
summary (statuses, attempts, timing).  The keys default to the TEST-ONLY
material in t/fixtures/signatures.

Importable: sign_standard_webhooks, standard_webhooks_headers, pubsub_jwt,
pubsub_envelope, sns_string_to_sign, sns_sign, sns_notification,
sns_confirmation, sns_body, sns_headers, eventbridge_event, cloudevent,
eventgrid_event, eventgrid_options_handshake, eventgrid_validation,
payload_not_included,
build_request, post, deliver, Sender.
"""

import argparse
import base64
import glob
import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ctlib import (SIGNATURES, compact, iso_from_unix, iso_ms,  # noqa
                   load_json, utcnow)

CHANNELS = ("hmac", "pubsub", "sns", "eventbridge", "eventgrid",
            "cloudevents", "none")

DEFAULT_KEY = os.path.join(SIGNATURES, "TEST-ONLY-rsa2048-private-key.pem")
DEFAULT_JWKS = os.path.join(SIGNATURES, "jwks.json")
DEFAULT_EMAIL = "ct-push-invoker@example-project.iam.gserviceaccount.com"
DEFAULT_SA_ID = "104711223344556677889"
DEFAULT_SUBSCRIPTION = "projects/example-project/subscriptions/ct-orders-push"
DEFAULT_TOPIC = "arn:aws:sns:us-east-1:123456789012:ct-order-events"
DEFAULT_CERT_URL = ("https://sns.us-east-1.amazonaws.com/SimpleNotification"
                    "Service-0123456789abcdef0123456789abcdef.pem")
DEFAULT_EB_SOURCE = ("aws.partner/commercetools.com/example-shop/"
                     "ct-netsuite-finance")
DEFAULT_EG_TOPIC = ("/subscriptions/5f3c8e21-9a4b-4d67-b0e2-7c1f9a3d6b58/"
                    "resourceGroups/rg-commerce/providers/"
                    "Microsoft.EventGrid/topics/ct-order-events")
GOOGLE_ISS = "https://accounts.google.com"
PUBSUB_ACK = (102, 200, 201, 202, 204)

_key_cache = {}
_key_lock = threading.Lock()


# --- keys --------------------------------------------------------------------

def load_private_key(path=None):
    """The RSA private key in PEM file path (default: the TEST-ONLY key)."""
    from cryptography.hazmat.primitives.serialization import \
        load_pem_private_key
    path = path or DEFAULT_KEY
    with _key_lock:
        if path not in _key_cache:
            with open(path, "rb") as f:
                _key_cache[path] = load_pem_private_key(f.read(), None)
        return _key_cache[path]


def default_kid():
    return load_json(DEFAULT_JWKS)["keys"][0]["kid"]


def _rsa_sign(data, digest, key):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    if key is None or isinstance(key, str):
        key = load_private_key(key)
    algo = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256()}[digest]
    return key.sign(data, padding.PKCS1v15(), algo)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _bytes(body):
    return body if isinstance(body, bytes) else \
        body.encode("utf-8") if isinstance(body, str) else compact(body)


# --- Standard Webhooks -------------------------------------------------------

def standard_webhooks_key(secret):
    """HMAC key bytes of a `whsec_<base64>` secret (padding optional)."""
    if isinstance(secret, bytes):
        return secret
    raw = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)


def sign_standard_webhooks(secret, msg_id, timestamp, body):
    """`v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`; a list of
    secrets gives one space-separated entry per secret (rotation)."""
    if isinstance(secret, (list, tuple)):
        return " ".join(sign_standard_webhooks(s, msg_id, timestamp, body)
                        for s in secret)
    content = ("%s.%s." % (msg_id, timestamp)).encode("utf-8") + \
        _bytes(body)
    mac = hmac.new(standard_webhooks_key(secret), content,
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def standard_webhooks_headers(secret, msg_id, timestamp, body):
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard_webhooks(secret, msg_id,
                                                        timestamp, body)}


# --- Google Pub/Sub push -----------------------------------------------------

def pubsub_jwt(audience, email=DEFAULT_EMAIL, iat=None, exp=None,
               lifetime=3600, iss=GOOGLE_ISS, sub=DEFAULT_SA_ID,
               azp=DEFAULT_SA_ID, email_verified=True, kid=None, key=None,
               extra_claims=None):
    """An RS256 OIDC token shaped like the ones Pub/Sub push attaches.

    Header and claims are compact JSON with sorted keys, as in
    t/fixtures/signatures/pubsub-jwt*.txt; `key` is a PEM path or a key
    object (default: the TEST-ONLY key), `kid` defaults to jwks.json's."""
    iat = int(time.time()) if iat is None else int(iat)
    exp = iat + lifetime if exp is None else int(exp)
    header = {"alg": "RS256", "kid": kid or default_kid(), "typ": "JWT"}
    claims = {"aud": audience, "azp": azp, "email": email,
              "email_verified": email_verified, "exp": exp, "iat": iat,
              "iss": iss, "sub": sub}
    claims.update(extra_claims or {})
    signing_input = (b64url(json.dumps(header, separators=(",", ":"),
                                       sort_keys=True).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":"),
                                       sort_keys=True).encode()))
    sig = _rsa_sign(signing_input.encode("ascii"), "sha256", key)
    return signing_input + "." + b64url(sig)


def pubsub_envelope(data, message_id, publish_time,
                    subscription=DEFAULT_SUBSCRIPTION, attributes=None,
                    ordering_key=None, delivery_attempt=None):
    """The wrapped push body (bytes): message.data = base64 of data,
    both camelCase and snake_case id/time fields, sorted keys."""
    msg = {"attributes": attributes or {},
           "data": base64.b64encode(_bytes(data)).decode("ascii"),
           "messageId": message_id, "message_id": message_id,
           "publishTime": publish_time, "publish_time": publish_time}
    if ordering_key:
        msg["orderingKey"] = ordering_key
    env = {"message": msg, "subscription": subscription}
    if delivery_attempt is not None:
        env["deliveryAttempt"] = delivery_attempt
    return (json.dumps(env, indent=2, sort_keys=True) + "\n").encode()


# --- AWS SNS -----------------------------------------------------------------

SNS_SIGNED = ("Message", "MessageId", "Subject", "SubscribeURL", "Timestamp",
              "Token", "TopicArn", "Type")


def sns_string_to_sign(msg):
    """Bytes SNS signs: `Name\\nValue\\n` for each signed field present."""
    out = []
    for name in SNS_SIGNED:
        if msg.get(name) is not None:
            out.append("%s\n%s\n" % (name, msg[name]))
    return "".join(out).encode("utf-8")


def sns_sign(msg, version=2, key=None):
    """Base64 signature of msg: v1 SHA1withRSA, v2 SHA256withRSA."""
    digest = {1: "sha1", 2: "sha256"}[int(version)]
    return base64.b64encode(_rsa_sign(sns_string_to_sign(msg), digest,
                                      key)).decode("ascii")


def _sns_finish(msg, version, signing_cert_url, key, tail=None):
    msg["SignatureVersion"] = str(version)
    msg["Signature"] = sns_sign(msg, version, key)
    msg["SigningCertURL"] = signing_cert_url
    msg.update(tail or {})
    return msg


def sns_notification(message, message_id, timestamp,
                     topic_arn=DEFAULT_TOPIC, subject=None, version=2,
                     signing_cert_url=DEFAULT_CERT_URL, unsubscribe_url=None,
                     subscription_id="5b1e7c9a-3f0d-4e8b-9a61-2c4d7e8f9012",
                     key=None):
    """A signed SNS Notification (dict, fields in AWS order)."""
    msg = {"Type": "Notification", "MessageId": message_id,
           "TopicArn": topic_arn}
    if subject is not None:
        msg["Subject"] = subject
    msg["Message"] = message if isinstance(message, str) else \
        _bytes(message).decode("utf-8")
    msg["Timestamp"] = timestamp
    if unsubscribe_url is None:
        unsubscribe_url = sns_url(topic_arn, "Unsubscribe",
                                  "SubscriptionArn=%s:%s"
                                  % (topic_arn, subscription_id))
    return _sns_finish(msg, version, signing_cert_url, key,
                       {"UnsubscribeURL": unsubscribe_url})


def sns_url(topic_arn, action, query):
    region = topic_arn.split(":")[3]
    return "https://sns.%s.amazonaws.com/?Action=%s&%s" % (region, action,
                                                           query)


def sns_confirmation(message_id, token, timestamp, topic_arn=DEFAULT_TOPIC,
                     kind="SubscriptionConfirmation", message=None,
                     subscribe_url=None, version=2,
                     signing_cert_url=DEFAULT_CERT_URL, key=None):
    """A signed SubscriptionConfirmation or UnsubscribeConfirmation."""
    msg = {"Type": kind, "MessageId": message_id, "Token": token,
           "TopicArn": topic_arn,
           "Message": message or (
               "You have chosen to subscribe to the topic %s.\nTo confirm "
               "the subscription, visit the SubscribeURL included in this "
               "message." % topic_arn),
           "SubscribeURL": subscribe_url or sns_url(
               topic_arn, "ConfirmSubscription",
               "TopicArn=%s&Token=%s" % (topic_arn, token)),
           "Timestamp": timestamp}
    return _sns_finish(msg, version, signing_cert_url, key)


def sns_body(msg):
    """Envelope bytes as SNS posts them (JSON, raw UTF-8)."""
    return (json.dumps(msg, indent=2, ensure_ascii=False) + "\n") \
        .encode("utf-8")


def sns_headers(msg, subscription_arn=None):
    h = {"Content-Type": "text/plain; charset=UTF-8",
         "User-Agent": "Amazon Simple Notification Service Agent",
         "x-amz-sns-message-type": msg["Type"],
         "x-amz-sns-message-id": msg["MessageId"],
         "x-amz-sns-topic-arn": msg["TopicArn"]}
    if msg["Type"] == "Notification":
        h["x-amz-sns-subscription-arn"] = subscription_arn or \
            msg["UnsubscribeURL"].rpartition("SubscriptionArn=")[2]
    return h


# --- EventBridge, CloudEvents, Event Grid ------------------------------------

def payload_type(payload):
    """Message type of a delivery payload (or its notificationType)."""
    return payload.get("type") or \
        (payload.get("payloadNotIncluded") or {}).get("payloadType") or \
        payload.get("notificationType") or "Unknown"


def eventbridge_event(payload, event_id, time_iso, source=DEFAULT_EB_SOURCE,
                      account="123456789012", region="us-east-1"):
    return {"version": "0", "id": event_id,
            "detail-type": payload_type(payload), "source": source,
            "account": account, "time": time_iso, "region": region,
            "resources": [], "detail": payload}


def cloudevent(payload):
    """commercetools' CloudEvents 1.0 format of a Platform payload."""
    if payload.get("specversion"):
        return payload
    res = payload.get("resource") or {}
    type_id = res.get("typeId", "unknown")
    project = payload.get("projectKey", "")
    is_msg = payload.get("notificationType") == "Message"
    ev = {"specversion": "1.0",
          "id": payload.get("id") or "%s-%s-%s" % (
              type_id, res.get("id"), payload.get("version")),
          "type": "com.commercetools.%s.%s.%s" % (
              type_id, "message" if is_msg else "change",
              payload_type(payload)),
          "source": "/%s/%ss" % (project, type_id),
          "subject": res.get("id"),
          "time": payload.get("lastModifiedAt") or payload.get("modifiedAt")}
    if is_msg:
        ev["sequence"] = str(payload.get("sequenceNumber"))
        ev["sequencetype"] = "Integer"
        ev["dataref"] = "/%s/messages/%s" % (project, payload.get("id"))
    ev["data"] = payload
    return ev


def eventgrid_event(payload, event_id, time_iso, topic=DEFAULT_EG_TOPIC):
    """One event in Event Grid schema (the body is a JSON array of them)."""
    res = payload.get("resource") or {}
    return {"id": event_id, "topic": topic,
            "subject": "/%s/%ss/%s" % (payload.get("projectKey"),
                                       res.get("typeId"), res.get("id")),
            "eventType": "com.commercetools.%s.%s" % (
                res.get("typeId"), payload_type(payload)),
            "eventTime": time_iso, "data": payload, "dataVersion": "1",
            "metadataVersion": "1"}


# --- payloads commercetools cannot deliver whole ----------------------------

KEPT_WHEN_DROPPED = ("notificationType", "projectKey", "id", "version",
                     "sequenceNumber", "resource", "resourceVersion",
                     "resourceUserProvidedIdentifiers", "createdAt",
                     "lastModifiedAt")


def payload_not_included(payload, reason="Payload too large."):
    """The Message as commercetools delivers it when the body is dropped:
    common fields only, `payloadNotIncluded` instead of `type` and the
    type-specific fields (shape of the spec's fixture)."""
    out = {}
    for k in KEPT_WHEN_DROPPED:
        if k in payload:
            out[k] = payload[k]
        if k == "resourceUserProvidedIdentifiers":
            out["payloadNotIncluded"] = {"reason": reason,
                                         "payloadType": payload_type(payload)}
    return out


# --- building one request ----------------------------------------------------

def _derived_id(body, salt, fmt="uuid"):
    h = hashlib.sha256(salt.encode() + b"\0" + body).digest()
    if fmt == "digits":
        return str(int.from_bytes(h[:8], "big") % 10 ** 16).rjust(16, "1")
    return str(uuid.UUID(bytes=h[:16], version=4))


def build_request(channel, message, attempt=1, now=None, **opt):
    """(headers, body bytes, extra query params) for one delivery attempt.

    `message` is the commercetools payload (bytes as commercetools sent
    them, or a dict).  Channel ids derive from the payload and opt["salt"]
    so that a redelivery (same salt) reuses them, as the services do."""
    if channel not in CHANNELS:
        raise ValueError("unknown channel %r (one of %s)"
                         % (channel, ", ".join(CHANNELS)))
    if channel == "hmac" and not opt.get("secret"):
        raise ValueError("channel hmac needs secret= (whsec_...)")
    body = _bytes(message)
    payload = json.loads(body.decode("utf-8"))
    salt = "%s:%s" % (channel, opt.get("salt", ""))
    now = time.time() if now is None else now
    first = opt.get("first_sent", now)
    stamp = iso_from_unix(first)
    headers = dict(opt.get("headers") or {})
    query = {}
    if channel in ("none", "hmac"):
        headers.setdefault("Content-Type", "application/json")
        if channel == "hmac":
            msg_id = opt.get("msg_id") or payload.get("id") or \
                _derived_id(body, salt)
            headers.update(standard_webhooks_headers(
                opt["secret"], msg_id,
                int(opt.get("timestamp") or now), body))
        return headers, body, query
    if channel == "pubsub":
        out = pubsub_envelope(
            body, opt.get("message_id") or _derived_id(body, salt, "digits"),
            opt.get("publish_time") or stamp,
            subscription=opt.get("subscription", DEFAULT_SUBSCRIPTION),
            attributes=opt.get("attributes"),
            ordering_key=opt.get("ordering_key"))
        headers.setdefault("Content-Type", "application/json")
        headers.setdefault("User-Agent", "APIs-Google; (+https://developers"
                           ".google.com/webmasters/APIs-Google.html)")
        if not opt.get("no_token"):
            token = opt.get("token") or pubsub_jwt(
                opt.get("audience") or opt.get("url") or "",
                email=opt.get("email", DEFAULT_EMAIL),
                iat=int(opt.get("iat") or now), kid=opt.get("kid"),
                key=opt.get("key"))
            headers["Authorization"] = "Bearer " + token
        return headers, out, query
    if channel == "sns":
        msg = sns_notification(
            body.decode("utf-8"),
            opt.get("message_id") or _derived_id(body, salt),
            opt.get("timestamp_iso") or stamp,
            topic_arn=opt.get("topic_arn", DEFAULT_TOPIC),
            subject=opt.get("subject"), version=int(opt.get("version", 2)),
            signing_cert_url=opt.get("signing_cert_url", DEFAULT_CERT_URL),
            key=opt.get("key"))
        headers.update(sns_headers(msg))
        return headers, sns_body(msg), query
    if channel == "eventbridge":
        ev = eventbridge_event(
            payload, opt.get("event_id") or _derived_id(body, salt),
            stamp[:19] + "Z", source=opt.get("source", DEFAULT_EB_SOURCE))
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        headers.setdefault("User-Agent", "Amazon/EventBridge/ApiDestinations")
        if opt.get("api_key") is not None:
            headers[opt.get("api_key_header") or "x-api-key"] = \
                opt["api_key"]
        if opt.get("basic"):
            headers["Authorization"] = "Basic " + base64.b64encode(
                opt["basic"].encode("utf-8")).decode("ascii")
        return headers, compact(ev), query
    # Event Grid, either schema
    if channel == "cloudevents" or opt.get("schema") == "cloudevents":
        out = compact(cloudevent(payload))
        headers.setdefault("Content-Type",
                           "application/cloudevents+json; charset=utf-8")
        headers.setdefault("Origin", "eventgrid.azure.net")
    else:
        out = compact([eventgrid_event(
            payload, opt.get("event_id") or _derived_id(body, salt), stamp,
            topic=opt.get("topic", DEFAULT_EG_TOPIC))])
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    headers.update({"aeg-event-type": "Notification",
                    "aeg-subscription-name":
                        opt.get("subscription_name", "CT-NETSUITE"),
                    "aeg-delivery-count": str(attempt - 1),
                    "aeg-metadata-version": "1", "aeg-data-version": "1"})
    if opt.get("secret") is not None:
        if opt.get("secret_header"):
            headers[opt["secret_header"]] = opt["secret"]
        else:
            query[opt.get("secret_query") or "code"] = opt["secret"]
    return headers, out, query


# --- HTTP --------------------------------------------------------------------

class _Conn:
    """One keep-alive connection per thread."""

    def __init__(self, url, timeout):
        self.url = urllib.parse.urlsplit(url)
        if self.url.scheme not in ("http", "https"):
            raise ValueError("URL must be http(s): %s" % url)
        self.timeout = timeout
        self.conn = None

    def _open(self):
        cls = http.client.HTTPSConnection if self.url.scheme == "https" \
            else http.client.HTTPConnection
        self.conn = cls(self.url.hostname, self.url.port,
                        timeout=self.timeout)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method, headers, body, query):
        path = self.url.path or "/"
        q = self.url.query
        if query:
            q = (q + "&" if q else "") + urllib.parse.urlencode(query)
        if q:
            path += "?" + q
        for again in (True, False):
            if self.conn is None:
                self._open()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, dict(resp.getheaders()), data
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as e:
                # a reused keep-alive connection the server had closed
                self.close()
                if not again:
                    raise e

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def post(url, headers, body, query=None, method="POST", timeout=10.0):
    """One HTTP request on a fresh connection: (status, headers, body)."""
    conn = _Conn(url, timeout)
    try:
        return conn.request(method, headers, body, query or {})
    finally:
        conn.close()


def deliver(url, channel, message, timeout=10.0, method="POST", **opt):
    """One delivery attempt, no retries: (status, headers, body bytes)."""
    opt.setdefault("url", url)
    headers, body, query = build_request(channel, message, **opt)
    return post(url, headers, body, query, method, timeout)


def eventgrid_options_handshake(url, origin="eventgrid.azure.net",
                                rate=None, timeout=10.0):
    """CloudEvents abuse-protection preflight; returns (status, headers)."""
    headers = {"WebHook-Request-Origin": origin}
    if rate is not None:
        headers["WebHook-Request-Rate"] = str(rate)
    status, rh, _ = post(url, headers, None, method="OPTIONS",
                         timeout=timeout)
    return status, rh


def eventgrid_validation(url, code, secret=None, secret_query="code",
                         timeout=10.0):
    """Event Grid schema SubscriptionValidationEvent; (status, body)."""
    ev = [{"id": str(uuid.uuid4()), "topic": DEFAULT_EG_TOPIC, "subject": "",
           "data": {"validationCode": code,
                    "validationUrl": "https://rp-westeurope.eventgrid.azure"
                    ".net:553/eventsubscriptions/ct-netsuite/validate?id="
                    + code},
           "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
           "eventTime": iso_ms(utcnow()), "metadataVersion": "1",
           "dataVersion": "2"}]
    query = {secret_query: secret} if secret is not None else {}
    status, _, body = post(url, {"Content-Type": "application/json",
                                 "aeg-event-type": "SubscriptionValidation"},
                           compact(ev), query, timeout=timeout)
    return status, body


# --- the sender --------------------------------------------------------------

def _retry_after(headers):
    for k, v in headers.items():
        if k.lower() == "retry-after":
            try:
                return max(0.0, float(v))
            except ValueError:
                return None
    return None


class Sender:
    """Sends a list of (name, payload bytes) with the delivery options."""

    def __init__(self, url, channel, opts=None, concurrency=1, rate=None,
                 delay=0.0, burst=None, burst_pause=1.0, retries=3,
                 backoff=0.2, backoff_max=10.0, max_retry_after=30.0,
                 timeout=10.0, retry_4xx=False, seed=0):
        if channel not in CHANNELS:
            raise ValueError("unknown channel %r" % channel)
        self.url, self.channel = url, channel
        self.opts = dict(opts or {})
        self.opts.setdefault("url", url)
        self.concurrency = max(1, concurrency)
        self.interval = 1.0 / rate if rate else 0.0
        self.delay, self.burst, self.burst_pause = delay, burst, burst_pause
        self.retries, self.backoff, self.backoff_max = retries, backoff, \
            backoff_max
        self.max_retry_after, self.timeout = max_retry_after, timeout
        self.retry_4xx = retry_4xx
        self.rng = random.Random(seed)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.next_slot = time.monotonic()

    def plan(self, items, duplicates=1, shuffle=False, reorder=0,
             fresh_ids=False, max_payload=None):
        """Expands duplicates and reorders; returns the send list.
        Message payloads over max_payload bytes lose their body the way
        commercetools drops them for a destination's size limit."""
        out = []
        for idx, (name, body) in enumerate(items):
            if max_payload and len(body) > max_payload:
                payload = json.loads(body.decode("utf-8"))
                if payload.get("notificationType") == "Message":
                    body = compact(payload_not_included(payload))
            for dup in range(max(1, duplicates)):
                salt = "%d" % dup if fresh_ids else ""
                out.append({"name": name, "body": body, "dup": dup,
                            "salt": salt, "index": idx})
        if shuffle:
            self.rng.shuffle(out)
        elif reorder:
            keyed = [(i + self.rng.uniform(0, reorder), i, d)
                     for i, d in enumerate(out)]
            out = [d for _, _, d in sorted(keyed)]
        return out

    def _pace(self):
        if self.interval:
            with self.lock:
                slot = max(self.next_slot, time.monotonic())
                self.next_slot = slot + self.interval
            wait = slot - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        if self.delay:
            time.sleep(self.delay)

    def _conn(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = _Conn(self.url, self.timeout)
        return self.local.conn

    def _ok(self, status):
        if self.channel == "pubsub":
            return status in PUBSUB_ACK
        return 200 <= status < 300

    def _retryable(self, status):
        return status in (0, 408, 429) or status >= 500 or \
            (self.retry_4xx and status >= 400)

    def send_one(self, item):
        statuses, first = [], time.time()
        t0 = time.monotonic()
        opt = dict(self.opts, salt=item["salt"], first_sent=first)
        for attempt in range(1, self.retries + 2):
            self._pace()
            headers, body, query = build_request(
                self.channel, item["body"], attempt=attempt, **opt)
            try:
                status, rh, _ = self._conn().request("POST", headers, body,
                                                     query)
            except (OSError, http.client.HTTPException):
                status, rh = 0, {}
                self._conn().close()
            statuses.append(status)
            if self._ok(status) or not self._retryable(status) or \
                    attempt > self.retries:
                break
            wait = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
            wait *= 0.5 + self.rng.random() / 2
            ra = _retry_after(rh)
            if ra is not None:
                wait = max(wait, min(ra, self.max_retry_after))
            time.sleep(wait)
        return {"file": item["name"], "dup": item["dup"],
                "status": statuses[-1], "attempts": len(statuses),
                "statuses": statuses,
                "ms": round((time.monotonic() - t0) * 1000, 1)}

    def run(self, plan):
        t0 = time.monotonic()
        results = []
        chunks = [plan[i:i + self.burst] for i in
                  range(0, len(plan), self.burst)] if self.burst else [plan]
        with ThreadPoolExecutor(self.concurrency) as pool:
            for n, chunk in enumerate(chunks):
                if n and self.burst_pause:
                    time.sleep(self.burst_pause)
                results.extend(pool.map(self.send_one, chunk))
        elapsed = time.monotonic() - t0
        return summarize(self.url, self.channel, results, elapsed,
                         ok=self._ok)


def summarize(url, channel, results, elapsed, ok):
    final, every = {}, {}
    for r in results:
        final[str(r["status"])] = final.get(str(r["status"]), 0) + 1
        for s in r["statuses"]:
            every[str(s)] = every.get(str(s), 0) + 1
    attempts = sum(r["attempts"] for r in results)
    return {"url": url, "channel": channel,
            "messages": len({r["file"] for r in results}),
            "deliveries": len(results), "attempts": attempts,
            "retried": sum(1 for r in results if r["attempts"] > 1),
            "failed": sum(1 for r in results if not ok(r["status"])),
            "by_status": final, "attempt_status": every,
            "elapsed_s": round(elapsed, 3),
            "deliveries_per_s": round(len(results) / elapsed, 1)
            if elapsed else None,
            "results": results}


def read_inputs(files, scenario):
    """[(name, bytes)] from files and/or a scenario's messages/ dir."""
    paths = list(files)
    if scenario:
        found = sorted(glob.glob(os.path.join(scenario, "messages",
                                              "*.json")))
        if not found:
            raise SystemExit("ct_send: no messages/*.json in %s" % scenario)
        paths += found
    if not paths:
        raise SystemExit("ct_send: give message files or --scenario DIR")
    items = []
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        try:
            json.loads(data.decode("utf-8"))
        except ValueError as e:
            raise SystemExit("ct_send: %s: not JSON: %s" % (p, e))
        items.append((p, data))
    return items


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Deliver commercetools messages like a queue service.")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--url", required=True)
    ap.add_argument("--channel", required=True, choices=CHANNELS)
    ap.add_argument("--scenario", help="replay DIR/messages/*.json in order")
    g = ap.add_argument_group("delivery")
    g.add_argument("--duplicates", type=int, default=1,
                   help="send every message N times")
    g.add_argument("--fresh-ids", action="store_true",
                   help="duplicates get new channel ids (a commercetools "
                   "re-publish) instead of the same ids (a redelivery)")
    g.add_argument("--max-payload", type=int,
                   help="drop the body of Messages larger than BYTES "
                   "(payloadNotIncluded), as commercetools does for a "
                   "destination's size limit (SNS/SQS/EventBridge: 262144)")
    g.add_argument("--shuffle", action="store_true")
    g.add_argument("--reorder", type=int, default=0,
                   help="move each delivery up to N places (seeded)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--delay", type=float, default=0.0,
                   help="seconds to wait before each request")
    g.add_argument("--burst", type=int, help="send in bursts of N")
    g.add_argument("--burst-pause", type=float, default=1.0)
    g.add_argument("--rate", type=float, help="requests per second")
    g.add_argument("--concurrency", type=int, default=1)
    g.add_argument("--retries", type=int, default=3)
    g.add_argument("--backoff", type=float, default=0.2)
    g.add_argument("--backoff-max", type=float, default=10.0)
    g.add_argument("--retry-4xx", action="store_true",
                   help="retry 4xx too (Pub/Sub redelivers any non-ack)")
    g.add_argument("--timeout", type=float, default=10.0)
    g.add_argument("--header", action="append", default=[],
                   help="extra request header NAME:VALUE")
    g.add_argument("--summary", help="write the JSON summary here")
    g.add_argument("--brief", action="store_true",
                   help="leave per-delivery results out of the summary")
    c = ap.add_argument_group("channels")
    c.add_argument("--secret", action="append",
                   help="hmac: whsec_ secret (repeat to rotate); "
                   "eventgrid/cloudevents: shared secret")
    c.add_argument("--audience", help="pubsub: aud (default: the URL)")
    c.add_argument("--email", default=DEFAULT_EMAIL)
    c.add_argument("--key", help="RSA private key PEM (default TEST-ONLY)")
    c.add_argument("--kid")
    c.add_argument("--subscription", default=DEFAULT_SUBSCRIPTION)
    c.add_argument("--attributes", help="pubsub: attributes as JSON")
    c.add_argument("--no-token", action="store_true")
    c.add_argument("--topic-arn", default=DEFAULT_TOPIC)
    c.add_argument("--signing-cert-url", default=DEFAULT_CERT_URL)
    c.add_argument("--sns-version", type=int, choices=(1, 2), default=2)
    c.add_argument("--subject")
    c.add_argument("--sns-confirm", action="store_true",
                   help="send a SubscriptionConfirmation first")
    c.add_argument("--api-key-header", default="x-api-key")
    c.add_argument("--api-key")
    c.add_argument("--basic", help="eventbridge: user:password")
    c.add_argument("--eb-source", default=DEFAULT_EB_SOURCE)
    c.add_argument("--secret-header", help="eventgrid: secret in header")
    c.add_argument("--secret-query", default="code",
                   help="eventgrid: secret as query parameter (default)")
    c.add_argument("--subscription-name", default="CT-NETSUITE")
    a = ap.parse_args(argv)

    headers = {}
    for h in a.header:
        k, sep, v = h.partition(":")
        if not sep:
            ap.error("--header wants NAME:VALUE, got %r" % h)
        headers[k.strip()] = v.strip()
    opts = {"headers": headers, "audience": a.audience, "email": a.email,
            "key": a.key, "kid": a.kid, "subscription": a.subscription,
            "attributes": json.loads(a.attributes) if a.attributes else None,
            "no_token": a.no_token, "topic_arn": a.topic_arn,
            "signing_cert_url": a.signing_cert_url, "version": a.sns_version,
            "subject": a.subject, "api_key_header": a.api_key_header,
            "api_key": a.api_key, "basic": a.basic, "source": a.eb_source,
            "secret_header": a.secret_header, "secret_query": a.secret_query,
            "subscription_name": a.subscription_name}
    if a.channel == "hmac":
        if not a.secret:
            ap.error("--channel hmac needs --secret whsec_...")
        opts["secret"] = a.secret if len(a.secret) > 1 else a.secret[0]
    elif a.secret:
        opts["secret"] = a.secret[0]
    if a.channel == "eventbridge" and not (a.api_key or a.basic):
        ap.error("--channel eventbridge needs --api-key or --basic")
    items = read_inputs(a.files, a.scenario)
    sender = Sender(a.url, a.channel, opts, concurrency=a.concurrency,
                    rate=a.rate, delay=a.delay, burst=a.burst,
                    burst_pause=a.burst_pause, retries=a.retries,
                    backoff=a.backoff, backoff_max=a.backoff_max,
                    timeout=a.timeout, retry_4xx=a.retry_4xx, seed=a.seed)
    if a.sns_confirm:
        conf = sns_confirmation(str(uuid.uuid4()), os.urandom(32).hex(),
                                iso_ms(utcnow()), topic_arn=a.topic_arn,
                                version=a.sns_version,
                                signing_cert_url=a.signing_cert_url,
                                key=a.key)
        status, _, _ = post(a.url, dict(sns_headers(conf), **headers),
                            sns_body(conf), timeout=a.timeout)
        print("ct_send: SubscriptionConfirmation -> %d" % status,
              file=sys.stderr)
    plan = sender.plan(items, a.duplicates, a.shuffle, a.reorder,
                       a.fresh_ids, a.max_payload)
    summary = sender.run(plan)
    if a.brief:
        del summary["results"]
    text = json.dumps(summary, indent=2)
    if a.summary:
        with open(a.summary, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
