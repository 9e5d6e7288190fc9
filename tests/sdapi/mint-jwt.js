#!/usr/bin/env node
// Mint RS256 JWTs that the local Screwdriver API accepts, signed with the
// private key configured for it (auth.jwtPrivateKey).
//
//   node mint-jwt.js user  USERNAME [--scm-user-id 1001] [--admin] [--minutes 120]
//   node mint-jwt.js build BUILD_ID --pipeline-id P --job-id J --event-id E [--pr] [--minutes 90]
//   node mint-jwt.js temporal BUILD_ID --pipeline-id P --job-id J --event-id E   (12h, scope temporal)
// Common options:
//   --key FILE          private key   (default $SDAPI_STATE/jwt.pem, SDAPI_STATE=/tmp/sdtoken-sdapi)
//   --scm-context CTX   scm context   (default $SDAPI_SCM_CONTEXT or github:127.0.0.1)
//   --scope a,b         override the scope list completely
//   --decode            print the decoded payload as JSON instead of the token
// Needs the jsonwebtoken package from the API install ($SDAPI_HOME/node_modules).
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const home = process.env.SDAPI_HOME;
if (!home) {
    console.error('mint-jwt: SDAPI_HOME is not set; load sdapi.env first (set -a; . $SDAPI_STATE/sdapi.env; set +a)');
    process.exit(2);
}
const jwt = require(path.join(home, 'node_modules', 'jsonwebtoken'));

const [kind, subject, ...rest] = process.argv.slice(2);
const opt = {};

for (let i = 0; i < rest.length; i += 1) {
    const name = rest[i].replace(/^--/, '');
    const next = rest[i + 1];

    if (next === undefined || next.startsWith('--')) {
        opt[name] = true;
    } else {
        opt[name] = next;
        i += 1;
    }
}

if (!['user', 'build', 'temporal'].includes(kind) || !subject) {
    console.error(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 13).join('\n'));
    process.exit(2);
}

const keyFile = opt.key || path.join(process.env.SDAPI_STATE || '/tmp/sdtoken-sdapi', 'jwt.pem');
const scmContext = opt['scm-context'] || process.env.SDAPI_SCM_CONTEXT || 'github:127.0.0.1';
let payload;
let minutes;

if (kind === 'user') {
    // Same claim set as a JWT issued after an OAuth login.
    payload = {
        username: subject,
        scmContext,
        scmUserId: Number(opt['scm-user-id'] || process.env.SDAPI_SCM_USER_ID || 1001), // GitHub ids are numbers
        scope: opt.admin ? ['user', 'admin'] : ['user']
    };
    minutes = Number(opt.minutes || 120); // auth.sessionTimeout default
} else {
    // Build ($SD_TOKEN) and temporal (launcher bootstrap) tokens: subject is the build id.
    for (const k of ['pipeline-id', 'job-id', 'event-id']) {
        if (!opt[k]) {
            console.error(`--${k} is required for ${kind} tokens`);
            process.exit(2);
        }
    }
    payload = {
        username: Number(subject),
        scmContext,
        scope: [kind],
        isPR: Boolean(opt.pr),
        jobId: Number(opt['job-id']),
        eventId: Number(opt['event-id']),
        pipelineId: Number(opt['pipeline-id'])
    };
    if (opt['config-pipeline-id']) payload.configPipelineId = Number(opt['config-pipeline-id']);
    if (opt['pr-parent-job-id']) payload.prParentJobId = Number(opt['pr-parent-job-id']);
    minutes = Number(opt.minutes || (kind === 'build' ? 90 : 12 * 60));
}
if (typeof opt.scope === 'string') payload.scope = opt.scope.split(',');
if (process.env.SDAPI_JWT_ENVIRONMENT) payload.environment = process.env.SDAPI_JWT_ENVIRONMENT;

const token = jwt.sign(payload, fs.readFileSync(keyFile), {
    algorithm: 'RS256',
    expiresIn: minutes * 60,
    jwtid: crypto.randomUUID()
});

console.log(opt.decode ? JSON.stringify(jwt.decode(token), null, 2) : token);
