/**
 * The LLM seats: researcher, PM (pitch and blind review) and chairman, each one `ask` per stage, and the
 * checkpoint's conviction update from the seat (or chairman) that owns a position.
 */
import { z } from 'zod';
import { Conviction, Decision, Pitch, ResearchPack, ReviewAnswer } from '../../domain/schemas.ts';
import { decisionProblems, pitchProblems } from '../../domain/validate.ts';
import type { ChairSeat, ConvictionInput, ConvictionUpdate, PmSeat, ResearchSeat, SeatResult, StageInput } from '../../pipeline/seats.ts';
import { type AskDeps, ask } from './ask.ts';
import type { Stage } from './audit.ts';
import {
  compactJson,
  loadPrompt,
  loadQuestionPrompt,
  type Prompt,
  pitchesBlock,
  QUESTION_USE,
  questionBlock,
  researchBlock,
  reviewsBlock,
  scrubIdentity,
  snapshotTable,
} from './prompts.ts';

export interface SeatDeps extends AskDeps {
  /** Names scrubbed from everything a reviewer or the chairman reads. */
  identityTerms: readonly string[];
  prompts?: Partial<Record<Stage, Prompt>>;
  /** The question addendum (prompts/question.v1.md unless given). */
  questionPrompt?: Prompt;
}

const promptOf = (deps: SeatDeps, stage: Stage) => deps.prompts?.[stage] ?? loadPrompt(stage);

/**
 * The question's place in the user message. Fenced runs quote it between markers; a run recorded before
 * the fence (no questionFormat) quotes it inline as it did then, so its recorded requests hash the same and
 * it still replays. Without a question the message is what it always was (and the cache still answers).
 */
const questionLines = (input: StageInput): string[] =>
  !input.query ? [] : input.questionFormat === 'fenced' ? [questionBlock(input.query)] : [`question from the desk: ${input.query}`];

const context = (input: StageInput) =>
  [`week of ${input.week}; decision time ${input.asOf.toISOString()}`, ...questionLines(input), snapshotTable(input.snapshot, input.universe)].join('\n');

/** The stage's system prompt, with the question addendum when a fenced run has a question; and the version recorded with the call. */
function system(deps: SeatDeps, stage: Exclude<Stage, 'checkpoint'>, prompt: Prompt, vars: Record<string, string>, input: StageInput): { content: string; version: string } {
  const base = prompt.render(vars);
  if (!input.query || input.questionFormat !== 'fenced') return { content: base, version: prompt.version };
  const addendum = deps.questionPrompt ?? loadQuestionPrompt();
  return { content: `${base}\n${addendum.render({ use: QUESTION_USE[stage] })}`, version: `${prompt.version}+${addendum.version}` };
}

export const ConvictionAnswer = z.object({ conviction: Conviction, note: z.string().min(1).max(200) });

/** One conviction update: the seat's own pitch or decision, and the position as the checkpoint judged it. */
function convictionUpdate(deps: SeatDeps, seat: string, model: string): (input: ConvictionInput) => Promise<SeatResult<ConvictionUpdate>> {
  const prompt = promptOf(deps, 'checkpoint');
  return (input) => {
    const p = input.position;
    const position = {
      symbol: p.symbol,
      direction: p.direction,
      qty: p.qty,
      entry: p.entry ? { session: p.entry.session, price: p.entry.price } : null,
      avgPrice: p.avgPrice,
      price: { value: p.mark, as: `${p.markSource.kind} of ${p.markSource.session}` },
      pl: p.pl,
      plPct: p.plPct,
      status: p.status,
      conditions: p.conditions.map((c) => ({ ...c.condition, value: c.value, hit: c.holds, near: c.near })),
      horizon: p.horizon,
    };
    const origin = input.origin.kind === 'pitch' ? `your pitch: ${compactJson(input.origin.pitch)}` : `the council's decision (you chaired): ${compactJson(input.origin.decision)}`;
    return ask(deps, {
      week: input.week,
      stage: 'checkpoint',
      seat,
      model,
      promptVersion: prompt.version,
      name: 'conviction_update',
      schema: ConvictionAnswer,
      messages: [
        { role: 'system', content: prompt.render({}) },
        { role: 'user', content: `checkpoint at ${input.at.toISOString()}\n${origin}\nposition now: ${compactJson(position)}` },
      ],
      check: () => [],
    });
  };
}

export const RESEARCH_ROLES = [
  'the macro regime: risk appetite, rates, the dollar, inflation, growth and volatility, and what they favour this week.',
  'the alternative view: where the consensus could be wrong, crowded trades, and the contrarian case.',
];

export function llmResearcher(deps: SeatDeps, model: string, index: number): ResearchSeat {
  const prompt = promptOf(deps, 'research');
  return {
    model,
    kind: 'llm',
    research: (input) => {
      const sys = system(deps, 'research', prompt, { universe: input.universe.join(' '), role: RESEARCH_ROLES[index % RESEARCH_ROLES.length] as string }, input);
      return ask(deps, {
        week: input.week,
        stage: 'research',
        seat: `research-${index + 1}`,
        model,
        promptVersion: sys.version,
        name: 'research_pack',
        schema: ResearchPack,
        messages: [
          { role: 'system', content: sys.content },
          { role: 'user', content: context(input) },
        ],
        check: (pack) => pack.candidates.filter((c) => !input.universe.includes(c.symbol)).map((c) => `candidates: ${c.symbol} is not in the universe`),
      });
    },
  };
}

export function llmPmSeat(deps: SeatDeps, id: string, model: string): PmSeat {
  const pitchPrompt = promptOf(deps, 'pitch');
  const reviewPrompt = promptOf(deps, 'review');
  return {
    id,
    model,
    kind: 'llm',
    convictionUpdate: convictionUpdate(deps, id, model),
    pitch: (input) => {
      const sys = system(deps, 'pitch', pitchPrompt, { universe: input.universe.join(' ') }, input);
      return ask(deps, {
        week: input.week,
        stage: 'pitch',
        seat: id,
        model,
        promptVersion: sys.version,
        name: 'pitch',
        schema: Pitch,
        messages: [
          { role: 'system', content: sys.content },
          { role: 'user', content: `${context(input)}\n${researchBlock(input.research)}` },
        ],
        check: (p) => pitchProblems(p, input.universe),
      });
    },
    review: (input) => {
      const labels = input.pitches.map((p) => p.label);
      const user = `${context(input)}\n${researchBlock(input.research)}\npitches to score (${labels.join(', ')}):\n${pitchesBlock(input.pitches)}`;
      const sys = system(deps, 'review', reviewPrompt, {}, input);
      return ask(deps, {
        week: input.week,
        stage: 'review',
        seat: id,
        model,
        promptVersion: sys.version,
        name: 'review',
        schema: ReviewAnswer,
        messages: [
          { role: 'system', content: sys.content },
          { role: 'user', content: scrubIdentity(user, deps.identityTerms) },
        ],
        check: (answer) => {
          const targets = answer.scores.map((s) => s.target);
          return [
            ...labels.filter((l) => !targets.includes(l)).map((l) => `scores: pitch ${l} has no score`),
            ...targets.filter((t, i) => !labels.includes(t) || targets.indexOf(t) !== i).map((t) => `scores: target ${t} is not a label to score or is scored twice`),
          ];
        },
      });
    },
  };
}

export function llmChair(deps: SeatDeps, model: string, index: number): ChairSeat {
  const prompt = promptOf(deps, 'chair');
  return {
    model,
    kind: 'llm',
    convictionUpdate: convictionUpdate(deps, `chair-${index + 1}`, model),
    decide: (input) => {
      const user = `${context(input)}\n${researchBlock(input.research)}\npitches:\n${pitchesBlock(input.pitches)}\nblind reviews:\n${reviewsBlock(input.reviews)}`;
      const sys = system(deps, 'chair', prompt, { universe: input.universe.join(' ') }, input);
      return ask(deps, {
        week: input.week,
        stage: 'chair',
        seat: `chair-${index + 1}`,
        model,
        promptVersion: sys.version,
        name: 'decision',
        schema: Decision,
        messages: [
          { role: 'system', content: sys.content },
          { role: 'user', content: scrubIdentity(user, deps.identityTerms) },
        ],
        check: (d) => decisionProblems(d, input.universe),
      });
    },
  };
}
