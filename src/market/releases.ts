/**
 * The real US macro release calendar (market-data/calendar, see its PROVENANCE.md): FOMC decisions, CPI,
 * the employment report, GDP advance and PCE, by date and New York time. Release dates are published in
 * advance, so a date up to 7 days after the decision time is fair to show; the released numbers are not
 * here at all. Past the end of a file the week falls back to rules, and says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, assertDate, weekday } from './time.ts';

export const RELEASE_KINDS = ['fomc_decision', 'cpi', 'nfp', 'gdp_advance', 'pce'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

export interface Release {
  date: string;
  /** New York time, HH:MM. */
  time: string;
  kind: ReleaseKind;
}

export interface ReleaseCalendar {
  /** Releases dated from `from` to `to`, both included, in date order. */
  between(from: string, to: string): Release[];
  /** The last date each file holds. */
  readonly lastDate: Readonly<Record<ReleaseKind, string>>;
}

const FILES: Record<ReleaseKind, string> = {
  fomc_decision: 'fomc.csv',
  cpi: 'cpi.csv',
  nfp: 'nfp.csv',
  gdp_advance: 'gdp_advance.csv',
  pce: 'pce.csv',
};

export const RELEASE_NAMES: Record<ReleaseKind, string> = {
  fomc_decision: 'FOMC rate decision',
  cpi: 'US CPI',
  nfp: 'US employment report (nonfarm payrolls)',
  gdp_advance: 'US GDP, advance estimate',
  pce: 'US personal income and outlays (PCE)',
};

export function bundledReleasesDir(): string {
  return fileURLToPath(new URL('../../market-data/calendar', import.meta.url));
}

export function parseReleasesCsv(text: string, kind: ReleaseKind, file: string): Release[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  if (header !== 'date,time_et,kind') throw new Error(`${file}: expected the header date,time_et,kind, got ${header}`);
  return lines.map((line, i) => {
    const [date, time, k] = line.split(',');
    if (!date || !time || !/^\d\d:\d\d$/.test(time) || k !== kind) throw new Error(`${file}:${i + 2}: not a ${kind} row: ${line}`);
    assertDate(date);
    return { date, time, kind };
  });
}

export function loadReleaseCalendar(dir = bundledReleasesDir()): ReleaseCalendar {
  const all: Release[] = [];
  const lastDate = {} as Record<ReleaseKind, string>;
  for (const kind of RELEASE_KINDS) {
    const file = join(dir, FILES[kind]);
    const rows = parseReleasesCsv(readFileSync(file, 'utf8'), kind, file);
    lastDate[kind] = rows.at(-1)?.date ?? '0000-00-00';
    all.push(...rows);
  }
  all.sort((a, b) => a.date.localeCompare(b.date) || a.time.localeCompare(b.time) || a.kind.localeCompare(b.kind));
  return {
    lastDate,
    between: (from, to) => all.filter((r) => r.date >= from && r.date <= to),
  };
}

let bundled: ReleaseCalendar | undefined;
/** The bundled calendar, read once per process. */
export function bundledReleaseCalendar(): ReleaseCalendar {
  bundled ??= loadReleaseCalendar();
  return bundled;
}

export interface CalendarEvent {
  date: string;
  event: string;
}

export interface WeekCalendar {
  events: CalendarEvent[];
  /** Where the dates come from, and which fell back to rules: shown to the models and in the pack. */
  note: string;
}

const FRIDAY = 5;
const THURSDAY = 4;

/** Recurring events no release file holds: always by rule, and labelled so. */
function ruleEvents(date: string): CalendarEvent[] {
  const out: CalendarEvent[] = [];
  const dow = weekday(date);
  const dom = Number(date.slice(8, 10));
  if (dow === THURSDAY) out.push({ date, event: 'US weekly initial jobless claims (08:30 ET)' });
  if (dow === FRIDAY && dom >= 15 && dom <= 21) out.push({ date, event: 'Monthly options expiration (third Friday)' });
  const next = addDays(date, 1);
  if (next.slice(5, 7) !== date.slice(5, 7) && dow >= 1 && dow <= 5) out.push({ date, event: 'Month end: index rebalancing and fund flows' });
  return out;
}

/**
 * The employment report of `month` (YYYY-MM) by the BLS rule: the third Friday after the survey week
 * (Sunday to Saturday, the week of the 12th of the month before); a week later when that is January 1
 * to 3, and the Thursday before when that Friday is Independence Day or its observance (July 3 or 4).
 * It gives every date of nfp.csv but the shutdown-delayed ones (2013, 2025, 2026); the first Friday
 * misses fifty.
 */
export function employmentReportByRule(month: string): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const before = m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`;
  const twelfth = `${before}-12`;
  const surveyEnd = addDays(twelfth, (6 - weekday(twelfth) + 7) % 7);
  const date = addDays(surveyEnd, 20);
  const day = Number(date.slice(8, 10));
  if (date.slice(5, 7) === '01' && day <= 3) return addDays(date, 7);
  if (date.slice(5, 7) === '07' && (day === 3 || day === 4)) return addDays(date, -1);
  return date;
}

/**
 * The seven days from `start` (the decision date): real release dates where the data covers them, the
 * employment report by the BLS rule past the end of nfp.csv, and the recurring rule events.
 */
export function weekCalendar(releases: ReleaseCalendar, start: string): WeekCalendar {
  assertDate(start);
  const end = addDays(start, 6);
  const covered = RELEASE_KINDS.filter((k) => releases.lastDate[k] >= end);
  const uncovered = RELEASE_KINDS.filter((k) => releases.lastDate[k] < end);
  // Every row is a real date; a file that ends inside the week is real up to its last row.
  const events: CalendarEvent[] = releases.between(start, end).map((r) => ({ date: r.date, event: `${RELEASE_NAMES[r.kind]} (${r.time} ET)` }));
  const ruled: string[] = [];
  for (const month of new Set([start.slice(0, 7), end.slice(0, 7)])) {
    const date = employmentReportByRule(month);
    if (date > releases.lastDate.nfp && date >= start && date <= end) {
      events.push({ date, event: 'US employment report (08:30 ET; third Friday after the survey week, by rule)' });
      ruled.push('the employment report');
    }
  }
  for (let i = 0; i < 7; i++) events.push(...ruleEvents(addDays(start, i)));
  events.sort((a, b) => a.date.localeCompare(b.date));
  const parts = [
    covered.length ? `Real release dates (market-data/calendar) for ${covered.map((k) => RELEASE_NAMES[k]).join(', ')}.` : '',
    uncovered.length
      ? `The calendar data ends before ${end} for ${uncovered.map((k) => `${RELEASE_NAMES[k]} (last ${releases.lastDate[k]})`).join(', ')}: ${
          ruled.length ? 'the employment report is placed by the BLS rule (the third Friday after the survey week); ' : ''
        }the others are not listed.`
      : '',
    'Jobless claims, options expiration and month end are recurring, by rule.',
  ];
  return { events, note: parts.filter(Boolean).join(' ') };
}
