#!/usr/bin/env node
// Minimal stand-in for the three GitHub Enterprise REST calls that the
// Screwdriver API makes while handling access tokens:
//   GET /api/v3/users/{login}        (user API token -> JWT exchange)
//   GET /api/v3/repositories/{id}    (scmUri -> owner/repo lookup)
//   GET /api/v3/repos/{owner}/{repo} (permission check: admin/push/pull)
// Every user exists (numeric id from FAKE_GH_USER_IDS "name=id,..", else 1001).
// Permissions depend on the caller's SCM token (the one sealed in the users table):
// tokens starting with "readonly" get pull only, all others get admin/push/pull.
// GET /_fake-github returns {service, pid, log, repos}, so that start-sdapi.sh can
// recognise and reuse a running fake. Any other request gets 404.
// Each request is logged on stdout as "<ISO time> <method> <url>".
//
// Usage: FAKE_GH_PORT=80 FAKE_GH_REPOS=123456=sdlab/demo FAKE_GH_LOG=FILE node fake-github.js
// FAKE_GH_LOG only names the file that stdout is redirected to, for GET /_fake-github.
'use strict';

const http = require('http');

const host = '127.0.0.1'; // loopback only
const port = Number(process.env.FAKE_GH_PORT || 80);
const userIds = Object.fromEntries(
    (process.env.FAKE_GH_USER_IDS || '').split(',').filter(Boolean).map(kv => kv.split('='))
);
// repo id -> "owner/name"; format "id=owner/name,id=owner/name"
const repos = Object.fromEntries(
    (process.env.FAKE_GH_REPOS || '123456=sdlab/demo').split(',').map(kv => kv.split('='))
);
const base = `http://${host}${port === 80 ? '' : `:${port}`}`;

function send(res, status, body) {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
}

function repoBody(id, fullName, readonly) {
    return {
        id: Number(id),
        name: fullName.split('/')[1],
        full_name: fullName,
        default_branch: 'main',
        private: false,
        visibility: 'public',
        html_url: `${base}/${fullName}`,
        permissions: readonly
            ? { admin: false, maintain: false, push: false, triage: false, pull: true }
            : { admin: true, maintain: true, push: true, triage: true, pull: true }
    };
}

http.createServer((req, res) => {
    const path = new URL(req.url, base).pathname;
    const readonly = /^(token|bearer) readonly/i.test(req.headers.authorization || '');
    let m;

    console.log(`${new Date().toISOString()} ${req.method} ${req.url}`);

    if (req.method === 'GET' && path === '/_fake-github') {
        return send(res, 200, { service: 'fake-github', pid: process.pid, log: process.env.FAKE_GH_LOG || null, repos });
    }
    if (req.method === 'GET' && (m = path.match(/^\/api\/v3\/users\/([^/]+)$/))) {
        const login = decodeURIComponent(m[1]);

        return send(res, 200, {
            login,
            id: Number(userIds[login] || 1001),
            name: login,
            type: 'User',
            avatar_url: `${base}/avatars/${login}`,
            html_url: `${base}/${login}`
        });
    }
    if (req.method === 'GET' && (m = path.match(/^\/api\/v3\/repositories\/(\d+)$/))) {
        return repos[m[1]] ? send(res, 200, repoBody(m[1], repos[m[1]], readonly)) : send(res, 404, { message: 'Not Found' });
    }
    if (req.method === 'GET' && (m = path.match(/^\/api\/v3\/repos\/([^/]+)\/([^/]+)$/))) {
        const fullName = `${m[1]}/${m[2]}`;
        const id = Object.keys(repos).find(k => repos[k] === fullName);

        return id ? send(res, 200, repoBody(id, fullName, readonly)) : send(res, 404, { message: 'Not Found' });
    }

    return send(res, 404, { message: 'Not Found (fake-github)' });
}).listen(port, host, () => console.log(`fake-github listening on ${base}`));
