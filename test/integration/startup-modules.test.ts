// postgres-pass: skip (opens an embedded instance on purpose)
/**
 * What an embedded instance reads when it starts. Every process start (the service, a worker,
 * each CLI command) pays for the modules it loads (~0.65 ms of CPU each on Node 20): the drivers,
 * clients and parsers only some configurations use are loaded when they are first needed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { nodeEntry } from '../helpers/entry.js';
import { packageOf } from '../helpers/startup-modules-child.js';

/** Loaded on first use only: PostgreSQL, S3, the mailbox, a sign-in provider, encrypted PDFs. */
const ON_DEMAND = ['pg', 'graphile-worker', 'minio', 'imapflow', 'mailparser', 'openid-client', '@cantoo/pdf-lib'];

describe('modules an embedded instance loads at start', () => {
  it('given the embedded default when an instance opens and closes then none of the drivers and clients of other configurations is loaded', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-startup-'));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [...nodeEntry('test/helpers/startup-modules-child.ts'), dir], { timeout: 60_000 });
      const loaded = JSON.parse(stdout.trim().split('\n').pop()!) as string[];
      // The trace sees what the instance does use (else an empty list would pass).
      for (const used of ['sqlite3', 'express', 'pdf-lib', 'sharp']) assert.ok(loaded.includes(used), `${used} is traced: ${loaded.join(', ')}`);
      assert.deepEqual(ON_DEMAND.filter((p) => loaded.includes(p)), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('given module URLs when named then the package is the innermost folder under node_modules, scope included', () => {
    assert.equal(packageOf('file:///app/node_modules/pino/lib/tools.js'), 'pino');
    assert.equal(packageOf('file:///app/node_modules/@cantoo/pdf-lib/cjs/index.js'), '@cantoo/pdf-lib');
    assert.equal(packageOf('file:///app/node_modules/a/node_modules/b/index.js'), 'b');
    assert.equal(packageOf('file:///app/dist/src/main.js'), null);
    assert.equal(packageOf('node:fs'), null);
  });
});
