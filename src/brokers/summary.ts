/**
 * Where each account trades and which market data and clock they share, in one sentence. Keys for one
 * Alpaca account switch the market data and the clock to live for every account (the simulated ones
 * too) unless MARKET_DATA_DIR asks for a replay: `status`, `doctor` and the start of `serve` say so.
 */
import type { Config } from '../config/config.ts';

/** Where an account trades: at Alpaca when it has Alpaca keys, else on the simulated broker (the composition root's routes). */
export const brokerKindOf = (config: Pick<Config, 'alpaca'>, account: string): 'alpaca' | 'simulated' => (config.alpaca.accounts[account] ? 'alpaca' : 'simulated');

/** Which accounts trade where, and which data and clock they all share: said plainly. */
export function brokerSummary(config: Config): { partial: boolean; text: string; fix?: string } {
  const alpaca = Object.keys(config.alpaca.accounts);
  const simulated = config.accounts.filter((a) => brokerKindOf(config, a) === 'simulated');
  const where = [
    alpaca.length ? `Alpaca (${config.alpaca.paper ? 'paper' : 'LIVE money'}): ${alpaca.join(', ')}` : '',
    simulated.length ? `simulated broker: ${simulated.join(', ')}` : '',
  ].filter(Boolean);
  const dataKeysOf = alpaca.find((a) => config.alpaca.accounts[a] === config.alpaca.dataKeys);
  const data = config.alpaca.dataKeys
    ? `market data: Alpaca (${config.alpaca.dataFeed}, with ${dataKeysOf ?? 'the first account'}'s keys); clock: live for every account`
    : `market data: CSV bars in ${config.marketDataDir}; clock: simulated from the replay week for every account`;
  const partial = alpaca.length > 0 && simulated.length > 0;
  const text = `${where.join('; ')}; ${data}`;
  if (!partial) return { partial, text };
  const fix = config.alpaca.dataKeys
    ? `the simulated accounts also trade on live prices and time; give every account ALPACA_<ACCOUNT>_KEY_ID/_SECRET, or set MARKET_DATA_DIR to replay CSV bars for all`
    : `the Alpaca accounts trade live while the council decides on replayed bars; unset MARKET_DATA_DIR for live data, or remove the Alpaca keys`;
  return { partial, text, fix };
}
