/**
 * Wall-clock helpers on plain strings, America/New_York by default: dates are 'YYYY-MM-DD', times 'HH:MM'
 * (24 h). Time zone rules come from Intl, so daylight saving is whatever the runtime's tz database says.
 * The one copy of this code: the scheduler's zoned slots use zonedDate/zonedDateTime from here.
 */

export const NEW_YORK = 'America/New_York';
const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * One formatter and one cache of offsets per zone: building an Intl.DateTimeFormat costs far more than
 * using one, formatToParts costs microseconds, and backtests ask about hundreds of thousands of instants.
 * A zone's offset holds for months at a time, so it is kept per UTC day: the offset that held for the
 * whole day, or null for a day a switch falls in (then each instant is asked of Intl). A day's offset is
 * told from the offsets at its start and at the next day's start, each asked of Intl once.
 */
interface Zone {
  formatter: Intl.DateTimeFormat;
  offsets: Map<number, number | null>;
  /** The offset at each UTC day's first instant, by day number. */
  starts: Map<number, number>;
  /**
   * zonedDateTime's answers (epoch ms) by date, then time: a backtest asks for the same few thousand,
   * and two lookups of strings it already holds cost less than building a key for one.
   */
  instants: Map<string, Map<string, number>>;
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
    zone = { formatter, offsets: new Map(), starts: new Map(), instants: new Map() };
    zones.set(name, zone);
  }
  return zone;
}

// The formatter's text for an instant, 'MM/DD/YYYY, HH:MM:SS' (en-US, h23): read directly, it costs a
// quarter of formatToParts' array of part objects. Any other shape (a year before 1000) takes the parts.
const WALL_RE = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

/** The zone's offset at an instant as Intl reads it (whole seconds: the wall clock it formats has no ms). */
function formattedOffset(zone: Zone, epochMs: number): number {
  const m = WALL_RE.exec(zone.formatter.format(epochMs));
  const asUtc = m ? Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6])) : wallClockFromParts(zone, epochMs);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** The zone's wall clock at an instant from the formatter's parts, as ms whose UTC fields are its fields. */
function wallClockFromParts(zone: Zone, epochMs: number): number {
  const fields: Record<string, number> = {};
  for (const part of zone.formatter.formatToParts(epochMs)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return Date.UTC(
    fields['year'] ?? Number.NaN,
    (fields['month'] ?? Number.NaN) - 1,
    fields['day'] ?? Number.NaN,
    fields['hour'] ?? Number.NaN,
    fields['minute'] ?? Number.NaN,
    fields['second'] ?? Number.NaN,
  );
}

/** A zone's offset from UTC at an instant, in ms (New York: -4 h in summer, -5 h in winter). */
function offsetAt(zoneName: string, epochMs: number): number {
  const zone = zoneOf(zoneName);
  const day = Math.floor(epochMs / DAY_MS);
  let held = zone.offsets.get(day);
  if (held === undefined) {
    if (zone.offsets.size >= 100_000) zone.offsets.clear();
    // Offsets never change twice in one day (no zone has switched and switched back within a day): the
    // same at the day's start and the next day's, the same throughout. (A switch at the next day's very
    // start marks the day as a switch day: each instant is then asked of Intl, the same answers.)
    const first = startOffset(zone, day);
    held = first === startOffset(zone, day + 1) ? first : null;
    zone.offsets.set(day, held);
  }
  return held ?? formattedOffset(zone, epochMs);
}

/** The zone's offset at the first instant of UTC day `day`, asked of Intl once. */
function startOffset(zone: Zone, day: number): number {
  let offset = zone.starts.get(day);
  if (offset === undefined) {
    if (zone.starts.size >= 100_000) zone.starts.clear();
    offset = formattedOffset(zone, day * DAY_MS);
    zone.starts.set(day, offset);
  }
  return offset;
}

/** The zone's wall clock at an instant, to the second, in ms: UTC's fields of the result are the wall clock's. */
function wallClockOf(zoneName: string, epochMs: number): number {
  return epochMs + offsetAt(zoneName, epochMs);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

// 'HH:MM' of every minute of a day: a backtest asks the time of hundreds of thousands of instants.
const minuteTimes: readonly string[] = Array.from({ length: 1440 }, (_, m) => `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`);

// Dates already checked, with their UTC midnight: a backtest converts the same few thousand again and again.
const checkedDates = new Map<string, number>();

/** UTC midnight of a 'YYYY-MM-DD' date, in ms; a RangeError for anything that is not a real date. */
function dateToUtcMs(date: string): number {
  const known = checkedDates.get(date);
  if (known !== undefined) return known;
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  if (utcMsToDate(ms) !== date) throw new RangeError(`no such date: ${date}`);
  if (checkedDates.size >= 100_000) checkedDates.clear();
  checkedDates.set(date, ms);
  return ms;
}

// Date strings by UTC day number: a backtest formats the same few thousand days hundreds of thousands of times.
const formattedDays = new Map<number, string>();

/** The UTC calendar date of an instant, 'YYYY-MM-DD'. */
function utcMsToDate(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const known = formattedDays.get(day);
  if (known !== undefined) return known;
  const d = new Date(day * DAY_MS);
  const date = `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  if (formattedDays.size >= 100_000) formattedDays.clear();
  formattedDays.set(day, date);
  return date;
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
  // Answered from the zone's cache when asked before (a fresh Date each time: a Date can be changed).
  const { instants } = zoneOf(zone);
  let times = instants.get(date);
  const known = times?.get(time);
  if (known !== undefined) return new Date(known);
  const instant = zonedInstant(zone, date, time);
  if (times === undefined) {
    if (instants.size >= 20_000) instants.clear();
    times = new Map();
    instants.set(date, times);
  }
  times.set(time, instant);
  return new Date(instant);
}

/** zonedDateTime's answer in epoch ms, worked out from the zone's offsets. */
function zonedInstant(zone: string, date: string, time: string): number {
  const m = TIME_RE.exec(time);
  if (!m) throw new RangeError(`not an HH:MM time: ${JSON.stringify(time)}`);
  const wall = dateToUtcMs(date) + Number(m[1]) * 3_600_000 + Number(m[2]) * 60_000;
  // A day either side of the wall time lies outside any switch, so these are the two offsets in play.
  const before = offsetAt(zone, wall - DAY_MS);
  const after = offsetAt(zone, wall + DAY_MS);
  // No switch within a day either side (the same offset both ends; never two switches in two days).
  if (before === after) return wall - before;
  const valid = [wall - before, wall - after].filter((t) => wall - t === offsetAt(zone, t));
  return valid.length > 0 ? Math.min(...valid) : wall - before;
}

/** The calendar date in `zone` at an instant. */
export function zonedDate(zone: string, at: Date): string {
  return utcMsToDate(wallClockOf(zone, at.getTime()));
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
  const wall = wallClockOf(NEW_YORK, at.getTime());
  const minute = Math.floor((wall - Math.floor(wall / DAY_MS) * DAY_MS) / 60_000);
  return minuteTimes[minute] as string; // an invalid instant never gets here: its offset throws
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
