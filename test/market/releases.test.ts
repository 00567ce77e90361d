/** The real release calendar: the week's events are the data's dates; past the data's end, the rules, and the note says so. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledReleasesDir, employmentReportByRule, loadReleaseCalendar, RELEASE_KINDS, RELEASE_NAMES, weekCalendar } from '../../src/market/releases.ts';
import { addDays } from '../../src/market/time.ts';

const releases = loadReleaseCalendar();
const FILES = ['fomc.csv', 'cpi.csv', 'nfp.csv', 'gdp_advance.csv', 'pce.csv'];

/** Every row of the bundled files dated in [from, to], read straight from the CSVs. */
function rows(from: string, to: string): { date: string; time: string; kind: string }[] {
  return FILES.flatMap((f) =>
    readFileSync(join(bundledReleasesDir(), f), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .map(([date, time, kind]) => ({ date: date!, time: time!, kind: kind! }))
      .filter((r) => r.date >= from && r.date <= to),
  );
}

const releaseEvents = (start: string) =>
  weekCalendar(releases, start)
    .events.filter((e) => RELEASE_KINDS.some((k) => e.event.startsWith(RELEASE_NAMES[k])))
    .sort((a, b) => a.date.localeCompare(b.date) || a.event.localeCompare(b.event));

describe('the release calendar', () => {
  it('When the weeks of 2024 are laid out, Then every release in them is one row of the data, on its date and at its time', () => {
    for (let week = '2024-01-01'; week <= '2024-12-30'; week = addDays(week, 7)) {
      const expected = rows(week, addDays(week, 6))
        .map((r) => ({ date: r.date, event: `${RELEASE_NAMES[r.kind as (typeof RELEASE_KINDS)[number]]} (${r.time} ET)` }))
        .sort((a, b) => a.date.localeCompare(b.date) || a.event.localeCompare(b.event));
      expect(releaseEvents(week), week).toEqual(expected);
    }
  });

  it('When the week of 2024-03-04 is laid out, Then the February employment report is on Friday 2024-03-08 and CPI is not in it (2024-03-12)', () => {
    const week = weekCalendar(releases, '2024-03-04');
    expect(week.events).toContainEqual({ date: '2024-03-08', event: 'US employment report (nonfarm payrolls) (08:30 ET)' });
    expect(week.events.some((e) => e.event.startsWith('US CPI'))).toBe(false);
    expect(weekCalendar(releases, '2024-03-11').events).toContainEqual({ date: '2024-03-12', event: 'US CPI (08:30 ET)' });
    expect(weekCalendar(releases, '2024-03-18').events).toContainEqual({ date: '2024-03-20', event: 'FOMC rate decision (14:00 ET)' });
  });

  it('When a week is past the data (2028), Then the employment report is placed by rule and the note names what fell back', () => {
    const week = weekCalendar(releases, '2028-01-03');
    expect(week.events).toContainEqual({ date: '2028-01-07', event: 'US employment report (08:30 ET; third Friday after the survey week, by rule)' });
    expect(week.note).toMatch(/ends before 2028-01-09 for .*US CPI \(last 2026-12-10\)/);
    expect(week.note).toMatch(/the employment report is placed by the BLS rule \(the third Friday after the survey week\)/);
    expect(releaseEvents('2028-01-03')).toEqual([]);
  });

  it('When the rule is laid over the 323 real employment report dates, Then it gives every one but the dates a government shutdown delayed', () => {
    const real = rows('2000-01-01', '2026-12-31').filter((r) => r.kind === 'nfp');
    expect(real).toHaveLength(323);
    const missed = real.filter((r) => employmentReportByRule(r.date.slice(0, 7)) !== r.date).map((r) => r.date);
    expect(missed).toEqual(['2013-10-22', '2013-11-08', '2025-11-20', '2025-12-16', '2026-02-11']);
  });

  it('When the first weeks past nfp.csv are laid out, Then January 2027’s report is on Friday the 8th, not New Year’s Day, and July 2027’s before the holiday', () => {
    expect(releases.lastDate.nfp).toBe('2026-12-04');
    expect(weekCalendar(releases, '2026-12-28').events.filter((e) => e.event.startsWith('US employment report'))).toEqual([]);
    expect(weekCalendar(releases, '2027-01-04').events).toContainEqual({
      date: '2027-01-08',
      event: 'US employment report (08:30 ET; third Friday after the survey week, by rule)',
    });
    // The builtin research reads 'by rule)' to say part of the calendar is past its data.
    expect(weekCalendar(releases, '2027-01-04').events.filter((e) => e.event.endsWith('by rule)'))).toHaveLength(1);
    expect(employmentReportByRule('2027-07')).toBe('2027-07-02');
    expect(employmentReportByRule('2026-07')).toBe('2026-07-02');
  });

  it('When a week in 2024 is laid out, Then GDP advance and PCE (data to 2019) are said to be missing, not guessed', () => {
    const week = weekCalendar(releases, '2024-03-25');
    expect(week.note).toMatch(/US GDP, advance estimate \(last 2019-10-30\)/);
    expect(week.events.some((e) => e.event.startsWith('US GDP') || e.event.startsWith('US personal income'))).toBe(false);
  });
});
