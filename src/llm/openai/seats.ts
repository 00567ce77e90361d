/**
 * The LLM seats: researcher, PM (pitch and blind review) and chairman, each one `ask` per stage, and the
 * checkpoint's conviction update from the seat (or chairman) that owns a position.
 */
import { z } from 'zod';
import { Conviction, ResearchAnswer, ResearchAnswerV1, ReviewAnswer } from '../../domain/schemas.ts';
import { decisionProblems, pitchProblems } from '../../domain/validate.ts';
import { newsBlock } from '../../pipeline/research.ts';
import { addUsage, type ChairSeat, type ConvictionInput, type ConvictionUpdate, type PmSeat, type ResearchSeat, type SeatResult, type StageInput } from '../../pipeline/seats.ts';
import { type AskDeps, ask } from './ask.ts';
import type { Stage } from './audit.ts';
import { TransportError } from './types.ts';
import {
  compactJson,
  decisionSchemaOf,
  loadPrompt,
  loadPromptFile,
  loadQuestionPrompt,
  type Prompt,
  pitchesBlock,
  pitchSchemaOf,
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

const OFFLINE_RULE =
  'Use only the data given: daily closes through the last session, the news listed (each item dated, none after the decision time) and the release calendar. Use nothing you know from after the decision time.';
const ONLINE_RULE =
  'You may search the web, but use only what was published at or before the decision time, and say when each source was published. The data given (closes, news, release calendar) comes first.';
const OFFLINE_SOURCES = 'leave it empty; cite the news given by its S ids.';
const ONLINE_SOURCES =
  'every web source you use, with id W1, W2, ..., title, source (the publisher), publishedAt (when it was first published, ISO 8601 with offset) and url; a source without a publication time, or published after the decision time, is dropped.';

/** How long after the decision time an online model may still search: beyond it, the search would see the future. */
export const ONLINE_GRACE_MS = 15 * 60_000;

export interface ResearcherOptions {
  /** A web-searching model (`online: true` in the council file). */
  online?: boolean;
  /** The wall clock: an online model is asked live only for a decision time this close to now. */
  now?: () => Date;
}

const refuseOnline = {
  send: async (): Promise<never> => {
    throw new TransportError('an online research model cannot search the past; it answers only from the LLM cache', false, undefined, undefined);
  },
};

function researchContext(input: StageInput): string {
  const events = input.events;
  const calendar = events
    ? [`release calendar, ${events.events.length ? '' : 'nothing listed; '}${events.note}`, ...events.events.map((e) => `${e.date}: ${e.event}`)].join('\n')
    : 'release calendar: none given';
  const news = input.news ? newsBlock(input.news) : 'news: none given';
  return `${context(input)}\n${calendar}\n${news}`;
}

export function llmResearcher(deps: SeatDeps, model: string, index: number, options: ResearcherOptions = {}): ResearchSeat {
  const prompt = promptOf(deps, 'research');
  const role = RESEARCH_ROLES[index % RESEARCH_ROLES.length] as string;
  const inUniverse = (input: StageInput) => (pack: { candidates: { symbol: string }[] }) =>
    pack.candidates.filter((c) => !input.universe.includes(c.symbol)).map((c) => `candidates: ${c.symbol} is not in the universe`);
  const base = { stage: 'research' as const, seat: `research-${index + 1}`, model, promptVersion: prompt.version, name: 'research_pack' };
  const askV1 = (v1: Prompt, input: StageInput) => {
    const sys = system(deps, 'research', v1, { universe: input.universe.join(' '), role }, input);
    return ask(deps, {
      ...base,
      promptVersion: sys.version,
      week: input.week,
      schema: ResearchAnswerV1,
      messages: [
        { role: 'system', content: sys.content },
        { role: 'user', content: context(input) },
      ],
      check: inUniverse(input),
    });
  };
  return {
    model,
    kind: 'llm',
    research: async (input) => {
      // research.v1 asked from prices alone, with its own schema: an old run replays from exactly that request.
      if (prompt.version === 'research.v1') return askV1(prompt, input);
      const online = options.online === true;
      // Searching the web for a past week would read what was published after it: only the cache may answer.
      const past = online && (options.now ?? (() => new Date()))().getTime() - input.asOf.getTime() > ONLINE_GRACE_MS;
      const sys = system(
        deps,
        'research',
        prompt,
        { universe: input.universe.join(' '), role, sources_rule: online ? ONLINE_RULE : OFFLINE_RULE, sources_field: online ? ONLINE_SOURCES : OFFLINE_SOURCES },
        input,
      );
      const result = await ask(past ? { ...deps, transport: refuseOnline } : deps, {
        ...base,
        promptVersion: sys.version,
        week: input.week,
        schema: ResearchAnswer,
        messages: [
          { role: 'system', content: sys.content },
          { role: 'user', content: researchContext(input) },
        ],
        check: inUniverse(input),
      });
      // A backtest on the LLM cache: a week a live run convened before research.v2 holds the research.v1 answer.
      const cache = deps.answers;
      if (!result.ok && cache?.exclusive && cache.source === 'cache' && result.error === cache.miss) {
        const old = await askV1(loadPromptFile('research.v1'), input);
        if (old.ok) return { ...old, usage: addUsage(result.usage, old.usage) };
      }
      return result;
    },
  };
}

/**
 * A backtest on the LLM cache: a week a live run convened with an older prompt holds the answer to that
 * request, so a miss asks again with each older version in turn (pitch.v3: pitch.v2, then pitch.v1;
 * chair.v2: chair.v1). A v1 answer has no levels (no stop in its schema), and the stop is derived in code.
 */
async function withCacheFallback<T>(deps: SeatDeps, asked: Promise<SeatResult<T>>, older: readonly (() => Promise<SeatResult<T>>)[]): Promise<SeatResult<T>> {
  const result = await asked;
  const cache = deps.answers;
  if (result.ok || !cache?.exclusive || cache.source !== 'cache' || result.error !== cache.miss) return result;
  let usage = result.usage;
  for (const ask of older) {
    const old = await ask();
    usage = addUsage(usage, old.usage);
    if (old.ok) return { ...old, usage };
    if (old.error !== cache.miss) break;
  }
  return result;
}

/** The prompt versions before `current` a backtest may find a week cached under, newest first ("pitch.v3" -> pitch.v2, pitch.v1). */
const olderVersions = (current: string, stage: 'pitch' | 'chair'): string[] => {
  const n = Number(current.slice(`${stage}.v`.length));
  return Array.from({ length: Math.max(0, n - 1) }, (_, i) => `${stage}.v${n - 1 - i}`);
};

export function llmPmSeat(deps: SeatDeps, id: string, model: string): PmSeat {
  const pitchPrompt = promptOf(deps, 'pitch');
  const reviewPrompt = promptOf(deps, 'review');
  return {
    id,
    model,
    kind: 'llm',
    convictionUpdate: convictionUpdate(deps, id, model),
    pitch: (input) => {
      const askWith = (prompt: Prompt) => {
        const sys = system(deps, 'pitch', prompt, { universe: input.universe.join(' ') }, input);
        return ask(deps, {
          week: input.week,
          stage: 'pitch',
          seat: id,
          model,
          promptVersion: sys.version,
          name: 'pitch',
          schema: pitchSchemaOf(prompt.version),
          messages: [
            { role: 'system', content: sys.content },
            { role: 'user', content: `${context(input)}\n${researchBlock(input.research)}` },
          ],
          check: (p) => pitchProblems(p, input.universe),
        });
      };
      return withCacheFallback(
        deps,
        askWith(pitchPrompt),
        olderVersions(pitchPrompt.version, 'pitch').map((v) => () => askWith(loadPromptFile(v))),
      );
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
      const askWith = (version: Prompt) => {
        const sys = system(deps, 'chair', version, { universe: input.universe.join(' ') }, input);
        return ask(deps, {
          week: input.week,
          stage: 'chair',
          seat: `chair-${index + 1}`,
          model,
          promptVersion: sys.version,
          name: 'decision',
          schema: decisionSchemaOf(version.version),
          messages: [
            { role: 'system', content: sys.content },
            { role: 'user', content: scrubIdentity(user, deps.identityTerms) },
          ],
          check: (d) => decisionProblems(d, input.universe),
        });
      };
      return withCacheFallback(
        deps,
        askWith(prompt),
        olderVersions(prompt.version, 'chair').map((v) => () => askWith(loadPromptFile(v))),
      );
    },
  };
}
