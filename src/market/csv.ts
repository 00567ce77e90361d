/**
 * Market data from a folder of SYMBOL.csv daily bars (`date,open,high,low,close,volume`), served point in
 * time: a bar exists for a caller only once its session has closed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { barCloseTime, createNyseCalendar, type TradingCalendar } from './calendar.ts';
import { type Bar, type BarsRequest, type MarketData, PointInTimeError } from './port.ts';
import { lowerBound, upperBound } from './sorted.ts';
import { assertDate, nyDate, nyDateTime, nyTime } from './time.ts';

export class UnknownSymbolError extends Error {
  readonly symbol: string;
  readonly available: readonly string[];
  readonly code = 'UNKNOWN_SYMBOL';
  constructor(symbol: string, available: readonly string[], source: string) {
    super(`no bars for ${JSON.stringify(symbol)} in ${source}; available: ${available.join(', ') || '(none)'}`);
    this.symbol = symbol;
    this.available = available;
    this.name = 'UnknownSymbolError';
  }
}

export class MalformedBarsError extends Error {
  readonly file: string;
  readonly line: number;
  readonly code = 'MALFORMED_BARS';
  constructor(file: string, line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.file = file;
    this.line = line;
    this.name = 'MalformedBarsError';
  }
}

/** The bars bundled with the project (market-data/bars), found from this file rather than the working directory. */
export function bundledBarsDir(): string {
  return fileURLToPath(new URL('../../market-data/bars', import.meta.url));
}

const HEADER = 'date,open,high,low,close,volume';
const SYMBOL_RE = /^[A-Z0-9.^_-]+$/;
const decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'not a decimal number')
  .transform(Number);
const BarRow = z.object({
  date: z.iso.date(),
  open: decimal.pipe(z.number().positive()),
  high: decimal.pipe(z.number().positive()),
  low: decimal.pipe(z.number().positive()),
  close: decimal.pipe(z.number().positive()),
  volume: decimal.pipe(z.number().int().nonnegative()),
});

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

/** A positive finite price, or undefined when the cell is anything else. */
const price = (cell: string): number | undefined => {
  if (!DECIMAL_RE.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) && value > 0 ? value : undefined;
};

/** Whether a 'YYYY-MM-DD' string names a real day of the (proleptic Gregorian) calendar, as Date reads it. */
function isCalendarDate(date: string): boolean {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);
}

/**
 * The row as BarRow parses it when it is plainly well formed (a real calendar date, positive prices, a
 * whole volume), else undefined. Checking ~25k rows through the schema cost a backtest ~0.3 s; anything
 * this check does not accept goes to the schema, which gives the answer and the error text.
 */
function wellFormedBar(date: string, open: string, high: string, low: string, close: string, volume: string): Bar | undefined {
  if (!DATE_RE.test(date) || !isCalendarDate(date)) return undefined;
  const o = price(open);
  const h = price(high);
  const l = price(low);
  const c = price(close);
  const v = DECIMAL_RE.test(volume) ? Number(volume) : Number.NaN;
  if (o === undefined || h === undefined || l === undefined || c === undefined || !Number.isSafeInteger(v) || v < 0) return undefined;
  return { date, open: o, high: h, low: l, close: c, volume: v };
}

/** A row of six plain cells (a date, five decimals), matched in one pass. */
const PLAIN_ROW_RE = /^(\d{4}-\d{2}-\d{2}),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/;

/**
 * wellFormedBar for a whole line at once: one match instead of a split and six cell patterns (the ~58k
 * bundled rows are parsed at every start of a backtest or a run, in code not yet optimised). A line it
 * does not accept is taken cell by cell, so errors and the rows accepted are as before.
 */
function plainRow(line: string): Bar | undefined {
  const m = PLAIN_ROW_RE.exec(line);
  if (m === null) return undefined;
  const [, date, open, high, low, close, volume] = m as unknown as [string, string, string, string, string, string, string];
  if (!isCalendarDate(date)) return undefined;
  const o = positive(Number(open));
  const h = positive(Number(high));
  const l = positive(Number(low));
  const c = positive(Number(close));
  const v = Number(volume);
  if (o === undefined || h === undefined || l === undefined || c === undefined || !Number.isSafeInteger(v) || v < 0) return undefined;
  return { date, open: o, high: h, low: l, close: c, volume: v };
}

/** A positive finite number, else undefined. */
const positive = (value: number): number | undefined => (Number.isFinite(value) && value > 0 ? value : undefined);

/** One symbol's bars, ascending, with their dates alongside for binary search. */
interface Series {
  readonly bars: readonly Bar[];
  readonly dates: readonly string[];
}

/** A row taken cell by cell: the count, then each cell, the schema deciding (and naming every problem) when not plainly well formed. */
function cellByCell(line: string, file: string, lineNo: number): Bar {
  const cells = line.split(',');
  if (cells.length !== 6) throw new MalformedBarsError(file, lineNo, `expected 6 fields, found ${cells.length}`);
  const [date, open, high, low, close, volume] = cells as [string, string, string, string, string, string];
  const bar = wellFormedBar(date, open, high, low, close, volume);
  if (bar !== undefined) return bar;
  const parsed = BarRow.safeParse({ date, open, high, low, close, volume });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new MalformedBarsError(file, lineNo, problems.join('; '));
  }
  return parsed.data;
}

export function parseBarsCsv(text: string, file: string): Series {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== HEADER) throw new MalformedBarsError(file, 1, `expected the header ${HEADER}`);
  const bars: Bar[] = [];
  const dates: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const lineNo = i + 1;
    const bar = plainRow(line) ?? cellByCell(line, file, lineNo);
    const previous = dates[dates.length - 1];
    if (previous !== undefined && bar.date <= previous) {
      throw new MalformedBarsError(file, lineNo, `${bar.date} does not come after ${previous}`);
    }
    bars.push(Object.freeze(bar));
    dates.push(bar.date);
  }
  return { bars, dates };
}

export function createCsvMarketData(dir: string, options: { calendar?: TradingCalendar } = {}): MarketData {
  const calendar = options.calendar ?? createNyseCalendar();
  const source = `csv:${dir}`;
  const cache = new Map<string, Promise<Series>>();
  /** The series whose load has finished, for an answer without awaiting. */
  const loaded = new Map<string, Series>();
  let listing: Promise<string[]> | undefined;

  const available = (): Promise<string[]> => {
    listing ??= readdir(dir).then((names) =>
      names
        .filter((name) => name.endsWith('.csv'))
        .map((name) => name.slice(0, -4))
        .sort(),
    );
    return listing;
  };

  async function loadSeries(symbol: string): Promise<Series> {
    const symbols = await available();
    if (!SYMBOL_RE.test(symbol) || !symbols.includes(symbol)) throw new UnknownSymbolError(symbol, symbols, source);
    const file = join(dir, `${symbol}.csv`);
    return parseBarsCsv(await readFile(file, 'utf8'), file);
  }

  function series(symbol: string): Promise<Series> {
    let loading = cache.get(symbol);
    if (!loading) {
      loading = loadSeries(symbol);
      cache.set(symbol, loading);
      loading.then(
        (loadedSeries) => loaded.set(symbol, loadedSeries),
        () => undefined,
      );
      // A failed load is not cached, so a fixed file or a retry can succeed.
      loading.catch(() => cache.delete(symbol));
    }
    return loading;
  }

  /**
   * `answer` from the symbol's series, after `check` (run first, before anything loads). A series already
   * loaded answers without awaiting it (a backtest asks ~60k times); any error is a rejected promise.
   */
  function fromSeries<T>(symbol: string, answer: (s: Series) => T, check: () => void): Promise<T> {
    try {
      check();
      const known = loaded.get(symbol);
      return known === undefined ? series(symbol).then(answer) : Promise.resolve(answer(known));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A RangeError for a request's malformed dates or limit, before anything is loaded. */
  function checkRequest({ from, to, limit }: BarsRequest): void {
    if (from !== undefined) assertDate(from);
    if (to !== undefined) assertDate(to);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`limit must be a whole number >= 0, got ${limit}`);
    }
  }

  /** The bars a checked request asks for, from its loaded series (point in time). */
  function barsOf({ bars, dates }: Series, { symbol, asOf, from, to, limit }: BarsRequest): Bar[] {
    if (to !== undefined && !isPublished(to, asOf)) {
      throw new PointInTimeError(`${symbol} ${to}: that session has not closed by asOf ${asOf.toISOString()}`);
    }
    const today = nyDate(asOf);
    let end = upperBound(dates, today);
    if (dates[end - 1] === today && !isPublished(today, asOf)) end -= 1;
    if (to !== undefined) end = Math.min(end, upperBound(dates, to));
    let start = from === undefined ? 0 : lowerBound(dates, from);
    if (limit !== undefined) start = Math.max(start, end - limit);
    return start < end ? bars.slice(start, end) : [];
  }

  /** The open of `date` from its loaded series, once it has opened by `asOf` (point in time). */
  function openOf({ bars, dates }: Series, symbol: string, date: string, asOf: Date): number | undefined {
    if (asOf < nyDateTime(date, '09:30')) {
      throw new PointInTimeError(`${symbol} ${date}: the session opens at 09:30 New York, after asOf ${asOf.toISOString()}`);
    }
    const i = lowerBound(dates, date);
    return dates[i] === date ? bars[i]?.open : undefined;
  }

  /** Whether the bar of `date` has closed by `asOf`. */
  function isPublished(date: string, asOf: Date): boolean {
    const today = nyDate(asOf);
    if (date !== today) return date < today;
    return nyTime(asOf) >= barCloseTime(calendar, date);
  }

  return {
    source,

    bars(request: BarsRequest): Promise<Bar[]> {
      return fromSeries(
        request.symbol,
        (s) => barsOf(s, request),
        () => checkRequest(request),
      );
    },

    sessionOpen(symbol, date, asOf) {
      return fromSeries(
        symbol,
        (s) => openOf(s, symbol, date, asOf),
        () => assertDate(date),
      );
    },
  };
}
