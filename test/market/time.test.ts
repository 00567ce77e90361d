/** New York wall-clock helpers: instants across daylight-saving switches and plain date arithmetic. */
import { describe, expect, it } from 'vitest';
import { addDays, mondayOf, nyDate, nyDateTime, nyTime, weekday, zonedDate } from '../../src/market/time.ts';

describe('New York time', () => {
  it('Given the Monday after the March 2025 switch to daylight time, When converting the 09:30 open, Then it is 13:30 UTC', () => {
    expect(nyDateTime('2025-03-10', '09:30').toISOString()).toBe('2025-03-10T13:30:00.000Z');
  });

  it('Given the Friday before that switch, When converting the 09:30 open, Then it is 14:30 UTC', () => {
    expect(nyDateTime('2025-03-07', '09:30').toISOString()).toBe('2025-03-07T14:30:00.000Z');
  });

  it('Given the November 2025 switch back, When converting the opens either side, Then the UTC hour moves back by one', () => {
    expect(nyDateTime('2025-10-31', '09:30').toISOString()).toBe('2025-10-31T13:30:00.000Z');
    expect(nyDateTime('2025-11-03', '09:30').toISOString()).toBe('2025-11-03T14:30:00.000Z');
  });

  it('Given a time in the spring-forward gap or the repeated autumn hour, When converting, Then the gap moves forward and the repeat takes its first occurrence', () => {
    expect(nyDateTime('2025-03-09', '02:30').toISOString()).toBe('2025-03-09T07:30:00.000Z');
    expect(nyDateTime('2025-11-02', '01:30').toISOString()).toBe('2025-11-02T05:30:00.000Z');
  });

  it('Given an instant asked for twice, When the first answer is changed, Then the second is still the instant (answers are remembered, never shared)', () => {
    const first = nyDateTime('2025-03-10', '09:30');
    first.setTime(0);
    expect(nyDateTime('2025-03-10', '09:30').toISOString()).toBe('2025-03-10T13:30:00.000Z');
    expect(() => nyDateTime('2025-02-30', '09:30')).toThrow(RangeError);
    expect(() => nyDateTime('2025-02-30', '09:30')).toThrow(RangeError);
  });

  it('Given an instant just after midnight UTC, When reading the New York date and time, Then it is still the evening before', () => {
    const at = new Date('2025-01-01T03:07:59Z');
    expect(nyDate(at)).toBe('2024-12-31');
    expect(nyTime(at)).toBe('22:07');
  });

  it('Given any minute of a week spanning a switch, When converting there and back, Then the wall clock is unchanged', () => {
    for (let day = 0; day < 7; day++) {
      const date = addDays('2024-11-01', day);
      for (const time of ['00:00', '03:00', '09:30', '13:00', '16:00', '23:59']) {
        const at = nyDateTime(date, time);
        expect(`${nyDate(at)} ${nyTime(at)}`).toBe(`${date} ${time}`);
      }
    }
  });

  it('Given instants all over 1900-2100, every second of a switch hour and zones with odd offsets, When reading the wall clock, Then it is what Intl formats', () => {
    // The offsets are kept per UTC day (issue 21): this holds them to Intl at every kind of instant.
    const intl = (zone: string) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    const formats = new Map<string, Intl.DateTimeFormat>();
    const wall = (zone: string, at: Date) => {
      if (!formats.has(zone)) formats.set(zone, intl(zone));
      return (formats.get(zone) as Intl.DateTimeFormat).format(at).replace(',', '');
    };
    const instants: number[] = [];
    let seed = 21;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      instants.push(Date.UTC(1900, 0, 1) + Math.floor((seed / 2 ** 31) * 200 * 365.25 * 86_400_000));
    }
    // New York's 2025 switches (06:00 and 07:00 UTC, the hour before and after) to the second and the ms.
    for (const hour of [Date.UTC(2025, 2, 9, 6), Date.UTC(2025, 10, 2, 5), Date.UTC(2025, 10, 2, 6)])
      for (let s = -3_600; s < 7_200; s += 7) instants.push(hour + s * 1000, hour + s * 1000 + 999);
    for (const zone of ['America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Europe/Dublin']) {
      for (const ms of instants) {
        const at = new Date(ms);
        const [date, time] = wall(zone, at).split(' ');
        expect(zonedDate(zone, at)).toBe(date);
        if (zone === 'America/New_York') expect(nyTime(at)).toBe(time);
      }
    }
  });

  it('When doing date arithmetic, Then months, leap days and years roll over', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(weekday('2025-03-09')).toBe(0);
    expect(weekday('2025-03-10')).toBe(1);
    expect(mondayOf('2025-03-10')).toBe('2025-03-10');
    expect(mondayOf('2025-03-16')).toBe('2025-03-10');
    expect(mondayOf('2025-01-01')).toBe('2024-12-30');
  });

  it('Given a malformed or impossible date or time, Then a RangeError rather than a silently shifted instant', () => {
    expect(() => nyDateTime('2025-02-30', '09:30')).toThrow(RangeError);
    expect(() => nyDateTime('2025-03-10', '9:30')).toThrow(RangeError);
    expect(() => nyDateTime('2025-03-10', '24:00')).toThrow(RangeError);
    expect(() => addDays('20250310', 1)).toThrow(RangeError);
    expect(() => addDays('2025-03-10', 0.5)).toThrow(RangeError);
  });
});
