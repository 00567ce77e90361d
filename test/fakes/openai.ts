/**
 * A fake OpenAI-compatible router on loopback: POST /v1/chat/completions, answered by a script per
 * request. It records every request (body, headers) and a global order of request starts and ends, so
 * tests can prove parallelism from ordering rather than from durations.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeStage = 'research' | 'pitch' | 'review' | 'chair' | 'checkpoint' | 'unknown';

export interface FakeRequest {
  id: number;
  stage: FakeStage;
  model: string;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: { type: string; json_schema?: { name: string; schema: unknown } };
  };
  headers: IncomingHttpHeaders;
  /** Positions in the fake's global timeline of starts and ends. */
  startedAt: number;
  endedAt: number | undefined;
}

export type Reply =
  | { kind: 'json'; value: unknown; usage?: { prompt: number; completion: number } }
  | { kind: 'text'; text: string; finishReason?: string }
  | { kind: 'refusal'; text: string }
  | { kind: 'status'; status: number; headers?: Record<string, string>; message?: string }
  /** Never answers; the response ends only when the client gives up. */
  | { kind: 'hang' };

export type Script = (request: FakeRequest) => Reply | Promise<Reply>;

export interface FakeOpenAi {
  baseUrl: string;
  requests: FakeRequest[];
  script: Script;
  /** A fixed delay before every answer (benchmarks only; tests use ordering, not time). */
  latencyMs: number;
  /** What GET /v1/models lists; undefined: that route answers 404, as on routers without it. */
  models: string[] | undefined;
  close(): Promise<void>;
}

const SCHEMA_STAGES: Record<string, FakeStage> = { research_pack: 'research', pitch: 'pitch', review: 'review', decision: 'chair', conviction_update: 'checkpoint' };

export function stageOf(body: FakeRequest['body']): FakeStage {
  const named = SCHEMA_STAGES[body.response_format?.json_schema?.name ?? ''];
  if (named) return named;
  const marker = /^\[(\w+)\.v\d+\]/.exec(body.messages[0]?.content ?? '')?.[1];
  return marker === 'research' || marker === 'pitch' || marker === 'review' || marker === 'chair' || marker === 'checkpoint' ? marker : 'unknown';
}

export async function startFakeOpenAi(script: Script, options: { latencyMs?: number } = {}): Promise<FakeOpenAi> {
  let tick = 0;
  const fake: FakeOpenAi = { baseUrl: '', requests: [], script, latencyMs: options.latencyMs ?? 0, models: undefined, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'GET' && req.url === '/v1/models' && fake.models) {
      const data = fake.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data }));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeRequest['body'];
    const recorded: FakeRequest = { id: fake.requests.length + 1, stage: stageOf(body), model: body.model, body, headers: req.headers, startedAt: ++tick, endedAt: undefined };
    fake.requests.push(recorded);
    const reply = await fake.script(recorded);
    if (fake.latencyMs > 0) await new Promise((r) => setTimeout(r, fake.latencyMs));
    if (reply.kind === 'hang') {
      res.on('close', () => {
        recorded.endedAt = ++tick;
      });
      return;
    }
    const [status, headers, payload] = render(reply, body.model, recorded.id);
    recorded.endedAt = ++tick;
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

function render(reply: Exclude<Reply, { kind: 'hang' }>, model: string, id: number): [number, Record<string, string>, unknown] {
  if (reply.kind === 'status') return [reply.status, reply.headers ?? {}, { error: { message: reply.message ?? `fake error ${reply.status}`, type: 'fake', code: null } }];
  const message =
    reply.kind === 'refusal'
      ? { role: 'assistant', content: null, refusal: reply.text }
      : { role: 'assistant', content: reply.kind === 'json' ? JSON.stringify(reply.value) : reply.text, refusal: null };
  const usage = reply.kind === 'json' && reply.usage ? reply.usage : { prompt: 1000, completion: 200 };
  return [
    200,
    {},
    {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, finish_reason: reply.kind === 'text' ? (reply.finishReason ?? 'stop') : 'stop', logprobs: null, message }],
      usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
    },
  ];
}
