/**
 * Market data from Alpaca's data API behind the same port as the CSV replay: daily bars, served point
 * in time (a session's bar exists for a caller only once that session has closed, so today's bar in
 * progress never reaches the indicators), plus the latest bars for marking. And a trading calendar
 * read from Alpaca's /v2/calendar, holidays and early closes included.
 */
import type { Alpaca } from '@alpacahq/alpaca-trade-api/rest';
import { z } from 'zod';
import { wire } from '../vendors/alpaca.ts';
import { barCloseTime, lastClosedSession, type SessionClose, type TradingCalendar } from './calendar.ts';
import { type Bar, type BarsRequest, type MarketData, PointInTimeError } from './port.ts';
import { lowerBound, upperBound } from './sorted.ts';
import { addDays, assertDate, nyDate, nyDateTime, nyTime } from './time.ts';

export type AlpacaFeed = 'iex' | 'sip' | 'boats' | 'otc';

const WireBar = z.object({
  t: z.iso.datetime({ offset: true }),
  o: z.number().positive(),
  h: z.number().positive(),
  l: z.number().positive(),
  c: z.number().positive(),
  v: z.number().nonnegative(),
});
const WireBars = z.object({ bars: z.record(z.string(), z.array(WireBar)).nullable(), next_page_token: z.string().nullable().optional() });
const WireLatestBars = z.object({ bars: z.record(z.string(), WireBar) });

/** The first session Alpaca's stock bars cover. */
const HISTORY_START = '2016-01-04';
const PAGE = 10_000;

export interface LatestBar extends Bar {
  at: string;
}

export interface AlpacaMarketData extends MarketData {
  /** The latest (possibly still forming) bar of each symbol, for marking positions; not point in time. */
  latestBars(symbols: readonly string[]): Promise<Record<string, LatestBar>>;
}

const toBar = (b: z.infer<typeof WireBar>): Bar => ({ date: nyDate(new Date(b.t)), open: b.o, high: b.h, low: b.l, close: b.c, volume: b.v });

export function createAlpacaMarketData(deps: { client: Alpaca; feed: AlpacaFeed; calendar: TradingCalendar }): AlpacaMarketData {
  const { client, feed, calendar } = deps;

  /** Whether the bar of `date` has closed by `asOf`. */
  const isPublished = (date: string, asOf: Date): boolean => {
    const today = nyDate(asOf);
    return date !== today ? date < today : nyTime(asOf) >= barCloseTime(calendar, date);
  };

  /** The session `n - 1` sessions before `date`, so `n` sessions end at `date`. */
  const sessionsBack = (date: string, n: number): string => {
    let day = calendar.isTradingDay(date) ? date : calendar.previousTradingDay(date);
    for (let i = 1; i < n; i++) day = calendar.previousTradingDay(day);
    return day;
  };

  async function fetchDaily(symbol: string, from: string, to: string): Promise<Bar[]> {
    const out: Bar[] = [];
    let pageToken: string | undefined;
    do {
      const page = await wire(
        'GET /v2/stocks/bars',
        WireBars,
        client.marketData.stocks.stockBarsRaw({
          symbols: symbol,
          timeframe: '1Day',
          start: nyDateTime(from, '00:00'),
          end: nyDateTime(to, '23:59'),
          feed,
          adjustment: 'all',
          limit: PAGE,
          pageToken,
        }),
      );
      out.push(...(page.bars?.[symbol] ?? []).map(toBar));
      pageToken = page.next_page_token ?? undefined;
    } while (pageToken);
    return out.filter((b) => b.date >= from && b.date <= to).sort((a, b) => a.date.localeCompare(b.date));
  }

  return {
    source: `alpaca:${feed}`,

    async bars({ symbol, asOf, from, to, limit }: BarsRequest): Promise<Bar[]> {
      if (from !== undefined) assertDate(from);
      if (to !== undefined) assertDate(to);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`limit must be a whole number >= 0, got ${limit}`);
      if (to !== undefined && !isPublished(to, asOf)) {
        throw new PointInTimeError(`${symbol} ${to}: that session has not closed by asOf ${asOf.toISOString()}`);
      }
      if (limit === 0) return [];
      const lastClosed = lastClosedSession(calendar, asOf);
      const end = to !== undefined && to < lastClosed ? to : lastClosed;
      const start = from ?? (limit !== undefined ? sessionsBack(end, limit) : HISTORY_START);
      if (start > end) return [];
      const bars = (await fetchDaily(symbol, start, end)).filter((b) => isPublished(b.date, asOf));
      return limit !== undefined ? bars.slice(-limit) : bars;
    },

    async sessionOpen(symbol, date, asOf) {
      assertDate(date);
      if (asOf < nyDateTime(date, '09:30')) {
        throw new PointInTimeError(`${symbol} ${date}: the session opens at 09:30 New York, after asOf ${asOf.toISOString()}`);
      }
      const [bar] = await fetchDaily(symbol, date, date);
      return bar?.open;
    },

    async latestBars(symbols) {
      if (symbols.length === 0) return {};
      const answer = await wire('GET /v2/stocks/bars/latest', WireLatestBars, client.marketData.stocks.stockLatestBarsRaw({ symbols: symbols.join(','), feed }));
      return Object.fromEntries(Object.entries(answer.bars).map(([symbol, b]) => [symbol, { ...toBar(b), at: b.t }]));
    },
  };
}

const WireCalendarDay = z.object({ date: z.iso.date(), open: z.string().regex(/^\d\d:\d\d$/), close: z.string().regex(/^\d\d:\d\d$/) });

/**
 * A trading calendar from Alpaca's /v2/calendar for [from, to]; outside that range, and for anything
 * Alpaca does not say, the offline NYSE calendar answers.
 */
export async function loadAlpacaCalendar(client: Alpaca, range: { from: string; to: string }, fallback: TradingCalendar): Promise<TradingCalendar> {
  const days = await wire(
    'GET /v2/calendar',
    z.array(WireCalendarDay),
    client.trading.calendar.legacyCalendarRaw({ start: new Date(`${range.from}T00:00:00Z`), end: new Date(`${range.to}T00:00:00Z`) }),
  );
  const sessions = days.map((d) => d.date).sort();
  const closes = new Map(days.map((d) => [d.date, d.close]));
  const inRange = (date: string) => date >= range.from && date <= range.to;
  return {
    isTradingDay: (date) => (inRange(date) ? closes.has(date) : fallback.isTradingDay(date)),
    sessionClose(date) {
      if (!inRange(date)) return fallback.sessionClose(date);
      const close = closes.get(date);
      if (!close) throw new RangeError(`${date} is not a session on Alpaca's calendar`);
      // The port knows two closes; Alpaca's early closes are 13:00.
      return (close < '16:00' ? '13:00' : '16:00') satisfies SessionClose;
    },
    nextTradingDay(date) {
      const next = sessions[upperBound(sessions, date)];
      return next !== undefined && inRange(date) ? next : fallback.nextTradingDay(date);
    },
    previousTradingDay(date) {
      const previous = sessions[lowerBound(sessions, date) - 1];
      return previous !== undefined && inRange(date) ? previous : fallback.previousTradingDay(date);
    },
    tradingDays(from, to) {
      if (from >= range.from && to <= range.to) return sessions.slice(lowerBound(sessions, from), upperBound(sessions, to));
      return fallback.tradingDays(from, to);
    },
  };
}

export interface RefreshingCalendar {
  /** Always answers: Alpaca's latest calendar, or the offline one until Alpaca has answered once. */
  readonly calendar: TradingCalendar;
  /** Reads Alpaca's calendar again now; false (and the previous calendar kept) when Alpaca fails. */
  refresh(): Promise<boolean>;
  /** Stops the daily refresh. Safe to call twice. */
  stop(): void;
}

const DAY_MS = 86_400_000;

/**
 * Alpaca's calendar, read at start and again every day (an hour after a failure), so a closure Alpaca
 * announces after start (a national day of mourning) reaches a long-running bot. It covers two years
 * back and one ahead of the clock's date at each read. The timer never keeps the process alive.
 */
export async function createRefreshingAlpacaCalendar(deps: {
  client: Alpaca;
  clock: () => Date;
  fallback: TradingCalendar;
  onError?: (error: unknown) => void;
  refreshMs?: number;
  retryMs?: number;
}): Promise<RefreshingCalendar> {
  const { client, clock, fallback, onError } = deps;
  const refreshMs = deps.refreshMs ?? DAY_MS;
  const retryMs = deps.retryMs ?? DAY_MS / 24;
  let current = fallback;
  let revision = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const refresh = async (): Promise<boolean> => {
    const today = nyDate(clock());
    try {
      current = await loadAlpacaCalendar(client, { from: addDays(today, -730), to: addDays(today, 365) }, fallback);
      revision++;
      return true;
    } catch (error) {
      onError?.(error);
      return false;
    }
  };
  const schedule = (ok: boolean) => {
    if (stopped) return;
    timer = setTimeout(() => void refresh().then(schedule), ok ? refreshMs : retryMs);
    timer.unref();
  };

  const calendar: TradingCalendar = {
    get revision() {
      return revision;
    },
    isTradingDay: (date) => current.isTradingDay(date),
    sessionClose: (date) => current.sessionClose(date),
    nextTradingDay: (date) => current.nextTradingDay(date),
    previousTradingDay: (date) => current.previousTradingDay(date),
    tradingDays: (from, to) => current.tradingDays(from, to),
  };
  schedule(await refresh());
  return {
    calendar,
    refresh,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
