/**
 * The prompt files (prompts/<stage>.v<N>.md, one per stage) and the compact encodings of what the
 * models read: the snapshot as one table row per symbol, the research pack and pitches as dense JSON.
 * Review and chair messages are scrubbed of every seat, model and vendor name.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { Decision, DecisionV1, INDICATORS, type Indicator, Pitch, PitchV1, type ResearchPack } from '../../domain/schemas.ts';
import type { MarketSnapshot } from '../../market/snapshot.ts';
import type { LabelledPitch, ReviewForChair } from '../../pipeline/seats.ts';
import type { Stage } from './audit.ts';

const PROMPTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../prompts');

export const PROMPT_FILES: Record<Stage, string> = {
  research: 'research.v2.md',
  pitch: 'pitch.v3.md',
  review: 'review.v1.md',
  chair: 'chair.v2.md',
  checkpoint: 'checkpoint.v1.md',
};

/**
 * The answer schema each pitch and chair prompt version was asked with: pitch.v1 and chair.v1 had no stop
 * or take-profit, so a run recorded with them replays from exactly its own requests (the schema is part of
 * the request hash). Their answers lack the two fields, which every reader takes as null (no level given:
 * the stop is derived in code, src/domain/stops.ts), hence the widening casts.
 */
export const pitchSchemaOf = (version: string): z.ZodType<Pitch> => (version.startsWith('pitch.v1') ? (PitchV1 as unknown as z.ZodType<Pitch>) : Pitch);
export const decisionSchemaOf = (version: string): z.ZodType<Decision> => (version.startsWith('chair.v1') ? (DecisionV1 as unknown as z.ZodType<Decision>) : Decision);

/** The system-prompt addendum for a run with a desk question (fenced runs only; see questionBlock). */
export const QUESTION_FILE = 'question.v1.md';

/** What the question is for, per stage, in the addendum's {{use}}. */
export const QUESTION_USE: Record<Exclude<Stage, 'checkpoint'>, string> = {
  research: 'weighed as a pointer to what the desk wants researched, answered only from the data given',
  pitch: 'weighed when you choose your one trade, answered only from the data given',
  review: 'weighed only as context for how well each pitch serves the desk; score the trades by the rubric',
  chair: 'weighed only as context when you decide the council’s one trade',
};

export function loadQuestionPrompt(dir = PROMPTS_DIR): Prompt {
  const text = readFileSync(resolve(dir, QUESTION_FILE), 'utf8').trim();
  return {
    version: QUESTION_FILE.replace(/\.md$/, ''),
    render: (vars) =>
      text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        const value = vars[key];
        if (value === undefined) throw new Error(`prompt ${QUESTION_FILE} needs {{${key}}}`);
        return value;
      }),
  };
}

/**
 * The desk's question as the user message quotes it: fenced between marker lines, as one JSON string (so
 * no quote or newline in it can end the fence). The question is cleaned before it is recorded
 * (domain/question.ts): one line, capped, without control characters or the marker itself.
 */
export const questionBlock = (question: string): string => `<desk_question>\n${JSON.stringify(question)}\n</desk_question>`;

export interface Prompt {
  version: string;
  render(vars: Record<string, string>): string;
}

export function loadPrompt(stage: Stage, dir = PROMPTS_DIR): Prompt {
  return loadPromptFile(PROMPT_FILES[stage], dir);
}

/** One prompt file by version ("research.v1"): a replay asks with the prompts its run was asked with. */
export function loadPromptFile(name: string, dir = PROMPTS_DIR): Prompt {
  if (!/^[a-z]+\.v\d+(\.md)?$/.test(name)) throw new Error(`not a prompt version: ${name}`);
  const file = name.endsWith('.md') ? name : `${name}.md`;
  const text = readFileSync(resolve(dir, file), 'utf8').trim();
  return {
    version: file.replace(/\.md$/, ''),
    render: (vars) =>
      text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        const value = vars[key];
        if (value === undefined) throw new Error(`prompt ${file} needs {{${key}}}`);
        return value;
      }),
  };
}

/** Every per-symbol indicator, in the domain's order (VIX is quoted once, not per symbol). */
const TABLE_COLUMNS = INDICATORS.filter((name): name is Exclude<Indicator, 'vix'> => name !== 'vix');

/** Five significant digits: exact enough to quote back, short enough to be cheap. */
const n = (x: number | null) => (x === null || !Number.isFinite(x) ? '-' : String(Number(x.toPrecision(5))));

export function snapshotTable(s: MarketSnapshot, universe: readonly string[]): string {
  const rows = universe.flatMap((symbol) => {
    const set = s.symbols[symbol];
    return set ? [[symbol, ...TABLE_COLUMNS.map((c) => n(set[c]))].join('|')] : [];
  });
  return [`data as of the close of ${s.lastSession}; vix ${n(s.vix)}; returns and vol as fractions`, ['symbol', ...TABLE_COLUMNS].join('|'), ...rows].join('\n');
}

/**
 * Dense JSON with keys sorted: values read back from the store (jsonb reorders keys) must give the same
 * prompt, and so the same hash, as the values first seen, or replay and cache would miss.
 */
export const compactJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );

export function pitchesBlock(pitches: readonly LabelledPitch[]): string {
  return pitches.map((p) => `Pitch ${p.label}: ${compactJson(p.pitch)}`).join('\n');
}

export function reviewsBlock(reviews: readonly ReviewForChair[]): string {
  return reviews.map((r) => `${r.reviewer}: ${compactJson(r.scores)}`).join('\n');
}

export function researchBlock(pack: ResearchPack): string {
  return `research: ${compactJson(pack)}`;
}

/** Makers and model families, matched as whole words in any case ("gpt" in "gpt-5.2", not in "gptx"). */
export const VENDOR_WORDS = [
  'openai',
  'chatgpt',
  'gpt',
  'anthropic',
  'claude',
  'sonnet',
  'opus',
  'haiku',
  'google',
  'gemini',
  'deepmind',
  'bard',
  'xai',
  'grok',
  'groq',
  'deepseek',
  'llama',
  'mistral',
  'mixtral',
  'qwen',
  'alibaba',
  'cohere',
  'perplexity',
  'kimi',
  'moonshot',
  'requesty',
  'openrouter',
];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every name a reviewer must not see: seat ids, model ids and their parts, makers. */
export function identityTerms(seatIds: readonly string[], models: readonly string[]): string[] {
  const parts = models.flatMap((m) => (m.startsWith('builtin:') ? [] : [m, ...m.split('/')]));
  return [...new Set([...seatIds, ...parts, ...VENDOR_WORDS].map((t) => t.toLowerCase()).filter((t) => t.length >= 3))].sort((a, b) => b.length - a.length);
}

const SELF_PHRASES = [
  // "As Claude, ...", "As an AI language model developed by X, ..."
  /\bas an? (?:ai|artificial intelligence|large language model|language model|llm|assistant)\b[^,.;:!?]*[,.;:!?]\s*/gi,
  /\b(?:i am|i'm|this is)\s+(?:an? )?(?:ai|large language model|language model|llm|assistant)\b[^,.;:!?]*[,.;:!?]?\s*/gi,
];

export function scrubIdentity(text: string, terms: readonly string[]): string {
  if (terms.length === 0) return text;
  const names = terms.map(escapeRe).join('|');
  let out = text.replace(new RegExp(`\\bas (?:${names})\\b[^,.;:!?]*[,.;:!?]\\s*`, 'gi'), '');
  for (const p of SELF_PHRASES) out = out.replace(p, '');
  out = out.replace(new RegExp(`\\b(?:developed|made|built|trained|created) by (?:${names})\\b`, 'gi'), '');
  return out.replace(new RegExp(`(?<![\\w-])(?:${names})(?![\\w])`, 'gi'), 'a member');
}
