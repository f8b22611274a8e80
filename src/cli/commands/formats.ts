// fgmp formats: the table of number formats (DESIGN.md §2) with their metadata, or --json.
import { parse, table, type Command } from '../args.ts';
import { SCALAR_FORMATS, SCHEMES } from '../../core/formats/index.ts';

const usage = 'fgmp formats [--json]';

const num = (x: number) => (String(x).length <= 12 ? String(x) : x.toPrecision(6));

const command: Command = {
  name: 'formats',
  summary: 'list the number formats (bits, bias, range, inf/NaN) and block formats',
  usage,
  async run(argv, io) {
    const { values } = parse(argv, { json: { type: 'boolean' } }, usage);
    const scalar = SCALAR_FORMATS.map((f) => ({
      id: f.id,
      name: f.name,
      bits: f.bits,
      expBits: f.expBits,
      manBits: f.manBits,
      bias: f.bias,
      maxFinite: f.maxFinite,
      minNormal: f.minNormal,
      minSubnormal: f.minSubnormal,
      hasSubnormals: f.hasSubnormals,
      hasInf: f.hasInf,
      hasNaN: f.hasNaN,
    }));
    const blocks = SCHEMES.filter((s) => s.kind === 'nvfp4' || s.kind === 'mx').map((s) => ({
      id: s.id,
      block: s.defaultBlock,
      description: s.description,
    }));
    if (values.json) {
      io.stdout(JSON.stringify({ formats: scalar, blockFormats: blocks }, null, 2) + '\n');
      return 0;
    }
    io.stdout(
      table(
        ['id', 'bits', 'E', 'M', 'bias', 'max', 'min normal', 'min subnormal', 'inf', 'NaN', 'name'],
        scalar.map((f) => [
          f.id,
          f.bits,
          f.expBits,
          f.manBits,
          f.bias,
          num(f.maxFinite),
          num(f.minNormal),
          f.hasSubnormals ? num(f.minSubnormal) : '-',
          f.hasInf ? 'yes' : 'no',
          f.hasNaN ? 'yes' : 'no',
          f.name,
        ]),
      ),
    );
    io.stdout(
      '\n' +
        table(
          ['block format', 'block', 'layout'],
          blocks.map((b) => [b.id, b.block ?? '', b.description]),
        ),
    );
    return 0;
  },
};

export default command;
