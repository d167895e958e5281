#!/usr/bin/env node
// Compare a Twilio Voice access token (e.g. one minted by mod_minicc) with one
// minted by twilio-node's own AccessToken, both decoded by jsonwebtoken.
//
// usage: node verify-token.js TOKEN SECRET ACCOUNT_SID API_KEY APP_SID IDENTITY TTL
// prints one JSON line; exit 0 only if every check passes, 1 if any fails, 2 on usage error.
'use strict';
const util = require('util');
const jwt = require('jsonwebtoken');
const twilio = require('twilio');

const argv = process.argv.slice(2);
if (argv.length !== 7 || !/^\d+$/.test(argv[6])) {
  console.error('usage: node verify-token.js TOKEN SECRET ACCOUNT_SID API_KEY APP_SID IDENTITY TTL');
  process.exit(2);
}
const [token, secret, accountSid, apiKey, appSid, identity, ttlStr] = argv;
const ttl = Number(ttlStr);
const OPTS = { algorithms: ['HS256'], complete: true };

// Reference token from twilio-node itself.
const { AccessToken } = twilio.jwt;
const at = new AccessToken(accountSid, apiKey, secret, { identity, ttl });
at.addGrant(new AccessToken.VoiceGrant({ outgoingApplicationSid: appSid, incomingAllow: true }));
const refToken = at.toJwt();

function tryVerify(tok, key, extra) {
  try {
    return { ok: true, decoded: jwt.verify(tok, key, Object.assign({}, OPTS, extra || {})) };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message };
  }
}

const ref = tryVerify(refToken, secret);
if (!ref.ok) { // cannot happen unless the libraries disagree
  console.log(JSON.stringify({ pass: false, error: 'reference token did not verify', detail: ref }));
  process.exit(1);
}
const mine = tryVerify(token, secret);
// Decode without verification too, so we can report what the token contains even if the signature is bad.
let raw = null;
try { raw = jwt.decode(token, { complete: true }); } catch (e) { /* ignore */ }
const h = mine.ok ? mine.decoded.header : (raw && raw.header) || {};
const p = mine.ok ? mine.decoded.payload : (raw && raw.payload) || {};
const rh = ref.decoded.header;
const rp = ref.decoded.payload;

const checks = {};
const details = {};

checks.verifies_with_secret = mine.ok;
if (!mine.ok) details.verify_error = `${mine.name}: ${mine.message}`;

const wrong = tryVerify(token, secret + '-wrong');
checks.fails_with_wrong_secret = !wrong.ok && wrong.name === 'JsonWebTokenError' && /invalid signature/.test(wrong.message);
details.wrong_secret_result = wrong.ok ? 'VERIFIED (bad)' : `${wrong.name}: ${wrong.message}`;

if (typeof p.exp === 'number') {
  const exp1 = tryVerify(token, secret, { clockTimestamp: p.exp + 1 });
  checks.expired_at_exp_plus_1 = !exp1.ok && exp1.name === 'TokenExpiredError';
  details.exp_plus_1_result = exp1.ok ? 'VERIFIED (bad)' : `${exp1.name}: ${exp1.message}`;
  // and it must still be valid just before exp (jsonwebtoken treats clock >= exp as expired)
  const exp0 = tryVerify(token, secret, { clockTimestamp: p.exp - 1 });
  checks.valid_at_exp_minus_1 = exp0.ok;
} else {
  checks.expired_at_exp_plus_1 = false;
  checks.valid_at_exp_minus_1 = false;
  details.exp_plus_1_result = 'no numeric exp';
}

for (const k of ['alg', 'typ', 'cty']) {
  checks[`header_${k}`] = h[k] === rh[k];
  details[`header_${k}`] = { got: h[k], want: rh[k] };
}
checks.header_keys = util.isDeepStrictEqual(Object.keys(h).sort(), Object.keys(rh).sort());
details.header_keys = { got: Object.keys(h), want: Object.keys(rh) };

checks.payload_keys_in_order = util.isDeepStrictEqual(Object.keys(p), Object.keys(rp));
details.payload_keys = { got: Object.keys(p), want: Object.keys(rp) };

checks.grants_deep_equal = util.isDeepStrictEqual(p.grants, rp.grants);
details.grants = { got: p.grants, want: rp.grants };

checks.iss = p.iss === apiKey && p.iss === rp.iss;
checks.sub = p.sub === accountSid && p.sub === rp.sub;
details.iss = { got: p.iss, want: rp.iss };
details.sub = { got: p.sub, want: rp.sub };

checks.exp_minus_iat_eq_ttl = typeof p.exp === 'number' && typeof p.iat === 'number' && p.exp - p.iat === ttl;
details.exp_minus_iat = (typeof p.exp === 'number' && typeof p.iat === 'number') ? p.exp - p.iat : null;

// Informational only (does not affect exit status): twilio-node uses jti = "<API_KEY>-<iat>".
const info = {
  jti: p.jti,
  jti_matches_twilio_format: p.jti === `${apiKey}-${p.iat}`,
  iat_skew_vs_reference_s: typeof p.iat === 'number' ? p.iat - rp.iat : null,
  twilio_version: require('twilio/package.json').version,
  jsonwebtoken_version: require('jsonwebtoken/package.json').version,
};

const failed = Object.keys(checks).filter((k) => !checks[k]);
const pass = failed.length === 0;
console.log(JSON.stringify({ pass, failed, checks, details, info }));
process.exit(pass ? 0 : 1);
