/** Reads bundled CSV files with nothing from src/market, so tests can check it against an independent parse. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BARS_DIR = fileURLToPath(new URL('../../market-data/bars/', import.meta.url));

export interface RawBar {
  date: string;
  open: number;
  close: number;
}

export function readRaw(symbol: string): RawBar[] {
  const lines = readFileSync(`${BARS_DIR}${symbol}.csv`, 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [date = '', open = '', , , close = ''] = line.split(',');
    return { date, open: Number(open), close: Number(close) };
  });
}
