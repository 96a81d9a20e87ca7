import { keys } from '@ticketcd/keys';
import { terms, tokenize } from './tokenizer.js';

const EVENT = '01JDQ3Z6X8M2N4P6R8T0V2W4Y6';

describe('tokenizer', () => {
  it.each([
    ['lower-cases and splits on spaces and punctuation', 'Rock in the PARK!', ['rock', 'in', 'the', 'park']],
    ['folds accents', 'Concerto São João — Café', ['concerto', 'sao', 'joao', 'cafe']],
    ['splits hyphenated words', 'rock-n-roll', ['rock', 'n', 'roll']],
    ['drops apostrophes inside words', "Don't stop O'Neil’s show", ['dont', 'stop', 'oneils', 'show']],
    ['drops emoji', 'Party 🎉🎸 night', ['party', 'night']],
    ['keeps CJK runs as words', '東京 タワー concert', ['東京', 'タワー', 'concert']],
    ['keeps digits', 'Summer 2027, vol.2', ['summer', '2027', 'vol', '2']],
    ['normalises compatibility forms', 'ﬁnal Ⅻ', ['final', 'xii']],
    ['ignores separators only', ' -- ... !!! ', []],
  ])('%s', (_label, text, expected) => {
    expect(tokenize(text)).toEqual(expected);
  });

  it('cuts very long words to the key schema limit, so every term makes a valid key', () => {
    const long = 'a'.repeat(500);
    const [t] = tokenize(`${long} x`);
    expect(t).toHaveLength(64);
    expect(() => keys.search('text', t!, EVENT)).not.toThrow();
  });

  it('produces only terms the key schema accepts', () => {
    const text = "Über-Straße 😀 l'été ÆON №5 ½ ‐ ᵃbc Ǆ";
    for (const t of terms(text)) expect(() => keys.search('text', t, EVENT)).not.toThrow();
  });

  it('dedupes terms in first-seen order', () => {
    expect(terms('Rock rock ROCK roll')).toEqual(['rock', 'roll']);
  });
});
