/**
 * The NYSE calendar for any year: known dates 2007-2035 from the exchange's published holiday and
 * early-close lists (through 2028) and its rules (after), the one-off closures, and years far from the
 * bundled data (the scheduler asks about 2029 and later without a guard).
 */
import { describe, expect, it } from 'vitest';
import { createNyseCalendar, nyseEarlyCloses, nyseHolidays } from '../../src/market/calendar.ts';

const calendar = createNyseCalendar();

describe('NYSE calendar, known dates 2007-2035', () => {
  it('Given the one-off closures, Then the market is shut on each, and open the day before and after', () => {
    for (const date of ['2007-01-02', '2012-10-29', '2012-10-30', '2018-12-05', '2025-01-09']) expect(calendar.isTradingDay(date), date).toBe(false);
    for (const date of ['2012-10-26', '2012-10-31', '2018-12-04', '2018-12-06', '2025-01-08', '2025-01-10']) expect(calendar.isTradingDay(date), date).toBe(true);
  });

  it('Given Juneteenth, Then it is a holiday only from 2022, observed on the nearest weekday', () => {
    expect(calendar.isTradingDay('2021-06-18')).toBe(true);
    expect(calendar.isTradingDay('2022-06-20')).toBe(false); // Sunday, observed Monday
    expect(calendar.isTradingDay('2023-06-19')).toBe(false);
    expect(calendar.isTradingDay('2027-06-18')).toBe(false); // Saturday, observed Friday
    expect(calendar.isTradingDay('2032-06-18')).toBe(false); // Saturday, observed Friday
    expect(calendar.isTradingDay('2033-06-20')).toBe(false); // Sunday, observed Monday
    expect(nyseHolidays(2021).has('2021-06-18')).toBe(false);
  });

  it('Given Good Friday 2007-2035, Then each is closed', () => {
    const goodFridays = [
      '2007-04-06',
      '2008-03-21',
      '2010-04-02',
      '2015-04-03',
      '2016-03-25',
      '2019-04-19',
      '2024-03-29',
      '2025-04-18',
      '2026-04-03',
      '2027-03-26',
      '2028-04-14',
      '2029-03-30',
      '2030-04-19',
      '2031-04-11',
      '2032-03-26',
      '2033-04-15',
      '2034-04-07',
      '2035-03-23',
    ];
    for (const date of goodFridays) expect(calendar.isTradingDay(date), date).toBe(false);
  });

  it("Given the NYSE's published holidays for 2027 and 2028, Then the calendar computes exactly those", () => {
    expect([...nyseHolidays(2027).keys()].sort()).toEqual([
      '2027-01-01',
      '2027-01-18',
      '2027-02-15',
      '2027-03-26',
      '2027-05-31',
      '2027-06-18',
      '2027-07-05',
      '2027-09-06',
      '2027-11-25',
      '2027-12-24',
    ]);
    // 2028-01-01 is a Saturday: not observed on the Friday before, which closes the accounting year.
    expect([...nyseHolidays(2028).keys()].sort()).toEqual([
      '2028-01-17',
      '2028-02-21',
      '2028-04-14',
      '2028-05-29',
      '2028-06-19',
      '2028-07-04',
      '2028-09-04',
      '2028-11-23',
      '2028-12-25',
    ]);
  });

  it('Given years after the published lists, Then the rules hold: Saturday New Year not moved, Sunday ones moved to Monday', () => {
    expect(calendar.isTradingDay('2032-12-31')).toBe(true); // 2033-01-01 is a Saturday
    expect(calendar.isTradingDay('2034-01-02')).toBe(false); // 2034-01-01 is a Sunday
    expect(calendar.isTradingDay('2032-12-24')).toBe(false); // Christmas on a Saturday
    expect(calendar.isTradingDay('2033-12-26')).toBe(false); // Christmas on a Sunday
    expect([...nyseHolidays(2035).keys()].sort()).toEqual([
      '2035-01-01',
      '2035-01-15',
      '2035-02-19',
      '2035-03-23',
      '2035-05-28',
      '2035-06-19',
      '2035-07-04',
      '2035-09-03',
      '2035-11-22',
      '2035-12-25',
    ]);
  });

  it('Given the early closes, Then July 3, the day after Thanksgiving and Christmas Eve close at 13:00 only on Monday to Thursday', () => {
    const early = [
      '2007-07-03',
      '2007-11-23',
      '2007-12-24',
      '2013-07-03',
      '2018-12-24',
      '2027-11-26',
      '2028-07-03',
      '2028-11-24',
      '2030-07-03',
      '2030-11-29',
      '2030-12-24',
      '2035-07-03',
      '2035-11-23',
      '2035-12-24',
    ];
    for (const date of early) expect(calendar.sessionClose(date), date).toBe('13:00');
    expect(nyseEarlyCloses(2027).has('2027-12-24')).toBe(false); // the observed Christmas holiday itself
    expect(nyseEarlyCloses(2026).has('2026-07-03')).toBe(false); // the observed Independence Day itself
    expect(nyseEarlyCloses(2028).has('2028-12-24')).toBe(false); // a Sunday
    expect(calendar.sessionClose('2035-07-05')).toBe('16:00');
  });
});

describe('NYSE calendar beyond the bundled data', () => {
  it('Given the end of 2028, When asking for the next session, Then 2029 answers (the old 2028 guard is gone)', () => {
    expect(calendar.nextTradingDay('2028-12-29')).toBe('2029-01-02'); // 2029-01-01 New Year's Day
    expect(calendar.previousTradingDay('2029-01-02')).toBe('2028-12-29');
    expect(calendar.tradingDays('2028-12-28', '2029-01-03')).toEqual(['2028-12-28', '2028-12-29', '2029-01-02', '2029-01-03']);
  });

  it('Given a far year, Then it is computed from the same rules', () => {
    expect(calendar.isTradingDay('2100-07-05')).toBe(false); // July 4 2100 is a Sunday
    expect(calendar.nextTradingDay('2099-12-31')).toBe('2100-01-04'); // 2100-01-01 Friday holiday, then a weekend
  });
});
