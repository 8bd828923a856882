// postgres-pass: skip (the CLI and its app open a SQLite data dir in either pass; test/postgres/migrate-to-postgres.test.ts runs the CLI on PostgreSQL)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { openDossierlink } from '../../src/dossierlink.js';
import { tamperWithAudit } from '../helpers/audit-tamper.js';
import { nodeEntry } from '../helpers/entry.js';

type Run = { code: number; stdout: string; stderr: string };

/**
 * The operator CLI, run as operators run it: a child process on a data dir, no HTTP. The
 * commands of one test run in parallel where they do not depend on each other, to keep this fast.
 */
describe('cli', () => {
  let dir: string;
  let dataDir: string;
  const cli = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [...nodeEntry('src/cli.ts'), ...args],
        { cwd: process.cwd(), env: { ...process.env, DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent' }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const open = () => openDossierlink(loadConfig({ DOSSIER_DATA_DIR: dataDir, DOSSIER_LOG_LEVEL: 'silent', DOSSIER_INBOX: 'off' }));

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-cli-'));
    dataDir = path.join(dir, 'data');
    const dl = await open();
    await seedDemo(dl);
    // A stale search entry: reindex must rebuild what is gone and drop what should not be there.
    await dl.db.run('DELETE FROM document_fts');
    await dl.close();
    await writeFile(path.join(dir, 'customers.csv'), 'id;name;kvk\nKL-900001;Goed B.V.;12345678\nKL-900002;;\nKL-900003;Slecht;12\nKL-900004;Ook goed;\n');
    await writeFile(path.join(dir, 'dry.ndjson'), '{"id":"KL-900010","name":"Proef"}\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('given operator commands on a data dir when they run then each does its job with clear output and exit codes', async () => {
    const [imp, dry, audit, user, disposal, keyPoints, reindex, usage, missing] = await Promise.all([
      cli('import', 'customers', path.join(dir, 'customers.csv')),
      cli('import', 'customers', path.join(dir, 'dry.ndjson'), '--dry-run'),
      cli('verify-audit'),
      cli('create-user', 'Olga Operator', 'mailroom,crm'),
      cli('disposal-report', '--before', '2100-01-01', '--format', 'csv'),
      cli('export', 'key-points', '--format', 'csv'),
      cli('reindex'),
      cli('frobnicate'),
      cli('import', 'customers', path.join(dir, 'nope.csv')),
    ]);

    assert.equal(imp.code, 3, `rejected rows give exit 3: ${imp.stderr}`);
    assert.match(imp.stdout, /4 row\(s\): 2 created, 0 updated, 0 unchanged, 2 rejected/);
    assert.match(imp.stdout, /row 3 name: /);
    assert.match(imp.stdout, /row 4 kvk: a KvK number has 8 digits/);
    assert.match(imp.stderr, /import \[#+\] 100% 4\/4/, 'a progress bar on stderr');

    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /1 would be created.*nothing was written/);

    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /audit log OK: \d+ event\(s\) checked/);

    assert.equal(user.code, 0, user.stderr);
    const token = /token \(shown once\): (dl_\S+)/.exec(user.stdout)?.[1];
    assert.ok(token, `a token is printed: ${user.stdout}`);

    assert.equal(disposal.code, 0, disposal.stderr);
    const dispLines = disposal.stdout.trim().split('\r\n');
    assert.match(dispLines[0], /^documentId,customerId,type,class,medium,barcode,endsOn,disposition/);
    assert.ok(dispLines.length > 3, `documents due before 2100 are listed (${dispLines.length - 1})`);

    assert.equal(keyPoints.code, 0, keyPoints.stderr);
    assert.match(keyPoints.stdout, /^seq,documentId,customerId,type,class,barcode,title,number,date,amount,currency,endDate,location,deleted,updatedAt\r\n/);
    assert.match(keyPoints.stdout, /ORD-2025-3310,2025-03-14,18400,EUR/);
    assert.match(keyPoints.stderr, /next run: --since \d+/);

    assert.equal(reindex.code, 0, reindex.stderr);
    assert.match(reindex.stdout, /reindexed [1-9]\d* document\(s\)/);

    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Unknown command "frobnicate"[\s\S]*Usage:/);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope\.csv: ENOENT/);

    const dl = await open();
    try {
      assert.equal((await dl.services.users.authenticate(token!))?.name, 'Olga Operator');
      assert.equal((await dl.services.customers.get('KL-900001')).kvk, '12345678');
      await assert.rejects(dl.services.customers.get('KL-900010'), /not found/, 'the dry run wrote nothing');
      const hits = await dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM document_fts WHERE document_fts MATCH 'offerte'");
      assert.ok(hits!.n > 0, 'search finds text again after reindex');
      // Break the chain for the next test.
      await tamperWithAudit(dl.db, "UPDATE audit_events SET details = '{\"edited\":true}' WHERE seq = 2");
    } finally {
      await dl.close();
    }
  });

  it('given a broken audit chain when verify-audit runs then it names the first bad event and exits 3', async () => {
    const audit = await cli('verify-audit');
    assert.equal(audit.code, 3, audit.stdout);
    assert.match(audit.stdout, /audit log BROKEN at event 2: event content altered/);
  });

  it('given account commands when an operator makes a login and an API token then the password signs in, the token works until revoked, and list shows it', async () => {
    const [login, token, badRole] = await Promise.all([
      cli('create-login', 'Lotte Login', 'crm', 'lotte'),
      cli('create-token', 'CRM connector', 'crm', '--days', '30'),
      cli('create-token', 'Bad', 'root'),
    ]);
    assert.equal(login.code, 0, login.stderr);
    const password = /password \(shown once\): (\S+)/.exec(login.stdout)?.[1];
    assert.ok(password && password.length >= 16, login.stdout);
    assert.equal(token.code, 0, token.stderr);
    const secret = /token \(shown once\): (dlt_\S+)/.exec(token.stdout)?.[1];
    const id = /\((tok_[^)]+)\)/.exec(token.stdout)?.[1];
    assert.ok(secret && id, token.stdout);
    assert.equal(badRole.code, 2);
    const list = await cli('list-tokens');
    assert.match(list.stdout, new RegExp(`${id}\\s+active\\s+CRM connector`));
    assert.ok(!list.stdout.includes(secret!), 'the list never shows a token');
    let dl = await open();
    try {
      assert.equal((await dl.services.users.authenticate(secret!))?.name, 'CRM connector');
      const s = await dl.services.signIn.signIn({ username: 'lotte', password: password! }, '127.0.0.1');
      assert.equal(s.principal.name, 'Lotte Login');
    } finally {
      await dl.close();
    }
    const revoke = await cli('revoke-token', id!);
    assert.match(revoke.stdout, /is revoked/);
    dl = await open();
    try {
      assert.equal(await dl.services.users.authenticate(secret!), null);
    } finally {
      await dl.close();
    }
  });
});
