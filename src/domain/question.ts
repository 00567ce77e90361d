/**
 * The desk's question (`/council run [question]`, `council run --query`): free text from whoever may run
 * the council, so it is data, never instructions. It is cleaned once, where a run is requested, and the
 * cleaned text is what the run records, what every prompt quotes (fenced) and what every channel shows.
 */

/** The longest question kept, in characters (code points); a longer one is cut and marked with "…". */
export const QUESTION_MAX = 500;

/**
 * One line of plain text: control characters (newlines included), format characters (zero-width,
 * bidirectional overrides) and line separators become spaces or vanish, whitespace is collapsed, the
 * text is capped at QUESTION_MAX characters and the fence's own marker cannot appear in it. Empty
 * after cleaning is no question at all. Cleaning a cleaned question changes nothing.
 */
export function cleanQuestion(text: string | null | undefined): string | undefined {
  if (text === undefined || text === null) return undefined;
  const oneLine = text
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\p{Cf}/gu, '')
    .replace(/desk_question/gi, 'desk question')
    .replace(/\s+/g, ' ')
    .trim();
  if (!oneLine) return undefined;
  const chars = Array.from(oneLine);
  return chars.length <= QUESTION_MAX
    ? oneLine
    : `${chars
        .slice(0, QUESTION_MAX - 1)
        .join('')
        .trimEnd()}…`;
}
