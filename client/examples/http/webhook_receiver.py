#!/usr/bin/env python3
"""A leadrouter webhook receiver with nothing but the standard library: it
checks each request's signature, drops repeats by event id, and records the
events it took.

    webhook_receiver.py --port 8090 --secret_file secret --out events.log
        [--fail_every 5]   answer 500 to every 5th request (for tests)

A request is accepted when X-Leadrouter-Signature is "v1=" + hex
HMAC-SHA256(secret, timestamp + "." + body) and X-Leadrouter-Timestamp is
within 5 minutes of this clock. Each accepted request appends
"<event id> <type> <lead id>" (or "<event id> slack <text>") to --out (a repeat is appended too, marked
"again", so tests can see at-least-once delivery).
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port_file", default="")
    parser.add_argument("--secret_file", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fail_every", type=int, default=0)
    args = parser.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read().rstrip(b"\r\n")
    seen = set()
    requests = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            requests[0] += 1
            if args.fail_every and requests[0] % args.fail_every == 0:
                return self.answer(500)
            stamp = self.headers.get("X-Leadrouter-Timestamp", "")
            given = self.headers.get("X-Leadrouter-Signature", "")
            mac = hmac.new(secret, stamp.encode() + b"." + body,
                           hashlib.sha256).hexdigest()
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 300
            if not fresh or not hmac.compare_digest("v1=" + mac, given):
                with open(args.out, "a") as out:
                    out.write("BADSIG\n")
                return self.answer(401)
            event = json.loads(body)
            event_id = self.headers.get("X-Leadrouter-Event-Id", "")
            again = " again" if event_id in seen else ""
            seen.add(event_id)
            if "text" in event:  # the Slack format
                what = "slack " + event["text"]
            else:
                what = "%s %s" % (event.get("type"), event.get("leadId"))
            with open(args.out, "a") as out:
                out.write("%s %s%s\n" % (event_id, what, again))
                out.flush()
                os.fsync(out.fileno())
            self.answer(204)

    server = http.server.HTTPServer(("127.0.0.1", args.port), Handler)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
