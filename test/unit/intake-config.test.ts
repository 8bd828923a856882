import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

describe('intake configuration', () => {
  it('given no IMAP variables when loaded then e-mail intake is off and the inbox is polled under the data dir', () => {
    const c = loadConfig({ DOSSIER_DATA_DIR: '/srv/dl' });
    assert.equal(c.imap, null);
    assert.equal(c.inboxDir, path.join('/srv/dl', 'inbox'));
    assert.deepEqual([c.inboxPollMs, c.inboxStableMs, c.intakeBarcodes], [2000, 0, true]);
  });

  it('given DOSSIER_IMAP_URL when loaded then host, port, TLS, credentials and mailbox come from it', () => {
    const c = loadConfig({ DOSSIER_IMAP_URL: 'imaps://scan%40firma.nl:p%40ss@mail.firma.nl/Scans%2FPost' });
    assert.deepEqual(
      { ...c.imap, intervalMs: undefined },
      { host: 'mail.firma.nl', port: 993, secure: true, user: 'scan@firma.nl', password: 'p@ss', mailbox: 'Scans/Post', intervalMs: undefined, processed: 'flag', moveTo: 'Dossierlink', maxAttempts: 5 },
    );
    const plain = loadConfig({ DOSSIER_IMAP_URL: 'imap://u:p@127.0.0.1:1143' }).imap!;
    assert.deepEqual([plain.secure, plain.port, plain.mailbox], [false, 1143, 'INBOX']);
  });

  it('given separate IMAP variables when loaded then they are used, TLS on by default', () => {
    const c = loadConfig({ DOSSIER_IMAP_HOST: 'imap.firma.nl', DOSSIER_IMAP_USER: 'post', DOSSIER_IMAP_PASSWORD: 'x', DOSSIER_IMAP_PROCESSED: 'move', DOSSIER_IMAP_MOVE_TO: 'Verwerkt' }).imap!;
    assert.deepEqual([c.host, c.port, c.secure, c.processed, c.moveTo], ['imap.firma.nl', 993, true, 'move', 'Verwerkt']);
  });

  it('given an IMAP host without a user or a URL of another scheme when loaded then it is refused with the variable named', () => {
    assert.throws(() => loadConfig({ DOSSIER_IMAP_HOST: 'imap.firma.nl' }), /DOSSIER_IMAP_USER/);
    assert.throws(() => loadConfig({ DOSSIER_IMAP_URL: 'https://mail.firma.nl' }), /DOSSIER_IMAP_URL/);
  });
});
