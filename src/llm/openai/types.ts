/** The wire-level shapes the LLM seats work with, independent of the SDK that carries them. */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export type OutputMode = 'json_schema' | 'json_object';

/** Exactly what goes to the router; its hash keys the cache and the replay. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  response_format: { type: 'json_schema'; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } } | { type: 'json_object' };
  temperature?: number;
}

export interface ChatResponse {
  /** The model that actually answered (a router may name a dated variant). */
  model: string;
  content: string | null;
  refusal: string | null;
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number };
}

/** A call that got no answer: the reason, and whether asking again may help. */
export class TransportError extends Error {
  readonly retryable: boolean;
  /** The server's retry-after, already in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  /** Requests actually sent before giving up (0: none reached the network). */
  readonly tries: number;
  constructor(message: string, retryable: boolean, retryAfterMs: number | undefined, status: number | undefined, tries = 0) {
    super(message);
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
    this.status = status;
    this.tries = tries;
    this.name = 'TransportError';
  }
}

/** Sends one request and returns the answer or throws TransportError. One attempt, no retry. */
export interface Transport {
  send(request: ChatRequest, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ChatResponse>;
}
