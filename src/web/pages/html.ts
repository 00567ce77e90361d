/**
 * Server-side HTML without a template engine: the `html` tagged template escapes every interpolated
 * value unless it is already `Html` (another `html` result, or `raw` for text known to be markup).
 * Arrays are joined; null, undefined and false render nothing.
 */

export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup written by this code, not by a user or a model. */
export const raw = (text: string): Html => new Html(text);

/** The colour class of a signed figure: up, down, or none at zero (a flat account is neither). */
export const signClass = (x: number): string => (Math.abs(x) < 0.00005 ? '' : x > 0 ? 'up' : 'down');
