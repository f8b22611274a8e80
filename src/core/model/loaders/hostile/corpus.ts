// A table of broken checkpoint and tokenizer files, generated on demand (never committed), each with
// the exact message the loaders must give (in the spirit of Netron's test/models.json). A case
// either fails with `error` or loads with `warning` among the report's warnings. Expected byte
// counts and offsets are the corpus' own arithmetic on the files it writes.

import { ggufCases } from './ggufCases';
import { llama2cCases, tokenizerBinCases } from './llama2cCases';
import { safetensorsCases } from './safetensorsCases';
import type { HostileCase } from './cases';

export { HOSTILE_CONFIG, type HostileCase, type HostileFile, type HostileFormat, type HostileKind } from './cases';

/** Every case, generated now (a few MB in all). */
export function hostileCorpus(): HostileCase[] {
  return [...llama2cCases(), ...ggufCases(), ...safetensorsCases(), ...tokenizerBinCases()];
}
