// What a legal hold covers, in the user's words: the retention screen's list of holds and the
// audit log's hold events (the server's own sentence is English).
import { t } from './i18n.js';
import { fmtDate, typeName } from './ui.js';

/**
 * A hold's scope from its kind, customer and query (as GET /api/holds and /api/names give them);
 * `customer(id)` says a customer as the screen does (by name where it knows it).
 */
export function holdScope(x, customer = (id) => id) {
  if (x.kind === 'customer') return t('ret.holdScope.customer', { id: x.customerId ? customer(x.customerId) : '' });
  if (x.kind === 'document') return t('ret.holdScope.document');
  if (x.kind === 'documents') return t('ret.holdScope.documents');
  const q = x.query ?? {};
  const parts = [q.type ? t('ret.holdScope.typed', { type: typeName(q.type) }) : t('ret.holdScope.all')];
  if (x.customerId) parts.push(t('ret.holdScope.ofCustomer', { id: customer(x.customerId) }));
  if (q.from || q.to) parts.push(t('ret.holdScope.dated', { from: q.from ? fmtDate(q.from) : '…', to: q.to ? fmtDate(q.to) : '…' }));
  if (q.text) parts.push(t('ret.holdScope.matching', { text: q.text }));
  return parts.join(' ');
}
