/** Calendar dates as 'YYYY-MM-DD' strings, in UTC, so rules are independent of the server's zone. */
export type IsoDate = string;

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(s: unknown): s is IsoDate {
  if (typeof s !== 'string' || !ISO_DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function toIsoDate(d: Date): IsoDate {
  return d.toISOString().slice(0, 10);
}

/**
 * Adds an ISO 8601 duration of years, months and days (P7Y, P18M, P30D, P1Y6M) to a date.
 * Month ends clamp: 2024-01-31 + P1M = 2024-02-29.
 */
export function addPeriod(date: IsoDate, period: string): IsoDate {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/.exec(period);
  if (!m || period === 'P') throw new RangeError(`unsupported period ${period}`);
  const [y, mo, d] = date.split('-').map(Number);
  const years = Number(m[1] ?? 0);
  const months = Number(m[2] ?? 0);
  const days = Number(m[3] ?? 0);
  const totalMonths = (y + years) * 12 + (mo - 1) + months;
  const ty = Math.floor(totalMonths / 12);
  const tm = totalMonths % 12;
  const lastDay = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
  const base = new Date(Date.UTC(ty, tm, Math.min(d, lastDay)));
  base.setUTCDate(base.getUTCDate() + days);
  return toIsoDate(base);
}
