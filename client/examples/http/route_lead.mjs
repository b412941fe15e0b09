// Routes one lead through leadrouterd's HTTP/JSON port with Node's built-in
// fetch (Node 18+), then lists the rep's assignments.
//
//   node route_lead.mjs BASE_URL LEAD_ID [COUNTRY]
//   LEADROUTER_TOKEN=...  adds "Authorization: Bearer ..." when set
//
// Prints "lead ID -> rep REP by rule RULE (VERSION); REP holds N"; an HTTP
// error prints its JSON {code, message} and exits 1.
const [base, leadId, country = 'DE'] = process.argv.slice(2);
const headers = { 'Content-Type': 'application/json' };
if (process.env.LEADROUTER_TOKEN) {
  headers.Authorization = `Bearer ${process.env.LEADROUTER_TOKEN}`;
}

async function call(method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) {
    console.error(response.status, JSON.stringify(json));
    process.exit(1);
  }
  return json;
}

const lead = {
  id: leadId,
  email: `buyer@${leadId.toLowerCase()}.example.com`,
  countryCode: country,
  stage: 'STAGE_SQL',
  score: 70,
};
const { assignment: a } = await call('POST', '/v1/leads:route', { lead });
if (a.state !== 'ASSIGNMENT_STATE_ASSIGNED') {
  console.log(`lead ${leadId} -> queue ${a.queue}`);
} else {
  const query = new URLSearchParams({ rep_id: a.repId, page_size: '1000' });
  const page = await call('GET', `/v1/assignments?${query}`);
  const held = (page.assignments || []).length;
  console.log(`lead ${leadId} -> rep ${a.repId} by rule ${a.ruleId} ` +
              `(${a.configVersion}); ${a.repId} holds ${held}`);
}
