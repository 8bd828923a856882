import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { z } from 'zod';
import { renderLettersPdf } from '../adapters/pdf/letters.pdf.js';
import type { CustomerRow } from '../db/customers.repository.js';
import type { Database } from '../db/database.js';
import { mailingsRepository, type CustomerFilter, type MailingRow } from '../db/mailings.repository.js';
import { makeBarcode } from '../domain/barcode.js';
import { newId } from '../domain/ids.js';
import {
  MAX_ANSWERS,
  STATUS_LETTER_SENT,
  csvLine,
  notMailable,
  unknownPlaceholders,
  type LetterTemplate,
} from '../domain/mailing.js';
import type { Principal } from '../domain/roles.js';
import { seesRestricted } from '../domain/restriction.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import { Conflict, Invalid, NotFound, UnknownReference } from '../errors.js';
import type { AuditService } from './audit.service.js';
import { nowIso, today, type Clock } from './clock.js';
import type { StatusService } from './status.service.js';

/** A mailing larger than this is a mistake in the selection more often than a plan. */
export const MAX_LETTERS = 20_000;
/** Letters per `?part=` of the letters PDF. */
export const DEFAULT_PART_SIZE = 500;
/** Largest letters PDF made in one response; larger mailings are fetched in parts. */
export const MAX_LETTERS_PER_PDF = 2_000;

const AnswerSchema = z.object({ id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), label: z.string().min(1).max(120) });
const TemplateSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/),
    description: z.string(),
    sender: z.object({ name: z.string().min(1), lines: z.array(z.string()).max(5), returnAddress: z.string() }),
    subject: z.string().min(1),
    salutation: z.string(),
    paragraphs: z.array(z.string()).min(1).max(12),
    closing: z.string(),
    signature: z.array(z.string()).max(4),
    coupon: z.object({
      title: z.string().min(1),
      question: z.string().min(1),
      answers: z.array(AnswerSchema).min(1).max(MAX_ANSWERS),
      returnTo: z.array(z.string()).max(4),
    }),
  })
  .strict();

const TEMPLATE_DIRS = [new URL('../../templates/letters/', import.meta.url), new URL('../../../templates/letters/', import.meta.url)];

let templatesCache: Promise<Map<string, LetterTemplate>> | undefined;

/** Letter templates from `templates/letters/*.json`, checked once: a broken file is a bug, not a client error. */
export function loadTemplates(): Promise<Map<string, LetterTemplate>> {
  templatesCache ??= (async () => {
    const dir = TEMPLATE_DIRS.map((u) => fileURLToPath(u)).find((d) => existsSync(d));
    if (!dir) throw new Error('templates/letters/ not found');
    const out = new Map<string, LetterTemplate>();
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
      const parsed = TemplateSchema.safeParse(JSON.parse(await readFile(`${dir}/${file}`, 'utf8')));
      if (!parsed.success) throw new Error(`templates/letters/${file} is invalid: ${z.prettifyError(parsed.error)}`);
      const t = parsed.data;
      const unknown = unknownPlaceholders(JSON.stringify(t));
      if (unknown.length) throw new Error(`templates/letters/${file} uses unknown placeholders: ${unknown.join(', ')}`);
      if (new Set(t.coupon.answers.map((a) => a.id)).size !== t.coupon.answers.length) throw new Error(`templates/letters/${file}: answer ids repeat`);
      out.set(t.id, t);
    }
    return out;
  })().catch((err: unknown) => {
    templatesCache = undefined;
    throw err;
  });
  return templatesCache;
}

export type MailingInput = { name: string; template?: string; customerIds?: string[]; filter?: CustomerFilter };

/** `withheld`: letters not sent because their addressee was restricted when the mailing was marked as sent (GDPR art. 18). */
export function toMailingView(m: MailingRow, replies: { answer: string | null; n: number }[] = [], withheld = 0) {
  const byAnswer: Record<string, number> = {};
  let total = 0;
  for (const r of replies) {
    byAnswer[r.answer ?? 'unreadable'] = r.n;
    total += r.n;
  }
  return {
    id: m.id,
    name: m.name,
    template: m.template,
    letterCount: m.letter_count,
    selection: JSON.parse(m.selection) as Record<string, unknown>,
    createdAt: m.created_at,
    createdBy: m.created_by,
    sentAt: m.sent_at,
    replies: { total, byAnswer },
    withheld,
  };
}

/** Numbered mailings: the selection, one barcode per letter, the printable letters, and "sent". */
export class MailingsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly status: StatusService,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  async templates(): Promise<LetterTemplate[]> {
    return [...(await loadTemplates()).values()];
  }

  async template(id: string): Promise<LetterTemplate> {
    const all = await loadTemplates();
    const t = all.get(id);
    if (!t) throw new Invalid(`Unknown letter template ${JSON.stringify(id)}`, { template: id, available: [...all.keys()] }, 'unknown_template');
    return t;
  }

  /**
   * Creates a mailing with one numbered letter per selected customer. A list naming customers that
   * do not exist, or may not be mailed, is refused whole (422); a filter leaves the latter out and
   * says so. An empty selection is a 400.
   */
  async create(input: MailingInput, actor: Principal) {
    const templateId = input.template ?? 'default';
    await this.template(templateId);
    if (!input.customerIds === !input.filter) {
      throw new Invalid('Give either `customerIds` or `filter`', undefined, 'invalid_selection');
    }
    return this.db.tx(async (q) => {
      let customers: CustomerRow[];
      const excluded: { customerId: string; reason: string }[] = [];
      if (input.customerIds) {
        const ids = [...new Set(input.customerIds)];
        if (ids.length === 0) throw new Invalid('The selection is empty: no customers were given', undefined, 'empty_selection');
        if (ids.length > MAX_LETTERS) throw new Invalid(`At most ${MAX_LETTERS} letters per mailing`, { selected: ids.length }, 'selection_too_large');
        const found = new Map((await mailingsRepository.customersByIds(q, ids)).map((c) => [c.id, c]));
        const unknown = ids.filter((id) => !found.has(id));
        if (unknown.length) {
          throw new UnknownReference(`${unknown.length} customer(s) in the selection do not exist`, { customerIds: unknown }, 'unknown_customers');
        }
        customers = ids.map((id) => found.get(id)!);
        const refused = customers.map((c) => ({ customerId: c.id, reason: notMailable(c) })).filter((r) => r.reason);
        if (refused.length) {
          throw new UnknownReference(`${refused.length} customer(s) in the selection may not or cannot be mailed`, { customers: refused }, 'not_mailable');
        }
      } else {
        customers = [];
        for (const c of await mailingsRepository.customersByFilter(q, input.filter!)) {
          const reason = notMailable(c);
          if (reason) excluded.push({ customerId: c.id, reason });
          else customers.push(c);
        }
        if (customers.length === 0) {
          throw new Invalid('The selection is empty: no customer matches the filter', { filter: input.filter, excluded }, 'empty_selection');
        }
        if (customers.length > MAX_LETTERS) throw new Invalid(`At most ${MAX_LETTERS} letters per mailing`, { selected: customers.length }, 'selection_too_large');
      }
      const id = newId('mlg', this.clock.now().getTime());
      const first = await mailingsRepository.reserve(q, 'barcode.letter', customers.length);
      const letters = customers.map((c, i) => ({ barcode: makeBarcode('letter', first + i), seq: i + 1, customerId: c.id }));
      const row = {
        id,
        name: input.name,
        template: templateId,
        selection: JSON.stringify(input.customerIds ? { customerIds: customers.length } : { filter: input.filter, excluded: excluded.length }),
        letter_count: letters.length,
        created_by: actor.id,
        created_at: nowIso(this.clock),
      };
      await mailingsRepository.insertMailing(q, row);
      await mailingsRepository.insertLetters(q, id, letters);
      await this.audit.record(q, {
        actorId: actor.id,
        action: 'mailing.create',
        subjectType: 'mailing',
        subjectId: id,
        details: { name: input.name, template: templateId, letters: letters.length, firstBarcode: letters[0]!.barcode, excluded: excluded.length },
      });
      return {
        ...toMailingView({ ...row, sent_at: null, sent_by: null }),
        letters: letters.map((l) => ({ seq: l.seq, customerId: l.customerId, barcode: l.barcode })),
        excluded,
      };
    });
  }

  private async row(id: string): Promise<MailingRow> {
    const m = await mailingsRepository.get(this.db, id);
    if (!m) throw new NotFound('mailing', id);
    return m;
  }

  /** `actor`: letters of restricted customers are left out for roles other than compliance and admin (GDPR art. 18). */
  async get(id: string, opts: { letters?: boolean; actor?: Principal } = {}) {
    const m = await this.row(id);
    const view = toMailingView(m, await mailingsRepository.replyCounts(this.db, id), await mailingsRepository.withheldCount(this.db, id));
    if (!opts.letters) return view;
    const all = await mailingsRepository.letters(this.db, id);
    const hidden = opts.actor ? await this.restrictedCustomers(opts.actor, all.map((l) => l.customer_id)) : new Set<string>();
    const letters = all.filter((l) => !hidden.has(l.customer_id)).map((l) => ({
      seq: l.seq,
      barcode: l.barcode,
      customerId: l.customer_id,
      repliedAt: l.replied_at,
      answer: l.answer,
      replyDocumentId: l.reply_document_id,
      ...(l.withheld_at ? { withheld: true, withheldAt: l.withheld_at } : {}),
    }));
    return { ...view, letters };
  }

  async list(limit: number, offset: number) {
    const rows = await mailingsRepository.list(this.db, limit, offset);
    const out = [];
    for (const m of rows) out.push(toMailingView(m, await mailingsRepository.replyCounts(this.db, m.id), await mailingsRepository.withheldCount(this.db, m.id)));
    return out;
  }

  /**
   * The letters as one PDF, or part `part` (1-based) of `partSize` letters. Audited: it prints
   * names and addresses for a third party.
   */
  async lettersPdf(id: string, actor: Principal, opts: { part?: number; partSize?: number } = {}) {
    const m = await this.row(id);
    const template = await this.template(m.template);
    const partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    const parts = Math.max(1, Math.ceil(m.letter_count / partSize));
    if (opts.part === undefined && m.letter_count > MAX_LETTERS_PER_PDF) {
      throw new Invalid(`This mailing has ${m.letter_count} letters; fetch it in parts with ?part=1..${parts}`, { parts, partSize }, 'use_parts');
    }
    if (opts.part !== undefined && opts.part > parts) {
      throw new Invalid(`Part ${opts.part} does not exist; this mailing has ${parts} part(s) of ${partSize}`, { parts, partSize }, 'part_out_of_range');
    }
    const offset = opts.part === undefined ? 0 : (opts.part - 1) * partSize;
    const limit = opts.part === undefined ? m.letter_count : partSize;
    const all = await mailingsRepository.letters(this.db, id, offset, limit);
    // GDPR art. 18: a restricted customer's letter is left out for everyone but compliance and
    // admin; the caller is told how many (header X-Letters-Restricted), the seq numbers show the gap.
    const hidden = await this.restrictedCustomers(actor, all.map((l) => l.customer_id));
    const rows = all.filter((l) => !hidden.has(l.customer_id));
    const restrictedLeftOut = all.length - rows.length;
    if (rows.length === 0 && restrictedLeftOut > 0) {
      throw new Conflict(`Every letter here belongs to a customer whose processing is restricted (GDPR art. 18); only compliance may print them`, { restrictedLeftOut }, 'restricted');
    }
    const started = performance.now();
    const log = this.logger?.child({ mailingId: id, part: opts.part ?? null });
    const pdf = await renderLettersPdf(
      {
        template,
        mailing: { id: m.id, name: m.name },
        date: (m.sent_at ?? nowIso(this.clock)).slice(0, 10),
        total: m.letter_count,
        letters: rows.map((l) => ({ seq: l.seq, barcode: l.barcode, customer: { id: l.customer_id, name: l.name, address: l.address, postcode: l.postcode, city: l.city } })),
      },
      { onProgress: (done, total) => log?.info({ done, total }, 'letters rendered') },
    );
    log?.info({ letters: rows.length, bytes: pdf.byteLength, ms: Math.round(performance.now() - started) }, 'letters pdf ready');
    const range = rows.length ? { from: rows[0]!.seq, to: rows[rows.length - 1]!.seq } : { from: 0, to: 0 };
    await this.audit.recordNow({
      actorId: actor.id,
      action: 'mailing.print',
      subjectType: 'mailing',
      subjectId: id,
      details: { part: opts.part ?? null, from: range.from, to: range.to, restrictedLeftOut },
    });
    return { pdf, parts, range, name: m.name, restrictedLeftOut };
  }

  /** The customers among these whose letters this principal may not see (GDPR art. 18). */
  private async restrictedCustomers(actor: Principal, customerIds: string[]): Promise<Set<string>> {
    if (seesRestricted(actor)) return new Set();
    return restrictionRepository.restrictedAmong(this.db, [...new Set(customerIds)]);
  }

  /** The selection with its codes as CSV (RFC 4180, UTF-8 with BOM so spreadsheets read accents). Audited. */
  async lettersCsv(id: string, actor: Principal): Promise<{ csv: string; name: string; restrictedLeftOut: number }> {
    const m = await this.row(id);
    let csv = `\uFEFF${csvLine(['seq', 'barcode', 'customer_id', 'name', 'address', 'postcode', 'city', 'mailing_id', 'replied_at', 'answer'])}`;
    const all = await mailingsRepository.letters(this.db, id);
    const hidden = await this.restrictedCustomers(actor, all.map((l) => l.customer_id));
    for (const l of all.filter((x) => !hidden.has(x.customer_id))) {
      csv += csvLine([l.seq, l.barcode, l.customer_id, l.name, l.address, l.postcode, l.city, m.id, l.replied_at, l.answer]);
    }
    await this.audit.recordNow({ actorId: actor.id, action: 'mailing.export', subjectType: 'mailing', subjectId: id, details: { format: 'csv', letters: m.letter_count, restrictedLeftOut: hidden.size } });
    return { csv, name: m.name, restrictedLeftOut: hidden.size };
  }

  /**
   * Marks the mailing as sent: status variable `letter-sent` on every addressee, in one transaction
   * with the audit events. Only once (409 after that).
   *
   * GDPR art. 18: recording that a letter went to a restricted customer is processing, and its
   * letter was left out of printing for everyone but compliance. Such a letter is withheld: not
   * marked sent, no `letter-sent`, counted in `withheld` and audited (`mailing.withheld`) on the
   * customer. Lifting the restriction later does not send it.
   */
  async markSent(id: string, actor: Principal, sentOn?: string) {
    const started = performance.now();
    const result = await this.db.tx(async (q) => {
      const m = await mailingsRepository.get(q, id);
      if (!m) throw new NotFound('mailing', id);
      const at = nowIso(this.clock);
      if ((await mailingsRepository.markSent(q, id, at, actor.id)) === 0) {
        throw new Conflict(`Mailing ${id} was already marked as sent on ${m.sent_at}`, { sentAt: m.sent_at }, 'already_sent');
      }
      const date = sentOn ?? today(this.clock);
      const all = await mailingsRepository.letters(q, id);
      const restricted = await restrictionRepository.restrictedAmong(q, [...new Set(all.map((l) => l.customer_id))]);
      const letters = all.filter((l) => !restricted.has(l.customer_id));
      const withheld = all.filter((l) => restricted.has(l.customer_id));
      await mailingsRepository.markWithheld(q, id, withheld.map((l) => l.barcode), at);
      for (const l of withheld) {
        await this.audit.record(q, {
          actorId: actor.id,
          action: 'mailing.withheld',
          subjectType: 'letter',
          subjectId: l.barcode,
          customerId: l.customer_id,
          details: { mailingId: id, seq: l.seq, reason: 'restricted' },
        });
      }
      for (const l of letters) {
        await this.status.set(q, {
          customerId: l.customer_id,
          name: STATUS_LETTER_SENT,
          value: date,
          detail: { date, mailingId: id, mailing: m.name, barcode: l.barcode },
          actorId: actor.id,
          source: `mailing:${id}`,
        });
      }
      await this.audit.record(q, { actorId: actor.id, action: 'mailing.sent', subjectType: 'mailing', subjectId: id, details: { letters: letters.length, withheld: withheld.length, date } });
      return { ...m, sent_at: at, sent_by: actor.id, withheld: withheld.length };
    });
    this.logger?.info({ mailingId: id, letters: result.letter_count, ms: Math.round(performance.now() - started) }, 'mailing marked as sent');
    return toMailingView(result, await mailingsRepository.replyCounts(this.db, id), result.withheld);
  }
}
