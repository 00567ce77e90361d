/**
 * Wall-clock helpers on plain strings, America/New_York by default: dates are 'YYYY-MM-DD', times 'HH:MM'
 * (24 h). Time zone rules come from Intl, so daylight saving is whatever the runtime's tz database says.
 * The one copy of this code: the scheduler's zoned slots use zonedDate/zonedDateTime from here.
 */

export const NEW_YORK = 'America/New_York';
const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * One formatter and one cache of wall clocks per zone: building an Intl.DateTimeFormat costs far more
 * than using one, and formatToParts costs microseconds while backtests ask about the same instants again
 * and again.
 */
interface Zone {
  formatter: Intl.DateTimeFormat;
  clocks: Map<number, WallClock>;
}

const zones = new Map<string, Zone>();

function zoneOf(name: string): Zone {
  let zone = zones.get(name);
  if (!zone) {
    const formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zone = { formatter, clocks: new Map() };
    zones.set(name, zone);
  }
  return zone;
}

function wallClockOf(zoneName: string, epochMs: number): WallClock {
  const zone = zoneOf(zoneName);
  const known = zone.clocks.get(epochMs);
  if (known) return known;
  if (zone.clocks.size >= 100_000) zone.clocks.clear();
  const fields: Record<string, number> = {};
  for (const part of zone.formatter.formatToParts(epochMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const computed = {
    year: fields['year'] ?? Number.NaN,
    month: fields['month'] ?? Number.NaN,
    day: fields['day'] ?? Number.NaN,
    hour: fields['hour'] ?? Number.NaN,
    minute: fields['minute'] ?? Number.NaN,
    second: fields['second'] ?? Number.NaN,
  };
  zone.clocks.set(epochMs, computed);
  return computed;
}

/** A zone's offset from UTC at an instant, in ms (New York: -4 h in summer, -5 h in winter). */
function offsetAt(zone: string, epochMs: number): number {
  const w = wallClockOf(zone, epochMs);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** UTC midnight of a 'YYYY-MM-DD' date, in ms; a RangeError for anything that is not a real date. */
function dateToUtcMs(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  if (utcMsToDate(ms) !== date) throw new RangeError(`no such date: ${date}`);
  return ms;
}

function utcMsToDate(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** A RangeError unless `date` is a real 'YYYY-MM-DD' date. */
export function assertDate(date: string): void {
  dateToUtcMs(date);
}

/**
 * The instant at which `zone`'s wall clock shows `time` on `date`. As Temporal's 'compatible' rule: a time
 * in the spring-forward gap moves forward by the gap (02:30 becomes 03:30 EDT), a time in the repeated autumn
 * hour takes its first (daylight-time) occurrence. Market hours never hit either case.
 */
export function zonedDateTime(zone: string, date: string, time: string): Date {
  const m = TIME_RE.exec(time);
  if (!m) throw new RangeError(`not an HH:MM time: ${JSON.stringify(time)}`);
  const wall = dateToUtcMs(date) + Number(m[1]) * 3_600_000 + Number(m[2]) * 60_000;
  // A day either side of the wall time lies outside any switch, so these are the two offsets in play.
  const before = offsetAt(zone, wall - DAY_MS);
  const after = offsetAt(zone, wall + DAY_MS);
  const valid = [wall - before, wall - after].filter((t) => wall - t === offsetAt(zone, t));
  return new Date(valid.length > 0 ? Math.min(...valid) : wall - before);
}

/** The calendar date in `zone` at an instant. */
export function zonedDate(zone: string, at: Date): string {
  const w = wallClockOf(zone, at.getTime());
  return `${String(w.year).padStart(4, '0')}-${pad2(w.month)}-${pad2(w.day)}`;
}

/** The instant at which New York's wall clock shows `time` on `date` (see zonedDateTime). */
export function nyDateTime(date: string, time: string): Date {
  return zonedDateTime(NEW_YORK, date, time);
}

/** The New York calendar date at an instant. */
export function nyDate(at: Date): string {
  return zonedDate(NEW_YORK, at);
}

/** The New York wall-clock time at an instant, truncated to the minute. */
export function nyTime(at: Date): string {
  const w = wallClockOf(NEW_YORK, at.getTime());
  return `${pad2(w.hour)}:${pad2(w.minute)}`;
}

/** The date `n` calendar days after `date` (n may be negative). */
export function addDays(date: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`addDays needs a whole number of days, got ${n}`);
  return utcMsToDate(dateToUtcMs(date) + n * DAY_MS);
}

/** Day of the week as in Date#getDay: 0 is Sunday, 1 Monday, ... 6 Saturday. */
export function weekday(date: string): number {
  return new Date(dateToUtcMs(date)).getUTCDay();
}

/** The Monday of the Monday-to-Sunday week that contains `date`. */
export function mondayOf(date: string): string {
  return addDays(date, -((weekday(date) + 6) % 7));
}
