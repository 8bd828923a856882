import { randomUUID } from 'node:crypto';
import { mailMessagesRepository } from '../../src/db/mail-messages.repository.js';
import { messageKey } from '../../src/services/mail-intake.service.js';
import { releasePins } from '../../src/services/object-guard.js';
import type { TestApp } from './test-app.js';

/**
 * Stores an e-mail as the mail intake does after its job (the .eml by content hash, the row
 * `done`, linked to its customer and the documents made from it), without an IMAP server: the
 * tests that use it are about what happens to the message afterwards.
 */
export async function storeMailMessage(t: TestApp, r: { customerId: string | null; documentIds: string[]; sender?: string; subject?: string }) {
  const messageId = `<${randomUUID()}@mail.example.test>`;
  const sender = r.sender ?? 'klant@example.test';
  const subject = r.subject ?? 'Factuur in de bijlage';
  const eml = Buffer.from(
    [`From: ${sender}`, 'To: post@dossierlink.test', `Subject: ${subject}`, `Message-ID: ${messageId}`, 'Date: Mon, 23 Nov 2026 08:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', `Body ${randomUUID()}`, ''].join('\r\n'),
    'utf8',
  );
  const stored = await t.dl.store.putBuffer(eml, { contentType: 'message/rfc822' });
  const id = messageKey(messageId, null);
  const now = new Date().toISOString();
  await t.dl.db.tx(async (q) => {
    await releasePins(q, stored);
    await mailMessagesRepository.insert(q, { id, message_id: messageId, mailbox: 'INBOX', uid: 1, sender, subject, eml_sha256: stored.sha256, eml_size: stored.size, status: 'queued', job_id: null, received_at: now, created_at: now, updated_at: now });
    for (const d of r.documentIds) await mailMessagesRepository.linkDocument(q, id, d, 'factuur.pdf', false);
    await mailMessagesRepository.finish(q, id, { customerId: r.customerId, skipped: '[]', now });
  });
  return { id, sha256: stored.sha256, eml };
}
