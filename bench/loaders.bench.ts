// Checkpoint loading and tokenizer throughput. Loads a randomly initialised model of the stories15M
// shape (about 60 MB in fp32) from in-memory files of every format; the ceiling is a plain copy of
// the same bytes (what "reading it once more" would cost). Tokenizers encode the real texts.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ggufLlamaMetadata,
  ggufTensors,
  hfFiles,
  writeGguf,
  writeLlama2cVersioned,
} from '../src/core/model/loaders/fixtures';
import { loadCheckpoint, type InputFile } from '../src/core/model/loaders/index';
import { randomModel, STORIES15M_SHAPE } from '../src/core/model/types';
import { writeLlama2c } from '../src/core/model/writers/llama2c';
import { parseLlama2cTokenizer } from '../src/core/tokenizer/llama2c';
import { hasSharedData, readShared, readSharedText } from '../tests/support/sharedData';
import { median, printTable, timeRuns } from './util';

export default async function bench(): Promise<void> {
  const model = randomModel(STORIES15M_SHAPE, 1);
  const cases: [string, InputFile[]][] = [
    ['llama2.c v0 (fp32)', [{ name: 'm.bin', bytes: writeLlama2c(model) }]],
    ['llama2.c v2 (Q8_0, group 64)', [{ name: 'm.bin', bytes: writeLlama2cVersioned(model, 2, 64) }]],
    ['GGUF F32', [{ name: 'm.gguf', bytes: writeGguf(ggufLlamaMetadata(model), ggufTensors(model, 0)) }]],
    ['GGUF F16', [{ name: 'm.gguf', bytes: writeGguf(ggufLlamaMetadata(model), ggufTensors(model, 1)) }]],
    ['GGUF Q8_0', [{ name: 'm.gguf', bytes: writeGguf(ggufLlamaMetadata(model), ggufTensors(model, 8)) }]],
    ['safetensors F32 (q/k unpermuted)', hfFiles(model, 'F32')],
    ['safetensors BF16', hfFiles(model, 'BF16')],
  ];
  const rows: (string | number)[][] = [];
  // Ceiling: one copy of the float32 weights (what any loader must at least produce, or read once).
  const fp32 = cases[0][1][0].bytes;
  const copy = median(await timeRuns(() => fp32.slice(), 5));
  for (const [label, files] of cases) {
    const bytes = files.reduce((a, f) => a + f.bytes.byteLength, 0);
    const load = median(await timeRuns(() => loadCheckpoint(files), 5));
    rows.push([label, (bytes / 1e6).toFixed(1), load, bytes / 1e6 / (load / 1000), copy, load / copy]);
  }
  // The CLI path: read from disk then load.
  const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-bench-'));
  const file = path.join(dir, 'm.bin');
  writeFileSync(file, cases[0][1][0].bytes);
  const disk = median(
    await timeRuns(() => {
      const b = readFileSync(file);
      return loadCheckpoint([{ name: 'm.bin', bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) }]);
    }, 5),
  );
  const diskRead = median(await timeRuns(() => readFileSync(file), 5));
  rmSync(dir, { recursive: true });
  rows.push([
    'llama2.c v0 from disk (readFileSync + load)',
    (cases[0][1][0].bytes.byteLength / 1e6).toFixed(1),
    disk,
    cases[0][1][0].bytes.byteLength / 1e6 / (disk / 1000),
    diskRead,
    disk / diskRead,
  ]);
  console.log(
    `stories15M shape (${STORIES15M_SHAPE.dim} dim, ${STORIES15M_SHAPE.nLayers} layers, vocab ${STORIES15M_SHAPE.vocabSize}), random weights; ceiling = one copy of the 60.8 MB of float32 weights (disk row: readFileSync alone); F32 loads are zero-copy views plus a NaN count`,
  );
  printTable(['format', 'MB', 'load ms (median of 5)', 'MB/s', 'ceiling ms', 'load / ceiling'], rows);

  if (!hasSharedData) {
    console.log('\ntokenizer rows skipped: ../shared/data not found');
    return;
  }
  const tok512 = parseLlama2cTokenizer(readShared('models/tok512.bin'), 512);
  const llama = parseLlama2cTokenizer(readShared('models/tokenizer.bin'), 32000);
  const stories = readSharedText('text/tinystories_valid_head.txt');
  const wiki = readSharedText('text/wikitext-2-raw-v1_test.txt').replace(/\r\n/g, '\n');
  const trows: (string | number)[][] = [];
  for (const [label, tok, text] of [
    ['tok512, TinyStories valid head', tok512, stories],
    ['tokenizer.bin (32k), WikiText-2 test', llama, wiki],
  ] as const) {
    const bytes = new TextEncoder().encode(text).length;
    let n = 0;
    const enc = median(await timeRuns(() => (n = tok.encodeToArray(text).length), 3));
    const ids = Array.from(tok.encodeToArray(text));
    const dec = median(await timeRuns(() => tok.decode(ids), 3));
    trows.push([label, (bytes / 1e6).toFixed(2), n, enc, bytes / 1e6 / (enc / 1000), n / (enc / 1000) / 1e6, dec]);
  }
  console.log('\nllama2.c tokenizer (run.c-exact BPE, heap merge)');
  printTable(['tokenizer, text', 'MB', 'tokens', 'encode ms', 'MB/s', 'Mtokens/s', 'decode ms'], trows);
}
