import { randomUUID } from 'node:crypto';

/** Seeded PRNG (mulberry32): same seed, same fault decisions. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHANUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Identifiers (resource ids, endpoint hashes) are random but not part of fault reproducibility. */
export function randomToken(length: number, alphabet = ALPHANUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

export const uuid = (): string => randomUUID();
