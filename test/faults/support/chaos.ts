/** Seeded fault choice for chaos tests: the same key always gets the same fault, whatever the arrival order. */
import { createHash } from 'node:crypto';

export type Fault = '429' | '500' | 'timeout' | 'garbage' | 'refusal';
const FAULTS: readonly Fault[] = ['429', '500', 'timeout', 'garbage', 'refusal'];

/** Two uniform numbers in [0, 1) drawn from the key's hash. */
function uniforms(key: string): [number, number] {
  const h = createHash('sha256').update(key).digest();
  return [h.readUInt32BE(0) / 2 ** 32, h.readUInt32BE(4) / 2 ** 32];
}

/** A fault for this key with probability `rate`, each kind equally likely; undefined for a healthy call. */
export function faultFor(key: string, rate: number): Fault | undefined {
  const [fails, kind] = uniforms(key);
  return fails < rate ? FAULTS[Math.floor(kind * FAULTS.length)] : undefined;
}
