#!/usr/bin/env node
// Insert rows straight into the API's PostgreSQL datastore (tables are
// created by the API itself on first start). Idempotent; prints the row id.
//
//   node seed.js user USERNAME [SCM_TOKEN]            (SCM_TOKEN "readonly..." => no admin on repos)
//   node seed.js pipeline REPO_ID OWNER/REPO ADMIN_USERNAME
//   node seed.js build JOB_ID EVENT_ID   (a QUEUED build: lets a temporal JWT be
//                                         exchanged at POST /v4/builds/{id}/token)
//
// Env: SDAPI_HOME (API install dir), PGHOST PGPORT PGUSER PGDATABASE,
//      SDAPI_ENCRYPTION_PASSWORD (= auth.encryptionPassword),
//      SDAPI_SCM_CONTEXT (github:127.0.0.1), SDAPI_SCM_HOST (127.0.0.1)
'use strict';

const path = require('path');

const home = process.env.SDAPI_HOME;
if (!home) {
    console.error('seed: SDAPI_HOME is not set; load sdapi.env first (set -a; . $SDAPI_STATE/sdapi.env; set +a)');
    process.exit(2);
}
const { Client } = require(path.join(home, 'node_modules', 'pg'));
const iron = require(path.join(home, 'node_modules', '@hapi', 'iron'));

const scmContext = process.env.SDAPI_SCM_CONTEXT || 'github:127.0.0.1';
const scmHost = process.env.SDAPI_SCM_HOST || '127.0.0.1';

async function seedUser(db, username, scmToken = 'fake-scm-oauth-token') {
    // users.token contains the user's SCM OAuth token sealed with @hapi/iron and
    // auth.encryptionPassword; the API unseals it before calling the SCM.
    const sealed = await iron.seal(scmToken, process.env.SDAPI_ENCRYPTION_PASSWORD, iron.defaults);
    const res = await db.query(
        `INSERT INTO users (username, "scmContext", token, settings) VALUES ($1, $2, $3, '{}')
         ON CONFLICT (username, "scmContext") DO UPDATE SET token = EXCLUDED.token RETURNING id`,
        [username, scmContext, sealed]
    );

    return res.rows[0].id;
}

async function seedPipeline(db, repoId, repoName, adminName) {
    const admin = await db.query('SELECT id FROM users WHERE username = $1 AND "scmContext" = $2', [
        adminName,
        scmContext
    ]);

    if (!admin.rows.length) throw new Error(`seed the user ${adminName} first`);

    // scmUri is "<scm host>:<repo id>:<branch>"; object/array columns are JSON text
    const scmRepo = {
        branch: 'main',
        name: repoName,
        url: `http://${scmHost}/${repoName}/tree/main`,
        rootDir: '',
        private: false
    };
    const res = await db.query(
        `INSERT INTO pipelines (name, "scmUri", "scmContext", "scmRepo", "createTime", admins, "adminUserIds",
                                annotations, parameters, settings, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', '{}', '{}', 'ACTIVE')
         ON CONFLICT ("scmUri") DO UPDATE SET admins = EXCLUDED.admins, "adminUserIds" = EXCLUDED."adminUserIds"
         RETURNING id`,
        [
            repoName,
            `${scmHost}:${repoId}:main`,
            scmContext,
            JSON.stringify(scmRepo),
            new Date().toISOString(),
            JSON.stringify({ [adminName]: true }),
            JSON.stringify([admin.rows[0].id])
        ]
    );

    return res.rows[0].id;
}

async function seedBuild(db, jobId, eventId) {
    const res = await db.query(
        `INSERT INTO builds ("jobId", "eventId", number, cause, sha, "createTime", status, container,
                             environment, meta, stats)
         VALUES ($1, $2, 1, 'seeded', $3, $4, 'QUEUED', 'node:20', '{}', '{}', '{}')
         ON CONFLICT ("eventId", "jobId") DO UPDATE SET status = 'QUEUED' RETURNING id`,
        [jobId, eventId, '0'.repeat(40), new Date().toISOString()]
    );

    return res.rows[0].id;
}

async function main() {
    const [kind, ...args] = process.argv.slice(2);
    const db = new Client(); // PGHOST/PGPORT/PGUSER/PGDATABASE from the environment

    await db.connect();
    try {
        if (kind === 'user' && args[0]) console.log(await seedUser(db, ...args));
        else if (kind === 'pipeline' && args[2]) console.log(await seedPipeline(db, ...args));
        else if (kind === 'build' && args[1]) console.log(await seedBuild(db, ...args));
        else throw new Error('usage: seed.js user NAME [SCM_TOKEN] | pipeline REPO_ID OWNER/REPO ADMIN | build JOB_ID EVENT_ID');
    } finally {
        await db.end();
    }
}

main().catch(err => {
    console.error(err.message);
    process.exit(1);
});
