/**
 * The machine's own speed, so that the timed rows can be read against it: a fixed piece of plain
 * JavaScript with the shape of a backtest's data work (a JSON round trip of 50,000 event-like records,
 * rolling means over 250,000 closes, a sort of 200,000 numbers), none of the project's code but its
 * seeded random source (mulberry32, the same numbers on every machine). On
 * 2026-12-01 the same commit's every CPU-bound row, `council --version` among them, took 1.4-2.3x as long
 * on one machine of the project's kind as on another two hours before; this row tells which kind of
 * machine a results.json was measured on. It has no goal.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../src/domain/random.ts';

export interface MachineBench {
  /** The fastest timed round, in ms: the headline, steadier than the median (garbage collection varies). */
  fastestMs: number;
  medianMs: number;
  slowestMs: number;
  rounds: number;
  cpuModel: string;
  /** What the work computed: the same on every machine, or the work changed. */
  checksum: number;
}

const SYMBOLS = ['SPY', 'QQQ', 'IWM', 'TLT', 'HYG', 'UUP', 'GLD', 'USO'];

/** The fixed work; returns a checksum of what it computed. */
export function referenceWork(): number {
  const next = seededRandom(21);
  // A JSON round trip of event-like records, as a store writes and reads them.
  const events = Array.from({ length: 50_000 }, (_, i) => ({
    stream: `week:${Math.floor(i / 100)}`,
    version: i % 100,
    type: i % 3 === 0 ? 'OrderFilled' : i % 3 === 1 ? 'CheckpointJudged' : 'ProposalOpened',
    data: {
      symbol: SYMBOLS[i % SYMBOLS.length],
      qty: Math.floor(next() * 500),
      price: Math.round(next() * 50_000) / 100,
      at: `2020-01-01T14:${String(i % 60).padStart(2, '0')}:00Z`,
    },
  }));
  const back = JSON.parse(JSON.stringify(events)) as typeof events;
  let checksum = back.reduce((sum, e) => sum + e.data.qty, 0);
  // Rolling means over a random walk of closes, as the indicators roll.
  const closes = new Float64Array(250_000);
  closes[0] = 100;
  for (let i = 1; i < closes.length; i++) closes[i] = (closes[i - 1] as number) * (1 + (next() - 0.5) * 0.02);
  for (const window of [20, 50, 200]) {
    let sum = 0;
    let above = 0;
    for (let i = 0; i < closes.length; i++) {
      sum += closes[i] as number;
      if (i >= window) sum -= closes[i - window] as number;
      if (i >= window - 1 && (closes[i] as number) > sum / window) above++;
    }
    checksum += above;
  }
  // A sort, as listings and reports order their rows.
  const values = Array.from({ length: 200_000 }, () => next());
  values.sort((a, b) => a - b);
  checksum += Math.round((values[100_000] as number) * 1e6);
  return checksum;
}

/** Times the fixed work: one round to warm up, then `rounds` timed ones. */
export function benchMachine(rounds = 7): MachineBench {
  const checksum = referenceWork();
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    if (referenceWork() !== checksum) throw new Error('the reference work is not deterministic');
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const ms = (x: number) => Math.round(x * 10) / 10;
  return {
    medianMs: ms(times[Math.floor(times.length / 2)] as number),
    fastestMs: ms(times[0] as number),
    slowestMs: ms(times[times.length - 1] as number),
    rounds,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    checksum,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = benchMachine();
  process.stdout.write(
    `machine reference: ${result.fastestMs} ms fastest (median ${result.medianMs}, slowest ${result.slowestMs} ms, ${result.rounds} rounds), ${result.cpuModel}\n`,
  );
}
