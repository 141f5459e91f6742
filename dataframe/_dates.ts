/**
 * Dates and timestamps from ISO 8601 text: `YYYY-MM-DD` as days since the
 * epoch, `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]` as milliseconds since
 * the epoch (UTC when no offset is given).
 *
 * @module
 */

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DAYS_IN = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > DAYS_IN[m - 1]) return false;
  if (m === 2 && d === 29) {
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  }
  return true;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TS_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Days since the epoch of a `YYYY-MM-DD` text, or undefined. */
export function parseDateText(text: string): number | undefined {
  const m = DATE_RE.exec(text);
  if (m === null) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3];
  return validDate(y, mo, d) ? daysFromCivil(y, mo, d) : undefined;
}

/** Milliseconds since the epoch of an ISO date-time text, or undefined. */
export function parseTimestampText(text: string): number | undefined {
  const m = TS_RE.exec(text);
  if (m === null) return undefined;
  const y = +m[1], mo = +m[2], d = +m[3];
  const h = +m[4], mi = +m[5], s = m[6] === undefined ? 0 : +m[6];
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  const frac = m[7] === undefined ? 0 : Math.floor(+`0.${m[7]}` * 1000);
  let offset = 0;
  if (m[8] !== undefined && m[8] !== "Z") {
    const sign = m[8][0] === "-" ? -1 : 1;
    const digits = m[8].slice(1).replace(":", "");
    offset = sign * (+digits.slice(0, 2) * 60 + +digits.slice(2));
  }
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 +
    s * 1000 + frac - offset * 60_000;
}

/** `YYYY-MM-DD` of a day count. */
export function formatDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** ISO 8601 (UTC) of a millisecond count. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
