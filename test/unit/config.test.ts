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
});
