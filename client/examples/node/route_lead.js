// Routes one lead through leadrouter from Node.js with @grpc/grpc-js,
// loading the .proto files at run time (no generated code).
//
//   npm ci --prefix client/examples/node
//   node client/examples/node/route_lead.js 127.0.0.1:50051 NODE-1
//
// Against a production server (TLS, and a bearer token of a principal with
// the router role, from the environment so it stays out of the process
// list):
//   LEADROUTER_CA=ca.pem LEADROUTER_TOKEN=lrt_... \
//     node client/examples/node/route_lead.js leadrouter.example.com:50051
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const protoRoot = path.join(__dirname, '..', '..', '..', 'proto');
const definition = protoLoader.loadSync('leadrouter/v1/lead_router.proto', {
  includeDirs: [protoRoot],
  keepCase: true,
  enums: String,
  defaults: true,
});
const v1 = grpc.loadPackageDefinition(definition).leadrouter.v1;

const server = process.argv[2] || '127.0.0.1:50051';
const id = process.argv[3] || 'NODE-1';
const ca = process.env.LEADROUTER_CA;
const token = process.env.LEADROUTER_TOKEN;
const credentials = ca
  ? grpc.credentials.createSsl(fs.readFileSync(ca))
  : grpc.credentials.createInsecure();
const client = new v1.LeadRouter(server, credentials);
const metadata = new grpc.Metadata();
if (token) metadata.add('authorization', `Bearer ${token}`);
const lead = {
  id,
  country_code: 'DE',
  postal_code: '80331',
  stage: 'STAGE_SQL',
  score: 70,
  product_interests: ['insights'],
};
const deadline = new Date(Date.now() + 10000);
client.RouteLead({ lead }, metadata, { deadline }, (err, response) => {
  if (err) {
    console.error(`error ${grpc.status[err.code]}: ${err.details}`);
    process.exit(1);
  }
  const a = response.assignment;
  const where = a.rep_id ? `rep ${a.rep_id}` : `queue ${a.queue}`;
  console.log(`lead ${a.lead_id} -> ${where} by rule ${a.rule_id} ` +
              `(${a.config_version})${response.replayed ? ' replayed' : ''}`);
  client.close();
});
