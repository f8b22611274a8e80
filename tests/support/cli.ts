// Runs the fgmp CLI in-process with captured output (and optional standard input), for CLI tests.
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: string[], stdin: string | Uint8Array = ''): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readStdin: async () => (typeof stdin === 'string' ? new TextEncoder().encode(stdin) : stdin),
  });
  return { code, out, err };
}
