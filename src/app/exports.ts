/** The exports every backtest folder and `council postmortem --out` hold: fills.csv, trades.csv, equity.csv (fixed names and columns). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { equityCsv, fillsCsv, tradesCsv } from '../domain/ledger.ts';
import type { Postmortem } from '../pipeline/postmortem.ts';

export const EXPORT_FILES = ['fills.csv', 'trades.csv', 'equity.csv'] as const;

export async function writeExports(dir: string, pm: Postmortem): Promise<string[]> {
  const files: [string, string][] = [
    ['fills.csv', fillsCsv(pm.ledger.fills)],
    ['trades.csv', tradesCsv(pm.ledger.trips)],
    ['equity.csv', equityCsv(pm.marks)],
  ];
  return Promise.all(
    files.map(async ([name, text]) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    }),
  );
}
