import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DocumentView } from '../../src/domain/document.js';
import { fakeClock } from '../../src/services/clock.js';
import type { DisposalView } from '../../src/services/disposal.service.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { unzip } from '../helpers/unzip.js';

type Err = { error: { code: string } };

describe('subject rights', () => {
  const clock = fakeClock('2026-11-23T09:00:00Z');
  let t: TestApp;
  const json = async <T>(res: Response) => (await res.json()) as T;
  const dossier = async (id: string) => json<{ customer: { name: string; restricted: boolean }; documents: DocumentView[]; statuses: unknown[] }>(await t.api('GET', `/api/customers/${id}/dossier`, { as: 'compliance' }));

  before(async () => {
    t = await startTestApp({ clock });
    const system = { id: 'test', name: 'test', roles: ['admin' as const] };
    await t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId: 'KL-000123', name: 'letter-sent', value: 'voorjaarsactie', actorId: system.id, source: 'test' }));
    await t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId: 'KL-000124', name: 'reply-received', value: 'ja', actorId: system.id, source: 'test' }));
  });
  after(() => t.close());

  describe('access (art. 15)', () => {
    let files: Map<string, Buffer>;
    let docs: DocumentView[];

    before(async () => {
      await t.api('GET', '/api/customers/KL-000123/dossier', { as: 'crm' });
      docs = (await dossier('KL-000123')).documents;
      const res = await t.api('GET', '/api/customers/KL-000123/subject-access.zip', { as: 'compliance' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/zip');
      assert.match(res.headers.get('content-disposition')!, /attachment; filename="subject-access-KL-000123-2026-11-23\.zip"/);
      files = unzip(Buffer.from(await res.arrayBuffer()));
    });

    it('given the export when unzipped then it has a readable index and every part', () => {
      for (const f of ['README.txt', 'index.html', 'customer.json', 'documents.json', 'status-variables.json', 'mailings.json', 'access-log.json']) assert.ok(files.has(f), f);
      const readme = files.get('README.txt')!.toString('utf8');
      assert.match(readme, /KL-000123 \(Bakkerij De Gouden Korst B\.V\.\)/);
      assert.match(readme, /Autoriteit Persoonsgegevens/);
      // Dutch by default: the export goes to a Dutch data subject.
      assert.match(files.get('index.html')!.toString('utf8'), /<h2>Documenten \(3\)<\/h2>/);
      assert.match(files.get('index.html')!.toString('utf8'), /<html lang="nl">/);
      assert.match(readme, /Inzage-export voor klant/);
      assert.doesNotMatch(readme, /What this archive holds|Your rights/);
      assert.equal(JSON.parse(files.get('customer.json')!.toString()).kvk, '30123456');
    });

    it('given lang=en when the export is asked then its index is in English', async () => {
      const res = await t.api('GET', '/api/customers/KL-000123/subject-access.zip?lang=en', { as: 'compliance' });
      assert.equal(res.status, 200);
      const en = unzip(Buffer.from(await res.arrayBuffer()));
      assert.match(en.get('index.html')!.toString('utf8'), /<h2>Documents \(3\)<\/h2>/);
      assert.match(en.get('README.txt')!.toString('utf8'), /Your rights \(GDPR art\. 15-22\)/);
    });

    it('given every document when exported then its metadata, text and untouched original are there', () => {
      const listed = JSON.parse(files.get('documents.json')!.toString()) as DocumentView[];
      assert.deepEqual(listed.map((d) => d.id).sort(), docs.map((d) => d.id).sort());
      for (const d of docs) {
        const folder = [...files.keys()].find((k) => k.endsWith(`-${d.id}/metadata.json`));
        assert.ok(folder, `metadata of ${d.id}`);
        assert.equal(JSON.parse(files.get(folder!)!.toString()).retention.legalBasis, d.retention.legalBasis);
        if (d.original) {
          const orig = files.get(folder!.replace('metadata.json', 'original.pdf'));
          assert.ok(orig, `original of ${d.id}`);
          assert.equal(createHash('sha256').update(orig!).digest('hex'), d.original.sha256, 'byte for byte the original');
          assert.ok(files.get(folder!.replace('metadata.json', 'text.txt'))!.length > 0);
        }
      }
    });

    it('given paper when exported then it is listed with its location', () => {
      const paper = docs.find((d) => d.barcode)!;
      assert.ok(paper.location);
      const readme = files.get('README.txt')!.toString('utf8');
      assert.ok(readme.includes(`${paper.barcode}  ${paper.title}  ligt in ${paper.location!.path}`), readme);
    });

    it('given the access log when exported then it says who saw the dossier, including this export', () => {
      const log = JSON.parse(files.get('access-log.json')!.toString()) as { by: string; action: string }[];
      assert.ok(log.some((e) => e.action === 'dossier.view' && e.by === 'Chris (CRM user)'));
      assert.ok(log.some((e) => e.action === 'customer.subject-access' && e.by === 'Cora (compliance)'));
      const statuses = JSON.parse(files.get('status-variables.json')!.toString()) as { name: string }[];
      assert.deepEqual(statuses.map((s) => s.name), ['letter-sent']);
    });

    it('given a CRM user when asking for an export then 403; an unknown customer is 404', async () => {
      assert.equal((await t.api('GET', '/api/customers/KL-000123/subject-access.zip', { as: 'crm' })).status, 403);
      assert.equal((await t.api('GET', '/api/customers/KL-999999/subject-access.zip', { as: 'compliance' })).status, 404);
    });
  });

  describe('erasure (art. 17)', () => {
    it('given a dry run when erasure is asked then per document what goes and what is kept until when, and nothing changes', async () => {
      const before = await dossier('KL-000124');
      const res = await t.api('POST', '/api/customers/KL-000124/erasure', { as: 'compliance', json: { dryRun: true, reason: 'Request by letter of 2026-11-20' } });
      assert.equal(res.status, 200);
      const r = await json<{ documents: { type: string; action: string; until: string | null; basis: string | null }[]; other: { what: string; action: string }[]; disposal: unknown }>(res);
      const call = r.documents.find((d) => d.type === 'service-call')!;
      const order = r.documents.find((d) => d.type === 'order')!;
      assert.equal(call.action, 'remove');
      assert.deepEqual({ action: order.action, until: order.until }, { action: 'keep', until: '2032-03-14' });
      assert.match(order.basis!, /17\(3\)\(b\).*AWR art\. 52/);
      assert.ok(r.other.some((o) => o.what.startsWith('audit log') && o.action === 'keep'));
      assert.equal(r.disposal, null);
      assert.equal((await dossier('KL-000124')).documents.length, before.documents.length);
    });

    it('given an erasure request when executed after four eyes then removable documents and status variables go, the rest is kept and restricted', async () => {
      const res = await t.api('POST', '/api/customers/KL-000124/erasure', { as: 'compliance', json: { dryRun: false, reason: 'Request by letter of 2026-11-20' } });
      const r = await json<{ disposal: DisposalView }>(res);
      assert.equal(r.disposal.kind, 'erasure');
      assert.deepEqual(r.disposal.items.map((i) => i.type), ['service-call']);
      const twice = await t.api('POST', '/api/customers/KL-000124/erasure', { as: 'compliance2', json: { dryRun: false, reason: 'again' } });
      assert.equal((await json<Err>(twice)).error.code, 'erasure_open');
      assert.equal((await t.api('POST', `/api/disposals/${r.disposal.id}/approve`, { as: 'compliance', json: {} })).status, 403);
      assert.equal((await t.api('POST', `/api/disposals/${r.disposal.id}/approve`, { as: 'compliance2', json: {} })).status, 200);
      const exec = await json<{ summary: { destroyed: number }; disposal: DisposalView }>(await t.api('POST', `/api/disposals/${r.disposal.id}/execute`, { as: 'compliance2' }));
      assert.equal(exec.summary.destroyed, 1);
      assert.equal(exec.disposal.status, 'completed');
      const after = await dossier('KL-000124');
      assert.deepEqual(after.documents.map((d) => d.type), ['order']);
      assert.deepEqual(after.statuses, []);
      assert.equal(after.customer.restricted, true, 'what is kept is only stored');
      const mailing = await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Winteractie', customerIds: ['KL-000124'] } });
      assert.equal(mailing.status, 422);
      assert.equal((await json<Err>(mailing)).error.code, 'not_mailable');
    });

    it('given a customer whose documents may all go when erasure is executed then the record is pseudonymised', async () => {
      const r = await json<{ disposal: DisposalView }>(await t.api('POST', '/api/customers/KL-000127/erasure', { as: 'compliance2', json: { dryRun: false, reason: 'Request by email' } }));
      assert.equal((await t.api('POST', `/api/disposals/${r.disposal.id}/approve`, { as: 'compliance', json: {} })).status, 200);
      await t.api('POST', `/api/disposals/${r.disposal.id}/execute`, { as: 'compliance' });
      const d = await dossier('KL-000127');
      assert.deepEqual(d.documents, []);
      assert.equal(d.customer.name, '[erased KL-000127]');
    });
  });

  describe('restriction (art. 18)', () => {
    it('given a restriction when placed then the customer shows it and mailings refuse it; lifted, they accept it again', async () => {
      const res = await t.api('POST', '/api/customers/KL-000125/restriction', { as: 'compliance', json: { restricted: true, reason: 'Customer contests the accuracy of the data' } });
      assert.equal(res.status, 200);
      const body = await json<{ customer: { restricted: boolean }; restriction: { action: string; reason: string } }>(res);
      assert.equal(body.customer.restricted, true);
      assert.deepEqual({ action: body.restriction.action, reason: body.restriction.reason }, { action: 'customer.restrict', reason: 'Customer contests the accuracy of the data' });
      assert.equal((await dossier('KL-000125')).customer.restricted, true);
      const refused = await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Voorjaar', customerIds: ['KL-000125'] } });
      assert.equal((await json<Err>(refused)).error.code, 'not_mailable');
      await t.api('POST', '/api/customers/KL-000125/restriction', { as: 'compliance', json: { restricted: false, reason: 'Data corrected' } });
      const ok = await t.api('POST', '/api/mailings', { as: 'crm', json: { name: 'Voorjaar', customerIds: ['KL-000125'] } });
      assert.equal(ok.status, 201, await ok.text());
    });
  });

  describe('compliance report', () => {
    it('given the work above when the report is asked then counts, holds, disposals, unseen paper and subject rights are in it, also as PDF', async () => {
      const r = await json<{
        documents: { total: number; bySchedule: { schedule: string }[] };
        retention: { overdue: number };
        disposals: { byStatus: { kind: string; status: string; n: number }[] };
        paper: { total: number; notSeenInAudit: number };
        subjectRights: { events: Record<string, number> };
        auditLog: { ok: boolean };
      }>(await t.api('GET', '/api/compliance/report', { as: 'compliance' }));
      assert.ok(r.documents.total > 0);
      assert.ok(r.documents.bySchedule.some((s) => s.schedule.includes('invoice')));
      assert.ok(r.retention.overdue >= 2, 'the historical paper of KL-000126 is past its retention');
      assert.deepEqual(r.disposals.byStatus, [{ kind: 'erasure', status: 'completed', n: 2 }]);
      assert.equal(r.paper.notSeenInAudit, r.paper.total, 'no inventory audit has run in this data set');
      assert.equal(r.subjectRights.events['customer.subject-access'], 2, 'the Dutch and the English export');
      assert.equal(r.subjectRights.events['customer.erase'], 2);
      assert.equal(r.auditLog.ok, true);
      const pdf = await t.api('GET', '/api/compliance/report.pdf', { as: 'compliance' });
      assert.equal(pdf.status, 200);
      assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
    });
  });
});
