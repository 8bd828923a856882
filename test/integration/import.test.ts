import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImportService } from '../../src/services/import.service.js';
import { MergeService } from '../../src/services/merge.service.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

type Json = Record<string, any>;

// Semicolons as Dutch Excel writes them, a BOM, a quoted cell with a line break, and bad rows.
const CSV = [
  '\uFEFFKlantnummer;Naam;KvK;E-mail;Adres;Postcode;Plaats;attributes.segment',
  'KL-600001;Bouwbedrijf Noord B.V.;12345678;info@noord.nl;Dijk 1;9711 AA;Groningen;gold', //   row 2: good
  'KL-600002;;;;;;;', //                                                                        row 3: no name for a new customer
  'KL-600003;Zuid Installaties;1234;post@zuid;Laan 2;5611 BB;Eindhoven;', //                   row 4: bad KvK and e-mail
  '600004;Nummerloos;;;;;;', //                                                                  row 5: not a customer number
  'KL-600005;"Oost ""&"" West";87654321;;"Postbus 5',
  'Afdeling inkoop";7411 CC;Deventer;silver', //                                                 rows 6-7: one record over two lines: good
  'KL-600001;Dubbel;;;;;;', //                                                                   row 8: the same number again
  'KL-600006;Te kort;', //                                                                       row 9: too few cells
  'KL-600007;West Handel;;;;;;bronze', //                                                        row 10: good
].join('\r\n');

describe(ImportService.name, () => {
  let t: TestApp;
  const post = async (path: string, body: BodyInit, contentType?: string) => {
    const res = await t.api('POST', path, { as: 'crm', body, headers: contentType ? { 'content-type': contentType } : {} });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Json, headers: res.headers };
  };
  const customer = async (id: string) => {
    const res = await t.api('GET', `/api/customers/${id}`, { as: 'crm' });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const auditCount = async () => (await t.dl.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action IN ('customer.create','customer.update')"))!.n;

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given a CSV with bad rows when it is imported then each bad row is reported by row and field, and the good rows are kept', async () => {
    const r = await post('/api/imports/customers', CSV, 'text/csv');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'done');
    assert.deepEqual(r.body.totals, { rows: 8, created: 3, updated: 0, unchanged: 0, failed: 5 }, 'the record over two lines is one row');
    const errors = (r.body.errors as Json[]).map((e) => [e.row, e.field, e.customerId]);
    assert.deepEqual(errors, [
      [3, 'name', 'KL-600002'],
      [4, 'kvk', 'KL-600003'],
      [4, 'email', 'KL-600003'],
      [5, 'id', '600004'],
      [8, 'id', 'KL-600001'],
      [9, null, undefined],
    ]);
    assert.match(r.body.errors[0].message, /name is required/);
    assert.match(r.body.errors[4].message, /also on row 2/);
    assert.match(r.body.errors[5].message, /has 3 cells where the header has 8/);

    const noord = await customer('KL-600001');
    assert.deepEqual([noord.body.name, noord.body.kvk, noord.body.postcode, noord.body.attributes], ['Bouwbedrijf Noord B.V.', '12345678', '9711 AA', { segment: 'gold' }]);
    const oost = await customer('KL-600005');
    assert.deepEqual([oost.body.name, oost.body.address], ['Oost "&" West', 'Postbus 5\nAfdeling inkoop']);
    assert.equal((await customer('KL-600003')).status, 404, 'a rejected row writes nothing');
    const audit = await t.dl.db.all<{ subject_id: string }>("SELECT subject_id FROM audit_events WHERE action = 'customer.create' AND details LIKE ?", [`%${r.body.id}%`]);
    assert.deepEqual(audit.map((a) => a.subject_id).sort(), ['KL-600001', 'KL-600005', 'KL-600007']);
  });

  it('given the same file again when it is imported then nothing changes and every good row is reported unchanged', async () => {
    const before = await auditCount();
    const r = await post('/api/imports/customers', CSV, 'text/csv');
    assert.deepEqual(r.body.totals, { rows: 8, created: 0, updated: 0, unchanged: 3, failed: 5 });
    assert.match(r.body.summary, /0 created, 0 updated, 3 unchanged, 5 rejected/);
    assert.equal(await auditCount(), before, 'no audit event for an unchanged row');
  });

  it('given a dry run when a file with changes is sent then it reports what would change and writes nothing', async () => {
    const csv = 'id,name,city\nKL-600001,Bouwbedrijf Noord B.V.,Assen\nKL-600099,Nieuw B.V.,Zwolle\n';
    const r = await post('/api/imports/customers?dryRun=true', csv, 'text/csv');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.dryRun, true);
    assert.deepEqual(r.body.totals, { rows: 2, created: 1, updated: 1, unchanged: 0, failed: 0 });
    assert.match(r.body.summary, /would be created.*nothing was written/);
    assert.equal((await customer('KL-600001')).body.city, 'Groningen');
    assert.equal((await customer('KL-600099')).status, 404);
  });

  it('given columns the file leaves out when it is imported then those fields keep their values', async () => {
    const r = await post('/api/imports/customers', 'id,city\nKL-600001,Assen\n', 'text/csv');
    assert.deepEqual(r.body.totals, { rows: 1, created: 0, updated: 1, unchanged: 0, failed: 0 });
    const c = (await customer('KL-600001')).body;
    assert.deepEqual([c.name, c.kvk, c.city, c.attributes.segment], ['Bouwbedrijf Noord B.V.', '12345678', 'Assen', 'gold']);
  });

  it('given JSON lines, a JSON array or a multipart file when they are imported then they go through the same checks', async () => {
    const ndjson = '{"id":"KL-600010","name":"Lijn B.V.","attributes":{"tier":2}}\n\n{"id":"KL-600011","name":"Fout","kvk":"12"}\nnot json\n';
    const a = await post('/api/imports/customers', ndjson, 'application/x-ndjson');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.format, 'ndjson');
    assert.deepEqual((a.body.errors as Json[]).map((e) => [e.row, e.field]), [[3, 'kvk'], [4, null]]);
    assert.deepEqual((await customer('KL-600010')).body.attributes, { tier: 2 });

    const b = await post('/api/imports/customers', JSON.stringify([{ id: 'KL-600012', name: 'Array B.V.', city: 'Ede' }]), 'application/json');
    assert.deepEqual(b.body.totals, { rows: 1, created: 1, updated: 0, unchanged: 0, failed: 0 });

    const fd = new FormData();
    fd.append('file', new Blob(['id;name\nKL-600013;Formulier B.V.\n']), 'klanten.csv');
    const c = await post('/api/imports/customers', fd);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.deepEqual([c.body.file.name, c.body.totals.created], ['klanten.csv', 1]);
  });

  it('given a file that cannot be read as customers when it is sent then 400 or 415 says why and nothing is stored', async () => {
    const header = await post('/api/imports/customers', 'id,name,colour\nKL-600020,X,red\n', 'text/csv');
    assert.equal(header.status, 400);
    assert.equal(header.body.error.code, 'invalid_header');
    assert.match(header.body.error.message, /"colour" is not a customer field.*attributes\.<name>/);
    const noId = await post('/api/imports/customers', 'name\nX\n', 'text/csv');
    assert.match(noId.body.error.message, /no customer number column/);
    const png = await post('/api/imports/customers', 'x', 'image/png');
    assert.equal(png.status, 415);
    const empty = await post('/api/imports/customers', '', 'text/csv');
    assert.equal(empty.status, 400);
    assert.equal((await customer('KL-600020')).status, 404);
  });

  it('given an import interrupted after a batch when it runs again then it resumes where it stopped and counts every row once', async () => {
    const lines = ['id,name'];
    for (let i = 0; i < 1200; i++) lines.push(`KL-8${String(i).padStart(5, '0')},Hervat ${i}`);
    const actor = (await t.dl.services.users.authenticate(t.tokens.crm))!;
    const { report } = await t.dl.services.imports.submit({ bytes: Buffer.from(lines.join('\n')), fileName: 'resume.csv', contentType: 'text/csv', dryRun: false, background: true }, actor);
    const stop = new AbortController();
    await assert.rejects(
      t.dl.services.imports.run(report.id, actor.id, { signal: stop.signal, onProgress: () => stop.abort(new Error('crash after the first batch')) }),
      /crash after the first batch/,
    );
    const half = await t.dl.services.imports.get(report.id);
    assert.deepEqual([half.status, half.totals.created], ['queued', 500]);
    const done = await t.dl.services.imports.run(report.id, actor.id);
    assert.deepEqual([done.status, done.totals.rows, done.totals.created, done.totals.unchanged], ['done', 1200, 1200, 0]);
  });

  it('given a large file when it is imported then it runs as a job with progress and the report is there when it is done', async () => {
    const lines = ['id,name,city'];
    for (let i = 0; i < 6000; i++) lines.push(`KL-7${String(i).padStart(5, '0')},Klant ${i},${i % 97 === 0 ? '' : `Plaats ${i % 50}`}`);
    lines.push('KL-X,Bad number,');
    t.dl.runner.start({ concurrency: 1 });
    const r = await post('/api/imports/customers', lines.join('\n'), 'text/csv');
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.headers.get('location'), `/api/imports/${r.body.id}`);
    assert.ok(r.body.jobId, 'a job runs it');
    const seen = new Set<number>();
    let view: Json;
    const until = Date.now() + 30_000;
    for (;;) {
      view = (await (await t.api('GET', `/api/imports/${r.body.id}`, { as: 'crm' })).json()) as Json;
      seen.add(view.progress.done);
      if (view.status === 'done' || view.status === 'failed') break;
      assert.ok(Date.now() < until, `import still ${view.status} at ${view.progress.done}`);
      await new Promise((res) => setTimeout(res, 30));
    }
    assert.equal(view.status, 'done', JSON.stringify(view.error));
    assert.deepEqual(view.totals, { rows: 6001, created: 6000, updated: 0, unchanged: 0, failed: 1 });
    assert.deepEqual(view.progress, { done: 6001, total: 6001 });
    assert.deepEqual([view.errors[0].row, view.errors[0].field], [6002, 'id']);
    assert.ok([...seen].some((n) => n > 0 && n < 6001), `progress was visible on the way (${[...seen].join(', ')})`);
    const list = (await (await t.api('GET', '/api/imports?limit=5', { as: 'crm' })).json()) as Json;
    assert.equal(list.imports[0].id, r.body.id);
    assert.ok(!('errors' in list.imports[0]), 'the list leaves the row errors out');
  });

});

describe(MergeService.name, () => {
  let t: TestApp;
  const call = async (method: string, path: string, as: 'crm' | 'admin' | 'mailroom', json?: unknown) => {
    const res = await t.api(method, path, { as, json });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };
  const setStatus = (customerId: string, name: string, value: string) =>
    t.dl.db.tx((q) => t.dl.services.status.set(q, { customerId, name, value, actorId: 'test', source: 'merge-test' }));

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('given a duplicate customer when it is merged then its documents, paper, statuses and holds move and the merged number resolves to the survivor', async () => {
    const from = 'KL-000126';
    const into = 'KL-000125';
    const fromDossier = (await call('GET', `/api/customers/${from}/dossier`, 'crm')).body;
    const intoDossier = (await call('GET', `/api/customers/${into}/dossier`, 'crm')).body;
    assert.ok(fromDossier.documents.some((d: Json) => d.barcode), 'the duplicate has paper');
    await setStatus(into, 'merge-test-both', 'older');
    await setStatus(from, 'merge-test-both', 'newer');
    await setStatus(from, 'merge-test-only', 'yes');
    // Both set in the same millisecond (as a busy machine does): the one set last still wins.
    await t.dl.db.run("UPDATE status_variables SET set_at = '2026-11-30T10:00:00.000Z' WHERE name = 'merge-test-both'");
    await t.dl.db.run("INSERT INTO legal_holds (id, kind, reason, customer_id, placed_by, placed_at) VALUES ('hold_merge', 'customer', 'dispute', ?, 'test', ?)", [from, new Date().toISOString()]);

    const r = await call('POST', `/api/customers/${from}/merge`, 'crm', { into });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.moved.documents, fromDossier.documents.length);
    assert.equal(r.body.moved.paper, fromDossier.documents.filter((d: Json) => d.barcode).length);
    assert.equal(r.body.moved.legalHolds, 1);
    assert.deepEqual(r.body.statusConflicts.find((c: Json) => c.name === 'merge-test-both'), { name: 'merge-test-both', kept: 'newer', from: 'merged' });

    const merged = (await call('GET', `/api/customers/${into}/dossier`, 'crm')).body;
    assert.equal(merged.documents.length, intoDossier.documents.length + fromDossier.documents.length);
    for (const d of fromDossier.documents) {
      const now = merged.documents.find((x: Json) => x.id === d.id);
      assert.ok(now && now.customerId === into, `${d.id} moved`);
      assert.equal(now.retention.hold, true, `${d.id} is still under the hold`);
    }
    const statuses = Object.fromEntries((merged.statuses as Json[]).map((s) => [s.name, s.value]));
    assert.deepEqual([statuses['merge-test-both'], statuses['merge-test-only']], ['newer', 'yes']);
    assert.ok(((merged.statuses as Json[]).find((s) => s.name === 'merge-test-both')!.history as Json[]).some((h) => h.value === 'older'), 'the losing value stays in the history');

    const old = await call('GET', `/api/customers/${from}`, 'crm');
    assert.equal(old.body.id, into, 'the old number resolves to the survivor');
    assert.equal((await call('GET', `/api/customers/${from}/dossier`, 'crm')).body.customer.id, into);
    const put = await call('PUT', `/api/customers/${from}`, 'crm', { name: 'Jansen & Zn. Transport' });
    assert.equal(put.status, 409);
    assert.deepEqual([put.body.error.code, put.body.error.details.mergedInto], ['customer_merged', into]);
    const found = (await call('GET', '/api/customers?q=Jansen', 'crm')).body.customers as Json[];
    assert.ok(!found.some((c) => c.id === from), 'search leaves the tombstone out');
    const audit = await t.dl.db.all<{ subject_id: string }>("SELECT subject_id FROM audit_events WHERE action = 'customer.merge' ORDER BY subject_id");
    assert.deepEqual(audit.map((a) => a.subject_id), [into, from]);
  });

  it('given a merged number when something still names it then it lands on the survivor or is refused with the survivor named', async () => {
    const paper = await call('POST', '/api/documents/paper', 'mailroom', { customerId: 'KL-000126', type: 'letter', title: 'late letter' });
    assert.equal(paper.status, 201, JSON.stringify(paper.body));
    assert.equal((await call('GET', `/api/documents/${paper.body.id}`, 'crm')).body.customerId, 'KL-000125');
    await setStatus('KL-000126', 'coupon', 'returned');
    const statuses = await t.dl.db.all<{ customer_id: string }>("SELECT customer_id FROM status_variables WHERE name = 'coupon'");
    assert.deepEqual(statuses.map((s) => s.customer_id), ['KL-000125']);

    const imp = await t.api('POST', '/api/imports/customers', { as: 'crm', body: 'id,name\nKL-000126,Jansen\n', headers: { 'content-type': 'text/csv' } });
    const report = (await imp.json()) as Json;
    assert.deepEqual([report.errors[0].row, report.errors[0].field], [2, 'id']);
    assert.match(report.errors[0].message, /merged into KL-000125/);

    assert.equal((await call('POST', '/api/customers/KL-000126/merge', 'crm', { into: 'KL-000124' })).body.error.code, 'already_merged');
    assert.equal((await call('POST', '/api/customers/KL-000124/merge', 'crm', { into: 'KL-000126' })).body.error.code, 'merged_target');
    assert.equal((await call('POST', '/api/customers/KL-000124/merge', 'crm', { into: 'KL-000124' })).status, 400);
    assert.equal((await call('POST', '/api/customers/KL-000124/merge', 'crm', { into: 'KL-999999' })).status, 404);
  });
});
