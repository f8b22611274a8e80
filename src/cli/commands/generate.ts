// fgmp generate: text generation with llama2.c run.c semantics (-n counts positions including BOS, the
// prompt is echoed, output ends with a newline), through the ONNX forward graph.
import { modelArgument, tokenizerFor } from '../defaultModel.ts';
import { existsSync } from 'node:fs';
import { engineOption, engineOptions, engineUsage, numberOption, parse, UsageError, type Command } from '../args.ts';
import { loadModelFromArgs } from './info.ts';
import { LlamaEngine } from '../../core/runtime/engine.ts';
import { generate } from '../../core/eval/generate.ts';

const usage = `fgmp generate [MODEL] [--tokenizer TOK] (--prompt "..." | --bos) [-n 64] [--temperature 0] [--top-p 0.9] [--seed N] [--threads N] ${engineUsage} [--json]`;

const command: Command = {
  name: 'generate',
  summary: 'generate text (greedy or sampled, run.c semantics) through onnxruntime (native or wasm)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        tokenizer: { type: 'string' },
        prompt: { type: 'string' },
        bos: { type: 'boolean' },
        n: { type: 'string', short: 'n' },
        temperature: { type: 'string' },
        'top-p': { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
        ...engineOptions,
        json: { type: 'boolean' },
      },
      usage,
    );
    const modelArg = modelArgument(positionals, usage);
    if ((values.prompt !== undefined) === !!values.bos)
      throw new UsageError(`give exactly one of --prompt "..." and --bos\nusage: ${usage}`);
    if (values.tokenizer && !existsSync(values.tokenizer))
      throw new UsageError(`tokenizer not found: ${values.tokenizer}`);
    const steps = numberOption(values.n, 'n', 256);
    if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`-n must be a positive integer, got ${values.n}`);
    const temperature = numberOption(values.temperature, 'temperature', 0);
    if (temperature < 0) throw new UsageError(`--temperature must be >= 0, got ${temperature}`);
    const topp = numberOption(values['top-p'], 'top-p', 0.9);
    const seed = numberOption(values.seed, 'seed', 1);
    if (!Number.isInteger(seed) || seed < 1)
      throw new UsageError(`--seed must be a positive integer, got ${values.seed}`);
    const threads = numberOption(values.threads, 'threads', 1);
    const { model } = loadModelFromArgs(modelArg.modelPath, tokenizerFor(modelArg, values.tokenizer));
    const tok = model.tokenizer;
    if (!tok && (values.prompt !== undefined || !values.json))
      throw new UsageError(
        'this model has no tokenizer: pass --tokenizer TOK (e.g. tok512.bin); without one only --bos --json works',
      );
    const bosId = tok?.bosId ?? 1;
    const prompt = values.prompt !== undefined ? tok!.encode(values.prompt, { bos: true }) : [bosId];
    const engine = LlamaEngine.forModel(model, { threads, ...engineOption(values.engine) });
    let ids: number[];
    try {
      ids = await generate(engine, prompt, steps, { temperature, topp, seed, stopToken: bosId });
    } finally {
      await engine.dispose();
    }
    const text = tok ? tok.decode(ids) : undefined;
    if (values.json)
      io.stdout(JSON.stringify({ tokens: ids, text, promptTokens: prompt.length, temperature, seed }) + '\n');
    else io.stdout(`${text}\n`);
    return 0;
  },
};

export default command;
