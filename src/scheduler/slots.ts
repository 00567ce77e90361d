/**
 * The council's calendar as a pure function: which slots (job, instant) the schedule holds between two
 * instants. node-cron only wakes the scheduler up; this decides what is due, so every replica, the
 * missed-slot sweep and `status` agree on the same slots.
 *
 * Checkpoints run on NYSE sessions only, and only before the session closes (an early close at 13:00
 * keeps 09:00 and 12:00). The weekly council and the postmortem are about a week: they run in every week
 * that has a session, even when their own day is a holiday (an 08:00 council on MLK Monday still decides
 * before Tuesday's open; a postmortem on Good Friday still reviews Monday to Thursday). The daily
 * summary runs DAILY_SUMMARY_DELAY after each session's close (16:10, 13:10 on an early close), once
 * the close and the day's fills are in.
 */
import { parse as parseCron, validate as validCron } from 'node-cron';
import type { CouncilFile } from '../config/config.ts';
import type { TradingCalendar } from '../market/calendar.ts';
import { addDays, mondayOf, nyDate, nyDateTime, nyTime, zonedDate, zonedDateTime } from '../market/time.ts';
import { UserFacingError } from '../domain/errors.ts';

export type Schedule = CouncilFile['schedule'];

export const JOBS = ['weekly', 'checkpoint', 'postmortem', 'daily'] as const;

/** Minutes after a session's close the daily summary runs. */
export const DAILY_SUMMARY_DELAY = 10;
export type Job = (typeof JOBS)[number];

export interface Slot {
  job: Job;
  at: Date;
}

export class ScheduleError extends UserFacingError {
  readonly code = 'SCHEDULE';
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/** The cron expressions node-cron runs, one per job (checkpoints: one per time of day). */
export function cronExpressions(schedule: Schedule): { job: Job; expression: string }[] {
  for (const key of ['weekly', 'postmortem'] as const)
    if (!validCron(schedule[key])) throw new ScheduleError(`schedule.${key}: ${JSON.stringify(schedule[key])} is not a cron expression`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: schedule.timezone });
  } catch {
    throw new ScheduleError(`schedule.timezone: ${JSON.stringify(schedule.timezone)} is not an IANA time zone`);
  }
  return [
    { job: 'weekly', expression: schedule.weekly },
    ...schedule.checkpoints.map((t) => ({ job: 'checkpoint' as const, expression: `${Number(t.slice(3))} ${Number(t.slice(0, 2))} * * 1-5` })),
    { job: 'postmortem', expression: schedule.postmortem },
  ];
}

/** Slots with from < at <= to, in time order. */
export function slotsBetween(schedule: Schedule, calendar: TradingCalendar, from: Date, to: Date): Slot[] {
  const slots: Slot[] = [];
  const zone = schedule.timezone;
  // A day either side covers any zone offset.
  for (let day = addDays(zonedDate(zone, from), -1); day <= addDays(zonedDate(zone, to), 1); day = addDays(day, 1))
    for (const slot of slotsOfDay(schedule, calendar, day)) if (slot.at > from && slot.at <= to) slots.push(slot);
  return slots.sort((a, b) => a.at.getTime() - b.at.getTime() || JOBS.indexOf(a.job) - JOBS.indexOf(b.job));
}

// The scheduler asks about the same few days once a minute; a day's slots never change for one schedule and calendar.
const dayCache = new WeakMap<Schedule, WeakMap<TradingCalendar, Map<string, readonly Slot[]>>>();

function slotsOfDay(schedule: Schedule, calendar: TradingCalendar, day: string): readonly Slot[] {
  const byCalendar = dayCache.get(schedule) ?? new WeakMap<TradingCalendar, Map<string, readonly Slot[]>>();
  dayCache.set(schedule, byCalendar);
  const days = byCalendar.get(calendar) ?? new Map<string, readonly Slot[]>();
  byCalendar.set(calendar, days);
  // A refreshed calendar (Alpaca's, daily) may answer differently: its revision is part of the key.
  const key = `${calendar.revision ?? 0}:${day}`;
  const cached = days.get(key);
  if (cached) return cached;
  const zone = schedule.timezone;
  const slots = [
    ...cronTimes(parseCron(schedule.weekly), day).map((t) => ({ job: 'weekly' as const, at: zonedDateTime(zone, day, t) })),
    ...schedule.checkpoints.map((t) => ({ job: 'checkpoint' as const, at: zonedDateTime(zone, day, t) })),
    ...cronTimes(parseCron(schedule.postmortem), day).map((t) => ({ job: 'postmortem' as const, at: zonedDateTime(zone, day, t) })),
    ...dailySlot(calendar, day),
  ].filter((slot) => isOpenSlot(slot, calendar));
  if (days.size > 10_000) days.clear();
  days.set(key, slots);
  return slots;
}

/** The daily summary's slot on a trading day: DAILY_SUMMARY_DELAY after its close, New York time; none on other days. */
function dailySlot(calendar: TradingCalendar, day: string): Slot[] {
  if (!calendar.isTradingDay(day)) return [];
  const close = nyDateTime(day, calendar.sessionClose(day));
  return [{ job: 'daily', at: new Date(close.getTime() + DAILY_SUMMARY_DELAY * 60_000) }];
}

/** The next `n` slots strictly after `from` (fewer when the trading calendar ends first). */
export function nextSlots(schedule: Schedule, calendar: TradingCalendar, from: Date, n: number): Slot[] {
  const found: Slot[] = [];
  let start = from;
  for (let week = 0; week < 60 && found.length < n; week++) {
    const end = new Date(start.getTime() + 7 * 86_400_000);
    try {
      found.push(...slotsBetween(schedule, calendar, start, end));
    } catch (error) {
      if (error instanceof RangeError) break; // past the calendar's last year
      throw error;
    }
    start = end;
  }
  return found.slice(0, n);
}

/** The council week a slot belongs to (its Monday). */
export const slotWeek = (slot: Slot): string => mondayOf(nyDate(slot.at));

function isOpenSlot(slot: Slot, calendar: TradingCalendar): boolean {
  const date = nyDate(slot.at);
  if (slot.job === 'checkpoint') return calendar.isTradingDay(date) && nyTime(slot.at) < calendar.sessionClose(date);
  if (slot.job === 'daily') return calendar.isTradingDay(date);
  const monday = mondayOf(date);
  return calendar.tradingDays(monday, addDays(monday, 4)).length > 0;
}

type CronFields = ReturnType<typeof parseCron>;

/** HH:MM times at which a parsed cron expression fires on a date (day-of-month and day-of-week both must match). */
function cronTimes(fields: CronFields, date: string): string[] {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  const dows = fields.dayOfWeek.map((x) => Number(x) % 7);
  if (!fields.month.includes(m) || !fields.dayOfMonth.map(Number).includes(d) || !dows.includes(dow)) return [];
  return fields.hour.flatMap((h) => fields.minute.map((min) => `${pad(h)}:${pad(min)}`));
}

const pad = (n: number) => String(n).padStart(2, '0');
