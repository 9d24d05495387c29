#!/usr/bin/env python3
"""A tiny HTTPS validating admission webhook for the smoke suite (test-only).

Usage: webhook.py PORT CERT KEY RECORD_FILE

Listens on 127.0.0.1:PORT with CERT/KEY. POST /validate takes an AdmissionReview v1,
appends it as one JSON line to RECORD_FILE, and denies any object labelled
gitdest.dev/e2e-deny=true with the message DENY_MESSAGE plus the object's name; others
are allowed. GET /healthz answers "ok" so the suite can wait for it. Stops on SIGTERM.
"""
import json
import signal
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DENY_LABEL = "gitdest.dev/e2e-deny"
DENY_MESSAGE = "denied by the gitdest e2e webhook"


class Handler(BaseHTTPRequestHandler):
    record_file = ""

    def log_message(self, fmt, *args):  # access log to stderr, which the suite keeps
        sys.stderr.write("webhook: " + (fmt % args) + "\n")

    def _send(self, code, body, content_type="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            self._send(200, "ok", "text/plain")
        else:
            self._send(404, "not found", "text/plain")

    def do_POST(self):
        if not self.path.startswith("/validate"):
            self._send(404, "not found", "text/plain")
            return
        length = int(self.headers.get("Content-Length", "0"))
        review = json.loads(self.rfile.read(length))
        with open(self.record_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(review) + "\n")
        request = review.get("request") or {}
        obj = request.get("object") or {}
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        response = {"uid": request.get("uid", ""), "allowed": True}
        if labels.get(DENY_LABEL) == "true":
            response["allowed"] = False
            response["status"] = {
                "code": 403,
                "message": f"{DENY_MESSAGE}: {meta.get('name', '')}",
            }
        self._send(200, json.dumps({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": response,
        }))


def main():
    port, cert, key, record = sys.argv[1:5]
    Handler.record_file = record
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
