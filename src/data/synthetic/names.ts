import type { Rng } from '../../util/rng.ts';

// Latin-like names from syllables; deterministic in the Rng. Uniqueness is enforced by the caller's `taken` set.
const ONSETS = [
  'b',
  'c',
  'd',
  'f',
  'g',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'th',
  'ch',
  'ph',
  'cr',
  'tr',
  'pl',
  'st',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ae', 'io', 'ea'];
const CODAS = ['', '', 'l', 'n', 'r', 's', 'x', 'nt', 'rc'];

function stem(rng: Rng, syllables: number): string {
  let s = '';
  for (let i = 0; i < syllables; i++) {
    s += ONSETS[rng.int(ONSETS.length)] + VOWELS[rng.int(VOWELS.length)];
    if (i === syllables - 1 || rng.bernoulli(0.3)) s += CODAS[rng.int(CODAS.length)];
  }
  return s;
}

function unique(taken: Set<string>, make: () => string): string {
  for (;;) {
    const n = make();
    if (!taken.has(n)) {
      taken.add(n);
      return n;
    }
  }
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

/** Latin-like names per rank: `Velloria` (kingdom), `Tragiformes` (order), `Phaelus` (genus), `crantensis` (epithet). */
export function latinName(
  rng: Rng,
  rank: 'kingdom' | 'order' | 'genus' | 'species',
  taken: Set<string>,
): string {
  return unique(taken, () => {
    switch (rank) {
      case 'kingdom':
        return cap(stem(rng, 2)) + ['ia', 'ae', 'ota'][rng.int(3)];
      case 'order':
        return cap(stem(rng, 2)) + 'iformes';
      case 'genus':
        return cap(stem(rng, 1 + rng.int(2))) + ['us', 'a', 'um', 'is', 'ops'][rng.int(5)];
      default:
        return stem(rng, 1 + rng.int(2)) + ['ensis', 'i', 'us', 'a', 'alis', 'oides', 'ata'][rng.int(7)];
    }
  });
}

// Common names: "<modifier> <genus noun>", nouns unique per genus, modifiers unique within a genus.
const NOUNS = [
  'glimmer',
  'tumbler',
  'fanwing',
  'burrowback',
  'spinelet',
  'dartfin',
  'mossling',
  'quillhop',
  'lanternbug',
  'ridgeback',
  'puffcap',
  'whistler',
  'sprigtail',
  'crestling',
  'driftmoth',
  'pebblejaw',
  'reedrunner',
  'thornlet',
  'bellowfrog',
  'sunskipper',
  'dustwing',
  'coralhopper',
  'brambler',
  'flickertail',
];
const MODIFIERS = [
  'lesser',
  'greater',
  'pale',
  'dusky',
  'golden',
  'banded',
  'speckled',
  'crested',
  'northern',
  'southern',
  'ashy',
  'ruddy',
  'spotted',
  'slender',
  'stout',
  'marsh',
  'hill',
  'little',
  'giant',
  'frosted',
];

export function commonNoun(rng: Rng, taken: Set<string>): string {
  return unique(taken, () => {
    const n = NOUNS[rng.int(NOUNS.length)];
    return taken.size >= NOUNS.length ? `${n}-${stem(rng, 1)}` : n;
  });
}

export function commonModifier(rng: Rng, taken: Set<string>): string {
  return unique(taken, () => MODIFIERS[rng.int(MODIFIERS.length)]);
}
