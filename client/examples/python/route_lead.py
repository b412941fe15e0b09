#!/usr/bin/python3
"""Routes one lead through leadrouter from Python, using only the .proto files.

Generate the stubs once (Debian: protobuf-compiler, protobuf-compiler-grpc,
python3-grpcio, python3-protobuf):

    mkdir -p /tmp/leadrouter_py
    protoc -I proto --python_out=/tmp/leadrouter_py \
        --grpc_python_out=/tmp/leadrouter_py \
        --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
        proto/leadrouter/v1/*.proto

then, against a development server (plaintext on loopback, no auth):

    /usr/bin/python3 client/examples/python/route_lead.py \
        --stubs /tmp/leadrouter_py --server 127.0.0.1:50051 --id PY-1

or against a production one (TLS and a bearer token of a principal with the
router role, from the environment so it stays out of the process list):

    LEADROUTER_TOKEN=lrt_... /usr/bin/python3 client/examples/python/route_lead.py \
        --stubs /tmp/leadrouter_py --server leadrouter.example.com:50051 \
        --ca ca.pem --id PY-1
"""
import argparse
import os
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--stubs", required=True,
                        help="directory with the generated *_pb2*.py")
    parser.add_argument("--id", default="PY-1", help="the lead id")
    parser.add_argument("--country", default="DE")
    parser.add_argument("--ca", help="PEM CA file: connect with TLS")
    parser.add_argument("--cert", help="PEM client certificate (mutual TLS)")
    parser.add_argument("--key", help="PEM key of --cert")
    args = parser.parse_args()
    token = os.environ.get("LEADROUTER_TOKEN", "")

    sys.path.insert(0, args.stubs)
    import grpc
    from leadrouter.v1 import lead_pb2, lead_router_pb2, lead_router_pb2_grpc

    lead = lead_pb2.Lead(id=args.id, country_code=args.country,
                         postal_code="80331",
                         stage=lead_pb2.STAGE_SQL, score=70,
                         product_interests=["insights"])
    if args.ca:
        def read(path):
            with open(path, "rb") as f:
                return f.read()
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read(args.ca),
            private_key=read(args.key) if args.key else None,
            certificate_chain=read(args.cert) if args.cert else None)
        channel = grpc.secure_channel(args.server, credentials)
    else:
        channel = grpc.insecure_channel(args.server)
    metadata = [("authorization", f"Bearer {token}")] if token else []
    with channel:
        stub = lead_router_pb2_grpc.LeadRouterStub(channel)
        try:
            response = stub.RouteLead(
                lead_router_pb2.RouteLeadRequest(lead=lead), timeout=10,
                metadata=metadata)
        except grpc.RpcError as e:
            print(f"error {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    a = response.assignment
    where = f"rep {a.rep_id}" if a.rep_id else f"queue {a.queue}"
    print(f"lead {a.lead_id} -> {where} by rule {a.rule_id} "
          f"({a.config_version}){' replayed' if response.replayed else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
