/** The offline NYSE calendar, checked against the sessions that really traded in SPY.csv. */
import { describe, expect, it } from 'vitest';
import { createNyseCalendar, easterSunday, lastClosedSession, nyseEarlyCloses, nyseHolidays } from '../../src/market/calendar.ts';
import { addDays, nyDateTime, weekday } from '../../src/market/time.ts';
import { readRaw } from './raw.ts';

const calendar = createNyseCalendar();
const spySessions = new Set(readRaw('SPY').map((bar) => bar.date));
const SPY_LAST = '2026-08-21';

function weekdaysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) {
    if (weekday(date) !== 0 && weekday(date) !== 6) days.push(date);
  }
  return days;
}

describe('NYSE calendar against the bundled SPY history', () => {
  for (let year = 2007; year <= 2026; year++) {
    const to = year === 2026 ? SPY_LAST : `${year}-12-31`;
    it(`Given SPY's sessions in ${year}, When listing weekdays without a bar, Then they are exactly the calendar's holidays`, () => {
      const missing = weekdaysOf(`${year}-01-01`, to).filter((date) => !spySessions.has(date));
      const holidays = [...nyseHolidays(year).keys()].filter((date) => date <= to).sort();
      expect(missing).toEqual(holidays);
      expect(calendar.tradingDays(`${year}-01-01`, to)).toEqual(weekdaysOf(`${year}-01-01`, to).filter((d) => spySessions.has(d)));
    });
  }
});

describe('NYSE calendar rules', () => {
  it('When computing Easter, Then known dates come out, including the earliest and latest possible', () => {
    expect(easterSunday(2008)).toBe('2008-03-23');
    expect(easterSunday(2011)).toBe('2011-04-24');
    expect(easterSunday(2024)).toBe('2024-03-31');
    expect(easterSunday(2025)).toBe('2025-04-20');
    expect(easterSunday(2285)).toBe('2285-03-22');
    expect(easterSunday(1943)).toBe('1943-04-25');
  });

  it('Given a holiday on a weekend, Then Saturday moves to Friday and Sunday to Monday, except a Saturday New Year, which is not observed', () => {
    expect(calendar.isTradingDay('2015-07-03')).toBe(false); // July 4 on a Saturday
    expect(calendar.isTradingDay('2022-06-20')).toBe(false); // Juneteenth on a Sunday
    expect(calendar.isTradingDay('2027-06-18')).toBe(false); // Juneteenth on a Saturday
    expect(calendar.isTradingDay('2021-12-24')).toBe(false); // Christmas on a Saturday
    expect(calendar.isTradingDay('2021-12-31')).toBe(true); // 2022-01-01 is a Saturday
    expect(calendar.isTradingDay('2027-12-31')).toBe(true); // 2028-01-01 is a Saturday
    expect(calendar.isTradingDay('2021-06-18')).toBe(true); // before Juneteenth was an NYSE holiday
  });

  it('Given the early-close days of 2019-2025, Then they close at 13:00 and ordinary days at 16:00', () => {
    const early = [
      '2019-07-03',
      '2019-11-29',
      '2019-12-24',
      '2020-11-27',
      '2020-12-24',
      '2021-11-26',
      '2022-11-25',
      '2023-07-03',
      '2023-11-24',
      '2024-07-03',
      '2024-11-29',
      '2024-12-24',
      '2025-07-03',
      '2025-11-28',
      '2025-12-24',
    ];
    const found = [2019, 2020, 2021, 2022, 2023, 2024, 2025].flatMap((y) => [...nyseEarlyCloses(y).keys()]).sort();
    expect(found).toEqual(early);
    for (const date of early) expect(calendar.sessionClose(date)).toBe('13:00');
    expect(calendar.sessionClose('2015-07-02')).toBe('16:00'); // July 3 was the holiday, so no early close
    expect(calendar.sessionClose('2024-03-01')).toBe('16:00');
  });

  it('Given Good Friday 2024, When stepping across it, Then the next and previous sessions skip it', () => {
    expect(calendar.nextTradingDay('2024-03-28')).toBe('2024-04-01');
    expect(calendar.previousTradingDay('2024-04-01')).toBe('2024-03-28');
    expect(calendar.nextTradingDay('2024-03-30')).toBe('2024-04-01');
    expect(calendar.previousTradingDay('2024-03-30')).toBe('2024-03-28');
    expect(calendar.tradingDays('2024-12-23', '2025-01-03')).toEqual([
      '2024-12-23',
      '2024-12-24',
      '2024-12-26',
      '2024-12-27',
      '2024-12-30',
      '2024-12-31',
      '2025-01-02',
      '2025-01-03',
    ]);
    expect(calendar.tradingDays('2025-01-03', '2025-01-02')).toEqual([]);
  });

  it('Given the one-off closures (Sandy, the Bush and Carter mournings), Then they are holidays', () => {
    for (const date of ['2012-10-29', '2012-10-30', '2018-12-05', '2025-01-09']) expect(calendar.isTradingDay(date)).toBe(false);
  });

  it('Given an instant, When asking for the last closed session, Then an early close counts from 13:00 and a weekend looks back to Friday', () => {
    expect(lastClosedSession(calendar, new Date('2024-03-04T13:00:00Z'))).toBe('2024-03-01');
    expect(lastClosedSession(calendar, nyDateTime('2024-11-29', '12:59'))).toBe('2024-11-27');
    expect(lastClosedSession(calendar, nyDateTime('2024-11-29', '13:00'))).toBe('2024-11-29');
    expect(lastClosedSession(calendar, nyDateTime('2024-03-04', '16:00'))).toBe('2024-03-04');
  });

  it('Given a day without a session or a date that is not one, Then a RangeError instead of a guess', () => {
    expect(() => calendar.sessionClose('2024-12-25')).toThrow(RangeError);
    expect(() => calendar.isTradingDay('2024-02-30')).toThrow(RangeError);
  });
});
