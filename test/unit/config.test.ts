import { availableParallelism } from 'node:os';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe(loadConfig.name, () => {
  it('given no environment when loaded then it runs embedded on port 3000 under ./storage', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.match(c.dataDir, /storage$/);
    assert.equal(c.objectStore.kind, 'local');
    assert.equal(c.demo, true);
  });
  it('given DOSSIER_READING_NICE when loaded then reading runs at 10 by default, at the value given within 0-19, and anything else is refused by name', () => {
    assert.equal(loadConfig({}).readingNice, 10);
    assert.equal(loadConfig({ DOSSIER_READING_NICE: '0' }).readingNice, 0);
    assert.equal(loadConfig({ DOSSIER_READING_NICE: '19' }).readingNice, 19);
    for (const bad of ['20', '-1', '2.5', 'low']) {
      assert.throws(() => loadConfig({ DOSSIER_READING_NICE: bad }), (e: unknown) => e instanceof ConfigError && /DOSSIER_READING_NICE/.test(e.message), bad);
    }
  });

  it('given DOSSIER_OCR_ISOLATION when loaded then the native library reads in a process of its own by default, in threads when asked, and anything else is refused by name', () => {
    assert.equal(loadConfig({}).ocrIsolation, 'process');
    assert.equal(loadConfig({ DOSSIER_OCR_ISOLATION: 'thread' }).ocrIsolation, 'thread');
    assert.throws(() => loadConfig({ DOSSIER_OCR_ISOLATION: 'fork' }), (e: unknown) => e instanceof ConfigError && /DOSSIER_OCR_ISOLATION/.test(e.message));
  });

  it('given DOSSIER_DEMO=off when loaded then demo is off', () => {
    assert.equal(loadConfig({ DOSSIER_DEMO: 'off' }).demo, false);
  });
  it('given a bad port and a short admin token when loaded then one error names both', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty', DOSSIER_ADMIN_TOKEN: 'short' }), (e: Error) => {
      assert.ok(e instanceof ConfigError, 'e instanceof ConfigError');
      assert.match(e.message, /PORT/);
      assert.match(e.message, /DOSSIER_ADMIN_TOKEN/);
      return true;
    });
  });
  it('given s3 without credentials when loaded then it says what is missing', () => {
    assert.throws(() => loadConfig({ DOSSIER_OBJECT_STORE: 's3' }), /DOSSIER_S3_ENDPOINT/);
  });
  it('given an invalid customer pattern when loaded then it is refused', () => {
    assert.throws(() => loadConfig({ DOSSIER_CUSTOMER_PATTERN: 'KL-(' }), /DOSSIER_CUSTOMER_PATTERN/);
  });
  it('given the hardening settings when loaded then search limits, the webhook allow-list and the audit seal are parsed', () => {
    const c = loadConfig({ DOSSIER_DATA_DIR: '/srv/dl', DOSSIER_SEARCH_TIMEOUT_MS: '500', DOSSIER_SEARCH_RATE_LIMIT: '0', DOSSIER_WEBHOOK_ALLOW: '10.0.0.0/8, 127.0.0.1' });
    assert.deepEqual(c.search, { timeoutMs: 500, connections: 2, slices: Math.min(7, availableParallelism() - 1), ratePerMinute: 0 });
    assert.equal(loadConfig({ DOSSIER_SEARCH_SLICES: '0' }).search.slices, 0, 'slices can be turned off');
    assert.throws(() => loadConfig({ DOSSIER_SEARCH_SLICES: '-1' }), /DOSSIER_SEARCH_SLICES/);
    assert.equal(c.webhookAllow.length, 2);
    assert.equal(c.audit.keyFile, '/srv/dl/audit.key');
    assert.equal(c.audit.checkpointFile, '/srv/dl/audit-checkpoints.jsonl');
  });
  it('given a bad allow-list or a short audit key when loaded then each is refused by name', () => {
    assert.throws(() => loadConfig({ DOSSIER_WEBHOOK_ALLOW: '10.0.0.0/33' }), /DOSSIER_WEBHOOK_ALLOW/);
    assert.throws(() => loadConfig({ DOSSIER_WEBHOOK_ALLOW: 'intranet.local' }), /DOSSIER_WEBHOOK_ALLOW/);
    assert.throws(() => loadConfig({ DOSSIER_AUDIT_KEY: 'too-short' }), /DOSSIER_AUDIT_KEY/);
  });

  it('given PostgreSQL without an audit key, when loaded, then it is refused: processes with a key file each would break the chain', () => {
    assert.throws(() => loadConfig({ DOSSIER_DATABASE_URL: 'postgres://u@127.0.0.1/db' }), (e: unknown) => e instanceof ConfigError && /DOSSIER_AUDIT_KEY/.test(e.message));
  });

  it('given PostgreSQL with S3 and no checkpoint file, when loaded, then checkpoints go to the shared bucket; with a file named, to the file', () => {
    const env = {
      DOSSIER_DATABASE_URL: 'postgresql://u@127.0.0.1/db',
      DOSSIER_AUDIT_KEY: 'k'.repeat(32),
      DOSSIER_OBJECT_STORE: 's3',
      DOSSIER_S3_ENDPOINT: 'http://127.0.0.1:9000',
      DOSSIER_S3_ACCESS_KEY: 'a',
      DOSSIER_S3_SECRET_KEY: 'b',
    };
    assert.equal(loadConfig(env).audit.checkpoints, 's3');
    assert.equal(loadConfig({ ...env, DOSSIER_AUDIT_CHECKPOINTS: '/srv/audit.jsonl' }).audit.checkpoints, 'file');
    assert.equal(loadConfig({ DOSSIER_DATA_DIR: '/tmp/x' }).audit.checkpoints, 'file');
    assert.equal(loadConfig(env).database.url, 'postgresql://u@127.0.0.1/db');
    assert.throws(() => loadConfig({ ...env, DOSSIER_DATABASE_URL: 'mysql://x' }), ConfigError);
  });
});
