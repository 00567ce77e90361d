/** New York wall-clock helpers: instants across daylight-saving switches and plain date arithmetic. */
import { describe, expect, it } from 'vitest';
import { addDays, mondayOf, nyDate, nyDateTime, nyTime, weekday } from '../../src/market/time.ts';

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
