/**
 * The one tokenizer of the search index: documents and queries both go through it, so a word
 * typed in a query finds the word as indexed. Unicode-normalised (NFKD), lower-cased, accents
 * folded, apostrophes dropped inside words ("o'neil" -> "oneil"), split on anything that is not
 * a letter or a digit (hyphens, punctuation, emoji, spaces), words cut to the key schema's
 * maximum term length.
 */
import { MAX_TERM_LENGTH } from '@ticketcd/keys';

const COMBINING_MARKS = /\p{M}+/gu;
const APOSTROPHES = /['\u2019\u02bc]/g;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .split(SEPARATORS)
    .filter((w) => w.length > 0)
    .map((w) => [...w].slice(0, MAX_TERM_LENGTH).join(''));
}

/** The distinct terms of a text, in first-seen order. */
export function terms(text: string): string[] {
  return [...new Set(tokenize(text))];
}
