/**
 * Strict JSON extraction from a model's text. Accepted: the whole text is JSON; or exactly one code
 * fence holds it; or exactly one balanced {...} object sits in prose. The JSON itself is never
 * patched (no trailing-comma fixes, no quote swaps): invalid JSON is an error the repair turn shows.
 */

export type Extracted = { ok: true; value: unknown; how: 'plain' | 'fenced' | 'prose' } | { ok: false; error: string };

const FENCE_OPEN = /^\s*```[a-zA-Z]*\s*$/;
const FENCE_CLOSE = /^\s*```\s*$/;

export function extractJson(text: string): Extracted {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'the answer was empty' };
  const plain = parse(trimmed);
  if (plain.ok) return { ok: true, value: plain.value, how: 'plain' };

  const fences = fencedBlocks(trimmed);
  if (fences.length > 1) return { ok: false, error: `the answer holds ${fences.length} code blocks; send exactly one JSON object` };
  if (fences.length === 1) {
    const fenced = parse(fences[0] as string);
    return fenced.ok ? { ok: true, value: fenced.value, how: 'fenced' } : { ok: false, error: `the code block is not valid JSON: ${fenced.error}` };
  }

  const objects = topLevelObjects(trimmed);
  if (objects.length === 0) return { ok: false, error: `the answer is not JSON: ${plain.error}` };
  if (objects.length > 1) return { ok: false, error: `the answer holds ${objects.length} JSON objects; send exactly one` };
  const inProse = parse(objects[0] as string);
  return inProse.ok ? { ok: true, value: inProse.value, how: 'prose' } : { ok: false, error: `the JSON object in the answer is invalid: ${inProse.error}` };
}

function parse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (current === undefined) {
      if (FENCE_OPEN.test(line)) current = [];
    } else if (FENCE_CLOSE.test(line)) {
      blocks.push(current.join('\n'));
      current = undefined;
    } else current.push(line);
  }
  return blocks;
}

/** Each balanced top-level {...} span, skipping braces inside JSON strings. */
function topLevelObjects(text: string): string[] {
  const spans: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"' && depth > 0) inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) spans.push(text.slice(start, i + 1));
    }
  }
  return spans;
}
