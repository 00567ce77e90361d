/**
 * An offline NYSE trading calendar for any year: holidays and 13:00 early closes computed from the
 * exchange's rules (NYSE Rule 7.2 and its published early-close practice), plus the known one-off
 * closures kept as data. Years are computed when first asked and kept.
 */
import { lowerBound, upperBound } from './sorted.ts';
import { addDays, assertDate, nyDate, nyTime, weekday } from './time.ts';

export type SessionClose = '16:00' | '13:00';

export interface TradingCalendar {
  /** Changes when the calendar's answers may have changed (a refreshed broker calendar); absent when they never do. */
  readonly revision?: number;
  isTradingDay(date: string): boolean;
  /** The session's closing time in New York; a RangeError on a day without a session. */
  sessionClose(date: string): SessionClose;
  /** The first session strictly after `date`. */
  nextTradingDay(date: string): string;
  /** The last session strictly before `date`. */
  previousTradingDay(date: string): string;
  /** Every session from `from` to `to`, both included. */
  tradingDays(from: string, to: string): string[];
}

const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;

/** Closures no rule predicts: national days of mourning, weather, attacks. */
export const ONE_OFF_CLOSURES: Readonly<Record<string, string>> = {
  '1994-04-27': 'National Day of Mourning for President Nixon',
  '2001-09-11': 'September 11 attacks',
  '2001-09-12': 'September 11 attacks',
  '2001-09-13': 'September 11 attacks',
  '2001-09-14': 'September 11 attacks',
  '2004-06-11': 'National Day of Mourning for President Reagan',
  '2007-01-02': 'National Day of Mourning for President Ford',
  '2012-10-29': 'Hurricane Sandy',
  '2012-10-30': 'Hurricane Sandy',
  '2018-12-05': 'National Day of Mourning for President George H. W. Bush',
  '2025-01-09': 'National Day of Mourning for President Carter',
};

const ymd = (year: number, month: number, day: number): string => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** The n-th (1-based) given weekday of a month. */
function nthWeekday(year: number, month: number, dow: number, n: number): string {
  const first = ymd(year, month, 1);
  return addDays(first, ((dow - weekday(first) + 7) % 7) + 7 * (n - 1));
}

function lastWeekday(year: number, month: number, dow: number): string {
  const next = month === 12 ? ymd(year + 1, 1, 1) : ymd(year, month + 1, 1);
  const last = addDays(next, -1);
  return addDays(last, -((weekday(last) - dow + 7) % 7));
}

/** Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" computus). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

/** NYSE Rule 7.2: a Saturday holiday is observed the Friday before, a Sunday holiday the Monday after. */
function observed(date: string): string {
  const dow = weekday(date);
  if (dow === SATURDAY) return addDays(date, -1);
  if (dow === SUNDAY) return addDays(date, 1);
  return date;
}

/** Full-day closures of one year, date to name. */
export function nyseHolidays(year: number): Map<string, string> {
  const holidays = new Map<string, string>();
  const newYear = ymd(year, 1, 1);
  // Rule 7.2's exception: a Saturday New Year's Day is not moved to the Friday, which ends the accounting year.
  if (weekday(newYear) !== SATURDAY) holidays.set(observed(newYear), "New Year's Day");
  if (year >= 1998) holidays.set(nthWeekday(year, 1, MONDAY, 3), 'Martin Luther King Jr. Day');
  holidays.set(nthWeekday(year, 2, MONDAY, 3), "Washington's Birthday");
  holidays.set(addDays(easterSunday(year), -2), 'Good Friday');
  holidays.set(lastWeekday(year, 5, MONDAY), 'Memorial Day');
  if (year >= 2022) holidays.set(observed(ymd(year, 6, 19)), 'Juneteenth');
  holidays.set(observed(ymd(year, 7, 4)), 'Independence Day');
  holidays.set(nthWeekday(year, 9, MONDAY, 1), 'Labor Day');
  holidays.set(nthWeekday(year, 11, THURSDAY, 4), 'Thanksgiving Day');
  holidays.set(observed(ymd(year, 12, 25)), 'Christmas Day');
  for (const [date, name] of Object.entries(ONE_OFF_CLOSURES)) {
    if (date.startsWith(`${year}-`)) holidays.set(date, name);
  }
  return holidays;
}

/** 13:00 closes of one year, date to reason. */
export function nyseEarlyCloses(year: number): Map<string, string> {
  const early = new Map<string, string>();
  const isMonToThu = (date: string) => weekday(date) >= MONDAY && weekday(date) <= THURSDAY;
  // On a Friday these two days are the observed holiday itself (July 4 or Dec 25 on a Saturday).
  const july3 = ymd(year, 7, 3);
  if (isMonToThu(july3)) early.set(july3, 'the day before Independence Day');
  early.set(addDays(nthWeekday(year, 11, THURSDAY, 4), 1), 'the day after Thanksgiving');
  const christmasEve = ymd(year, 12, 24);
  if (isMonToThu(christmasEve)) early.set(christmasEve, 'Christmas Eve');
  return early;
}

interface Year {
  /** Sessions of the year, in order. */
  sessions: string[];
  sessionSet: Set<string>;
  early: Set<string>;
}

/** Far enough for any question a council asks; a guard against runaway loops, not a coverage limit. */
const MIN_YEAR = 1900;
const MAX_YEAR = 9999;

export function createNyseCalendar(): TradingCalendar {
  const years = new Map<number, Year>();

  const yearOf = (year: number): Year => {
    let known = years.get(year);
    if (known) return known;
    if (year < MIN_YEAR || year > MAX_YEAR) throw new RangeError(`the NYSE calendar has no year ${year}`);
    const closed = nyseHolidays(year);
    const sessions: string[] = [];
    for (let date = ymd(year, 1, 1); date.startsWith(`${year}-`); date = addDays(date, 1)) {
      const dow = weekday(date);
      if (dow !== SATURDAY && dow !== SUNDAY && !closed.has(date)) sessions.push(date);
    }
    known = { sessions, sessionSet: new Set(sessions), early: new Set(nyseEarlyCloses(year).keys()) };
    years.set(year, known);
    return known;
  };
  const yearOfDate = (date: string): Year => {
    assertDate(date);
    return yearOf(Number(date.slice(0, 4)));
  };

  return {
    isTradingDay(date) {
      return yearOfDate(date).sessionSet.has(date);
    },
    sessionClose(date) {
      const year = yearOfDate(date);
      if (!year.sessionSet.has(date)) throw new RangeError(`${date} is not an NYSE session`);
      return year.early.has(date) ? '13:00' : '16:00';
    },
    nextTradingDay(date) {
      let year = Number(date.slice(0, 4));
      const { sessions } = yearOfDate(date);
      const next = sessions[upperBound(sessions, date)];
      if (next !== undefined) return next;
      // Every year has sessions; the loop only steps over a year's end.
      for (;;) {
        const first = yearOf(++year).sessions[0];
        if (first !== undefined) return first;
      }
    },
    previousTradingDay(date) {
      let year = Number(date.slice(0, 4));
      const { sessions } = yearOfDate(date);
      const previous = sessions[lowerBound(sessions, date) - 1];
      if (previous !== undefined) return previous;
      for (;;) {
        const last = yearOf(--year).sessions.at(-1);
        if (last !== undefined) return last;
      }
    },
    tradingDays(from, to) {
      assertDate(from);
      assertDate(to);
      const out: string[] = [];
      for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
        const { sessions } = yearOf(year);
        out.push(...sessions.slice(lowerBound(sessions, from), upperBound(sessions, to)));
      }
      return out;
    },
  };
}

/** The latest session whose close is at or before `asOf`. */
export function lastClosedSession(calendar: TradingCalendar, asOf: Date): string {
  const today = nyDate(asOf);
  if (calendar.isTradingDay(today) && nyTime(asOf) >= calendar.sessionClose(today)) return today;
  return calendar.previousTradingDay(today);
}

/** The time in New York at which the bar of `date` is final: its session close, 16:00 on days without one. */
export function barCloseTime(calendar: TradingCalendar, date: string): SessionClose {
  // Some index series (Cboe's VIX) print on NYSE holidays; their day ends at the usual hour.
  return calendar.isTradingDay(date) ? calendar.sessionClose(date) : '16:00';
}
