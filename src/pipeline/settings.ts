/** The council's pipeline settings, built once by the composition root from config. */
import type { RiskLimits } from '../domain/sizing.ts';

export interface PipelineSettings {
  council: string;
  universe: readonly string[];
  risk: RiskLimits;
  /** seat id -> account */
  seatAccounts: Readonly<Record<string, string>>;
  chairAccount: string;
  quorum: number;
}
