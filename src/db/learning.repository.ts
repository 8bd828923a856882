import type { Queryable } from './database.js';

export type Learned = {
  typeKeywords: Record<string, Record<string, number>>;
  customerPhrases: { customerId: string; phrase: string }[];
};

export const learningRepository = {
  async load(q: Queryable): Promise<Learned> {
    const typeKeywords: Learned['typeKeywords'] = {};
    for (const r of await q.all<{ type: string; word: string; weight: number }>('SELECT type, word, weight FROM learned_type_keywords')) {
      (typeKeywords[r.type] ??= {})[r.word] = r.weight;
    }
    const customerPhrases = (await q.all<{ customer_id: string; phrase: string }>('SELECT customer_id, phrase FROM customer_aliases')).map((r) => ({
      customerId: r.customer_id,
      phrase: r.phrase,
    }));
    return { typeKeywords, customerPhrases };
  },

  /** Strengthens words for a type; capped so one loud document cannot dominate. */
  async learnTypeWords(q: Queryable, type: string, words: string[]): Promise<void> {
    for (const w of words) {
      await q.run(
        `INSERT INTO learned_type_keywords (type, word, weight) VALUES (?, ?, 1)
         ON CONFLICT(type, word) DO UPDATE SET weight = CASE WHEN learned_type_keywords.weight + 1 < 4 THEN learned_type_keywords.weight + 1 ELSE 4 END`,
        [type, w],
      );
    }
  },

  learnCustomerPhrase(q: Queryable, customerId: string, phrase: string, at: string) {
    return q.run('INSERT INTO customer_aliases (customer_id, phrase, learned_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [customerId, phrase, at]);
  },

  recordCorrection(q: Queryable, c: { documentId: string; field: string; oldValue: unknown; newValue: unknown; by: string; at: string }) {
    return q.run('INSERT INTO corrections (document_id, field, old_value, new_value, by_user, at) VALUES (?, ?, ?, ?, ?, ?)', [
      c.documentId,
      c.field,
      c.oldValue === undefined || c.oldValue === null ? null : String(c.oldValue),
      c.newValue === undefined || c.newValue === null ? null : String(c.newValue),
      c.by,
      c.at,
    ]);
  },

  /** Customers with a KvK number or a postcode that appears in a document. */
  customersByKvk(q: Queryable, kvks: string[]) {
    if (kvks.length === 0) return Promise.resolve([]);
    return q.all<{ id: string; name: string; kvk: string }>(`SELECT id, name, kvk FROM customers WHERE kvk IN (${kvks.map(() => '?').join(',')})`, kvks);
  },
  customersByPostcode(q: Queryable, postcodes: string[]) {
    if (postcodes.length === 0) return Promise.resolve([]);
    return q.all<{ id: string; name: string; postcode: string }>(
      `SELECT id, name, postcode FROM customers WHERE REPLACE(UPPER(postcode), ' ', '') IN (${postcodes.map(() => '?').join(',')})`,
      postcodes,
    );
  },
};
