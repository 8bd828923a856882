import profiles from '../../classifiers/scopes.json' with { type: 'json' };
import { isIsoDate, type IsoDate } from './dates.js';
import type { Classification, DocumentClass, KeyPoints, TraceStep } from './document.js';

export type ScopeId = 'sales' | 'care' | 'loyalty';
export const SCOPES = profiles.scopes.map((s) => ({ id: s.id as ScopeId, name: s.name }));
export const SCOPE_IDS = SCOPES.map((s) => s.id);

type Rule = { type: string; state?: string[]; class: string; why: string };

/**
 * The state of a document that rules can depend on, from its key points and dates.
 * States change with time (an SLA expires), so `today` is an input.
 */
export function documentState(type: string, fields: KeyPoints, docDate: IsoDate | null, today: IsoDate): string {
  const status = typeof fields.status === 'string' ? fields.status.toLowerCase() : undefined;
  switch (type) {
    case 'quote':
      if (status === 'accepted' || status === 'declined') return status;
      if (isIsoDate(fields.validUntil) && fields.validUntil < today) return 'expired';
      return 'outstanding';
    case 'service-call':
      return status === 'closed' || status === 'resolved' ? 'closed' : 'open';
    case 'sla':
    case 'service-contract':
      if (isIsoDate(fields.endsOn) && fields.endsOn < today) return 'expired';
      if (isIsoDate(fields.startsOn) && fields.startsOn > today) return 'upcoming';
      return 'current';
    case 'order':
      return status === 'delivered' || status === 'closed' ? 'delivered' : 'open';
    case 'invoice':
      return status === 'paid' ? 'paid' : 'outstanding';
    case 'letter': {
      if (!docDate) return 'recent';
      const ageDays = (Date.parse(today) - Date.parse(docDate)) / 86_400_000;
      return ageDays <= 90 ? 'recent' : 'old';
    }
    case 'reply-coupon':
      return 'returned';
    default:
      return 'unknown';
  }
}

function matches(rule: Rule, type: string, state: string): boolean {
  return (rule.type === '*' || rule.type === type) && (!rule.state || rule.state.includes(state));
}

/**
 * Decides static or dynamic for a document under the active scopes, with the trace of why.
 * Dynamic when any active scope needs it dynamic; static otherwise.
 *
 *     classify({ type: 'quote', fields: {}, docDate: null, scopes: ['sales'], today: '2026-01-01' }).class // 'dynamic'
 */
export function classify(input: {
  type: string;
  fields: KeyPoints;
  docDate: IsoDate | null;
  scopes: readonly string[];
  today: IsoDate;
}): { class: DocumentClass; state: string; classification: Classification } {
  const state = documentState(input.type, input.fields, input.docDate, input.today);
  const trace: TraceStep[] = [{ rule: 'state', evidence: `type ${input.type}`, result: state }];
  for (const rule of profiles.always as Rule[]) {
    if (matches(rule, input.type, state)) {
      trace.push({ rule: `always: ${rule.type}`, evidence: rule.why, result: rule.class });
      return { class: rule.class as DocumentClass, state, classification: { by: 'rule', confidence: 1, trace } };
    }
  }
  let result: DocumentClass = 'static';
  for (const scope of profiles.scopes) {
    if (!input.scopes.includes(scope.id)) continue;
    const rule = (scope.rules as Rule[]).find((r) => matches(r, input.type, state));
    if (!rule) {
      trace.push({ rule: 'no rule', scope: scope.id, result: 'no opinion' });
      continue;
    }
    trace.push({
      rule: `${rule.type}${rule.state ? ` [${rule.state.join('|')}]` : ''}`,
      scope: scope.id,
      evidence: rule.why,
      result: rule.class,
    });
    if (rule.class === 'dynamic') result = 'dynamic';
  }
  if (result === 'static' && !trace.some((t) => t.result === 'static')) {
    trace.push({ rule: 'default', evidence: 'no active scope needs it dynamic', result: 'static' });
  }
  return { class: result, state, classification: { by: 'rule', confidence: 1, trace } };
}
