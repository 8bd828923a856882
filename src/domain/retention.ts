import rules from '../../classifiers/retention.json' with { type: 'json' };
import { addPeriod, isIsoDate, type IsoDate } from './dates.js';
import type { Disposition, KeyPoints, Retention } from './document.js';

export type Schedule = { legalBasis: string; trigger: string; period: string; disposition: Disposition };
const schedules = rules.schedules as Record<string, Schedule>;

export function scheduleFor(type: string): Schedule {
  return schedules[type] ?? schedules['*'];
}

export type RetentionInput = {
  type: string;
  docDate: IsoDate | null;
  registeredOn: IsoDate;
  fields: KeyPoints;
  customer?: { relationshipEndedOn?: string; consentWithdrawnOn?: string } | null;
  hold: boolean;
};

/**
 * Computes a document's retention from its schedule and trigger data. An open trigger
 * (relationship still running, consent not withdrawn) leaves `startsOn`/`endsOn` null:
 * the period has not started, so nothing is due.
 */
export function computeRetention(input: RetentionInput): Retention {
  const s = scheduleFor(input.type);
  const docDate = input.docDate ?? input.registeredOn;
  let startsOn: IsoDate | null;
  switch (s.trigger) {
    case 'document-date':
      startsOn = docDate;
      break;
    case 'contract-end':
      startsOn = isIsoDate(input.fields.endsOn) ? input.fields.endsOn : docDate;
      break;
    case 'relationship-end':
      startsOn = isIsoDate(input.customer?.relationshipEndedOn) ? input.customer!.relationshipEndedOn! : null;
      break;
    case 'consent-withdrawn':
      startsOn = isIsoDate(input.customer?.consentWithdrawnOn) ? input.customer!.consentWithdrawnOn! : null;
      break;
    default:
      startsOn = docDate;
  }
  return {
    legalBasis: s.legalBasis,
    trigger: s.trigger,
    startsOn,
    period: s.period,
    endsOn: startsOn ? addPeriod(startsOn, s.period) : null,
    disposition: s.disposition,
    hold: input.hold,
  };
}
