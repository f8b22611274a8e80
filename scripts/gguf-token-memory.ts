// Peak memory of loading a GGUF whose tokenizer.ggml.tokens holds a million empty strings (issue 13:
// 405 MiB over baseline for a 12 MB file). Each load runs in a fresh process: baseline RSS after a
// forced GC with the file already read, then the peak RSS (getrusage maxrss) after loadGguf.
//
//   npx tsx scripts/gguf-token-memory.ts [--src DIR] [--runs N]
//     --src DIR: load with DIR/src/core/model/loaders/gguf.ts (e.g. an older tree from `git archive`)
//
// Two files: the model's embedding as small as the loader allows (4 tokens: the vocabulary is
// larger than the model) and a model whose embedding has all 1,048,576 tokens (the whole
// vocabulary must be built).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ggufLlamaMetadata, ggufTensors, writeGguf } from '../src/core/model/loaders/fixtures.ts';
import { randomModel, type LlamaConfig } from '../src/core/model/types.ts';

const N_TOKENS = 1 << 20;
const MiB = 1024 * 1024;

function writeCase(dir: string, name: string, modelVocab: number): string {
  const c: LlamaConfig = {
    dim: 2,
    hiddenDim: 2,
    nLayers: 1,
    nHeads: 1,
    nKvHeads: 1,
    vocabSize: modelVocab,
    maxSeqLen: 8,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: true,
  };
  const m = randomModel(c, 1);
  const kvs = ggufLlamaMetadata(m).filter((kv) => kv.key !== 'llama.vocab_size');
  kvs.push(
    { key: 'tokenizer.ggml.model', type: 'string', value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: 'array-string', value: new Array<string>(N_TOKENS).fill('') },
    { key: 'tokenizer.ggml.scores', type: 'array-f32', value: new Array<number>(N_TOKENS).fill(0) },
  );
  const file = path.join(dir, name);
  writeFileSync(file, writeGguf(kvs, ggufTensors(m, 1)));
  return file;
}

/** Child: one load, prints JSON {baseline, peak, seconds, warnings}. */
async function measure(file: string, src: string): Promise<void> {
  const { loadGguf } = (await import(pathToFileURL(path.join(src, 'src/core/model/loaders/gguf.ts')).href)) as {
    loadGguf: (b: Uint8Array, n: string) => { report: { warnings: string[] }; model: { tokenizer?: unknown } };
  };
  const b = readFileSync(file);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  const loaded = loadGguf(bytes, path.basename(file));
  const seconds = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    JSON.stringify({ baseline, peak, seconds, tokenizer: !!loaded.model.tokenizer, warnings: loaded.report.warnings }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return measure(args[1], args[2]);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const src = args.includes('--src') ? path.resolve(args[args.indexOf('--src') + 1]) : root;
  const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
  const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-gguf-mem-'));
  const cases = [writeCase(dir, 'tokens1M-model4.gguf', 4), writeCase(dir, 'tokens1M-model1M.gguf', N_TOKENS)];
  console.log(`loader: ${src}; ${runs} runs each, medians`);
  console.log('file                     size MiB  peak over baseline MiB  ratio  seconds  tokenizer  warnings');
  for (const file of cases) {
    const rs: { baseline: number; peak: number; seconds: number; tokenizer: boolean; warnings: string[] }[] = [];
    for (let r = 0; r < runs; r++) {
      const out = execFileSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file, src],
        { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 },
      );
      rs.push(JSON.parse(out));
    }
    const size = statSync(file).size / MiB;
    const over = median(rs.map((r) => (r.peak - r.baseline) / MiB));
    console.log(
      `${path.basename(file).padEnd(24)} ${size.toFixed(1).padStart(8)}  ${over.toFixed(1).padStart(22)}  ${(over / size).toFixed(1).padStart(5)}  ${median(
        rs.map((r) => r.seconds),
      )
        .toFixed(3)
        .padStart(7)}  ${String(rs[0].tokenizer).padStart(9)}  ${rs[0].warnings.join('; ').slice(0, 120)}`,
    );
  }
}

await main();
