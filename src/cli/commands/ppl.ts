// fgmp ppl: perplexity of a model on a text (sliding windows after BOS, the PROVENANCE.md method by
// default) or on a tokens file (one independent sequence per line), through the ONNX forward graph.
import { defaultModelFiles, modelArgument, tokenizerFor } from '../defaultModel.ts';
import { existsSync, readFileSync } from 'node:fs';
import { engineOption, engineOptions, engineUsage, numberOption, parse, UsageError, type Command } from '../args.ts';
import { loadModelFromArgs } from './info.ts';
import { LlamaEngine } from '../../core/runtime/engine.ts';
import { perplexity, sequencesPerplexity, type PerplexityResult } from '../../core/eval/perplexity.ts';

const usage = `fgmp ppl [MODEL] [--tokenizer TOK] (--text FILE [--max-tokens N] | --tokens FILE) [--window N] [--stride N] [--batch N] [--threads N] ${engineUsage} [--json]`;

function readTextFile(p: string, what: string): string {
  if (!existsSync(p)) throw new UsageError(`${what} not found: ${p}`);
  return readFileSync(p, 'utf8');
}

/** Parses a tokens file: one sequence per line, whitespace-separated non-negative integer ids. */
export function parseTokensFile(text: string, vocabSize: number): number[][] {
  const seqs: number[][] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const ids = line
      .trim()
      .split(/\s+/)
      .map((w) => {
        const id = Number(w);
        if (!/^\d+$/.test(w) || id >= vocabSize)
          throw new UsageError(
            `tokens file line ${i + 1}: "${w}" is not a token id below the vocabulary size ${vocabSize}`,
          );
        return id;
      });
    seqs.push(ids);
  });
  if (seqs.length === 0) throw new UsageError('the tokens file holds no token ids');
  return seqs;
}

const command: Command = {
  name: 'ppl',
  summary: 'perplexity on a text (sliding windows) or a tokens file, through onnxruntime (native or wasm)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        tokenizer: { type: 'string' },
        text: { type: 'string' },
        tokens: { type: 'string' },
        'max-tokens': { type: 'string' },
        window: { type: 'string' },
        stride: { type: 'string' },
        batch: { type: 'string' },
        threads: { type: 'string' },
        ...engineOptions,
        json: { type: 'boolean' },
      },
      usage,
    );
    const modelArg = modelArgument(positionals, usage);
    // The default model is scored on its own evaluation text unless told otherwise.
    if (modelArg.isDefault && !values.text && !values.tokens) values.text = defaultModelFiles.evaluationText;
    if (!!values.text === !!values.tokens)
      throw new UsageError(`give exactly one of --text FILE and --tokens FILE\nusage: ${usage}`);
    if (values.tokenizer && !existsSync(values.tokenizer))
      throw new UsageError(`tokenizer not found: ${values.tokenizer}`);
    const intOpt = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = numberOption(v, name);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${v}`);
      return n;
    };
    const threads = intOpt('threads', values.threads) ?? 1;
    const opts = {
      window: intOpt('window', values.window),
      stride: intOpt('stride', values.stride),
      batchSize: intOpt('batch', values.batch),
    };
    const { model } = loadModelFromArgs(modelArg.modelPath, tokenizerFor(modelArg, values.tokenizer));
    const runtime = { threads, ...engineOption(values.engine) };
    const engine = LlamaEngine.forModel(model, runtime);
    let result: PerplexityResult;
    let source: string;
    let sessionMs = 0;
    try {
      // The session is created before scoring starts, so tokensPerSecond times scoring alone.
      sessionMs = await engine.prepareForward(model.config.maxSeqLen);
      if (values.text) {
        const text = readTextFile(values.text, 'text file');
        if (text.length === 0) throw new UsageError(`the text file ${values.text} is empty`);
        if (!model.tokenizer)
          throw new UsageError('this model has no tokenizer: pass --tokenizer TOK (e.g. tok512.bin) or use --tokens');
        let ids = model.tokenizer.encode(text);
        const max = intOpt('max-tokens', values['max-tokens']);
        if (max !== undefined) ids = ids.slice(0, max);
        result = await perplexity(engine, ids, { ...opts, bos: model.tokenizer.bosId });
        source = `${values.text} (${ids.length} tokens, BOS + windows of ${opts.window ?? model.config.maxSeqLen - 1}, stride ${opts.stride ?? opts.window ?? model.config.maxSeqLen - 1})`;
      } else {
        if (values['max-tokens']) throw new UsageError('--max-tokens applies to --text only');
        const seqs = parseTokensFile(readTextFile(values.tokens!, 'tokens file'), model.config.vocabSize);
        result = await sequencesPerplexity(engine, seqs, opts);
        source = `${values.tokens} (${seqs.length} sequences)`;
      }
    } finally {
      await engine.dispose();
    }
    // Over scoring alone (result.seconds starts after the session exists; sessionMs is reported beside it).
    const tokensPerSecond = result.tokens / result.seconds;
    if (values.json) {
      io.stdout(
        JSON.stringify({
          tokens: result.tokens,
          meanNll: result.meanNll,
          ppl: result.ppl,
          windows: result.windows,
          seconds: result.seconds,
          tokensPerSecond,
          sessionMs,
          threads,
          engine: runtime.engine,
        }) + '\n',
      );
    } else {
      io.stdout(
        `${source}\npredictions scored: ${result.tokens}\nmean NLL: ${result.meanNll.toFixed(6)} nats/token\nperplexity: ${result.ppl.toFixed(6)}\n` +
          `${result.seconds.toFixed(2)} s scoring, ${tokensPerSecond.toFixed(0)} tokens/s (${runtime.engine}, ${threads} thread${threads > 1 ? 's' : ''}); session ${sessionMs.toFixed(0)} ms\n`,
      );
    }
    return 0;
  },
};

export default command;
