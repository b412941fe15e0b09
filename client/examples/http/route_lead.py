#!/usr/bin/env python3
"""Routes one lead through leadrouterd's HTTP/JSON port with nothing but the
standard library (urllib), then reads its assignment back.

    route_lead.py BASE_URL LEAD_ID [COUNTRY]
    LEADROUTER_TOKEN=...  adds "Authorization: Bearer ..." when set
    LEADROUTER_CA=ca.pem  trusts that CA for https:// (else the system's)

Prints "lead ID -> rep REP by rule RULE (VERSION)" or "lead ID -> queue Q";
an HTTP error prints its JSON {code, message} and exits 1.
"""
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request


def call(base, method, path, body=None):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    token = os.environ.get("LEADROUTER_TOKEN")
    if token:
        headers["Authorization"] = "Bearer " + token
    context = None
    if os.environ.get("LEADROUTER_CA"):
        context = ssl.create_default_context(cafile=os.environ["LEADROUTER_CA"])
    request = urllib.request.Request(base + path, data=data, headers=headers,
                                     method=method)
    with urllib.request.urlopen(request, timeout=30, context=context) as r:
        return json.load(r)


def main():
    base, lead_id = sys.argv[1], sys.argv[2]
    country = sys.argv[3] if len(sys.argv) > 3 else "DE"
    lead = {
        "id": lead_id,
        "email": "buyer@" + lead_id.lower() + ".example.com",
        "countryCode": country,
        "stage": "STAGE_SQL",
        "score": 70,
    }
    try:
        routed = call(base, "POST", "/v1/leads:route", {"lead": lead})
        quoted = urllib.parse.quote(lead_id, safe="")
        stored = call(base, "GET", "/v1/assignments/" + quoted)
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode("utf-8"), file=sys.stderr)
        return 1
    a = routed["assignment"]
    assert stored["etag"] == a["etag"], (stored, a)
    if a.get("state") == "ASSIGNMENT_STATE_ASSIGNED":
        print("lead %s -> rep %s by rule %s (%s)" %
              (lead_id, a["repId"], a["ruleId"], a["configVersion"]))
    else:
        print("lead %s -> queue %s" % (lead_id, a.get("queue", "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
