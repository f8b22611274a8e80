// Small helpers shared by CLI commands: option parsing with clear errors, and output.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { EngineKind } from '../core/runtime/ort.ts';
import type { NativeProvider } from '../core/runtime/native.ts';

export class UsageError extends Error {}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whole standard input as bytes (read lazily; empty when stdin is a TTY). */
  readStdin: () => Promise<Uint8Array>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIO): Promise<number | void>;
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nusage: ${usage}`);
  }
}

/** Parses a number option, rejecting junk instead of silently producing NaN. */
export function numberOption(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

/** Formats rows as an aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** --engine: which onnxruntime runs the graphs, shared by every model command (default native in Node). */
export const engineOptions = { engine: { type: 'string' } } as const;
export const engineUsage = '[--engine native|wasm]';

/**
 * Reads --engine into RuntimeOptions fields: native (onnxruntime-node, default), wasm (onnxruntime-web, what
 * the browser runs), or native:cuda (onnxruntime-node's CUDA provider first, where the install has it).
 */
export function engineOption(v: string | undefined): { engine: EngineKind; nativeProviders?: NativeProvider[] } {
  if (v === undefined || v === 'native') return { engine: 'native' };
  if (v === 'wasm') return { engine: 'wasm' };
  if (v === 'native:cuda') return { engine: 'native', nativeProviders: ['cuda'] };
  throw new UsageError(`--engine must be native, wasm or native:cuda, got "${v}"`);
}
