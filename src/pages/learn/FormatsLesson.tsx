// Lesson 1: what a number format can represent. The number line, the bit fields and the rounding
// all come from the core's encode/decode; this file only lays them out.
import { useState } from 'react';
import { getScalarFormat, SCALAR_FORMATS, type ScalarFormat } from '../../core/formats';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { NumberField, Select } from '../../views/inputs';
import { exact, parseNumber, sig } from './fmt';
import { bitFields, neighbours } from './formatsModel';
import { NumberLine, RangeComparison, RoundingLine } from './formatsCharts';

const FORMAT_OPTIONS = SCALAR_FORMATS.map((f) => ({ value: f.id, label: f.name }));

/** A readable default window: the whole line for narrow formats, a window around 1 for wide ones. */
export function defaultRange(f: ScalarFormat): [number, number] {
  if (f.kind === 'e8m0') return [2 ** -4, 16];
  if (f.kind !== 'float' || f.bits <= 8) return [f.kind === 'int' && !f.signed ? 0 : -f.maxFinite, f.maxFinite];
  // 32 values either side of 1 (the spacing halves below 1: a binade boundary).
  const ulp = 2 ** -f.manBits;
  return [1 - 32 * (ulp / 2), 1 + 32 * ulp];
}

// Okabe–Ito (src/views/charts/palette) as literal Tailwind classes: Tailwind reads class names from the source.
const FIELD_COLOURS: Record<string, string> = {
  sign: 'bg-[#CC79A7] text-black',
  exponent: 'bg-[#56B4E9] text-black',
  mantissa: 'bg-[#E69F00] text-black',
  integer: 'bg-[#56B4E9] text-black',
  index: 'bg-[#E69F00] text-black',
};

export function FormatsLesson() {
  const [formatId, setFormatId] = useState('e4m3');
  const format = getScalarFormat(formatId);
  const [rangeText, setRangeText] = useState<[string, string]>(
    () => defaultRange(format).map(String) as [string, string],
  );
  const [valueText, setValueText] = useState('0.3');

  const chooseFormat = (id: string) => {
    setFormatId(id);
    setRangeText(defaultRange(getScalarFormat(id)).map(String) as [string, string]);
  };

  const loParsed = parseNumber(rangeText[0]);
  const hiParsed = parseNumber(rangeText[1]);
  const valueParsed = parseNumber(valueText);
  let rangeError: string | null = null;
  if ('error' in loParsed) rangeError = loParsed.error;
  else if ('error' in hiParsed) rangeError = hiParsed.error;
  else if (!(loParsed.value < hiParsed.value)) rangeError = 'The start of the range must be below its end.';
  const [lo, hi] =
    rangeError || 'error' in loParsed || 'error' in hiParsed ? defaultRange(format) : [loParsed.value, hiParsed.value];

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          A number format is a finite list of values. Floating-point formats spend some bits on an exponent (how far
          from 1) and the rest on a mantissa (how finely each power of two is divided), so their values crowd near zero
          and spread out far from it. Integer formats space their values evenly. Pick a format and a range to see every
          value it can hold there.
        </p>
      </Prose>
      <Controls>
        <Select
          label="Format"
          value={formatId}
          options={FORMAT_OPTIONS}
          onChange={chooseFormat}
          testId="format-select"
        />
        <NumberField
          label="Range from"
          text={rangeText[0]}
          onText={(t) => setRangeText([t, rangeText[1]])}
          error={rangeError && 'error' in loParsed ? rangeError : null}
          testId="range-lo"
        />
        <NumberField
          label="Range to"
          text={rangeText[1]}
          onText={(t) => setRangeText([rangeText[0], t])}
          error={rangeError && !('error' in loParsed) ? rangeError : null}
          testId="range-hi"
        />
        <NumberField
          label="Value to encode"
          text={valueText}
          onText={setValueText}
          error={'error' in valueParsed ? valueParsed.error : null}
          testId="value-input"
        />
      </Controls>
      <NumberLine format={format} lo={lo} hi={hi} x={'value' in valueParsed ? valueParsed.value : null} />
      {'value' in valueParsed && <Encoding format={format} x={valueParsed.value} />}
      <RangeComparison selected={formatId} />
    </div>
  );
}

function Encoding({ format, x }: { format: ScalarFormat; x: number }) {
  const code = format.encode(x);
  const rounded = format.round(x);
  const hasCode = Number.isFinite(code);
  const fields = hasCode ? bitFields(format, code) : null;
  const { below, above } = neighbours(format, x);
  const saturated = Number.isFinite(x) && Math.abs(x) > format.maxFinite && Math.abs(rounded) === format.maxFinite;
  const codeWidth = Math.ceil(format.bits / 4);
  const codeHex =
    hasCode && format.kind !== 'int' ? `0x${code.toString(16).toUpperCase().padStart(codeWidth, '0')}` : String(code);
  return (
    <Section title="Encoding the typed value">
      {fields ? (
        <div className="flex flex-col gap-2">
          <div className="flex items-center gap-3">
            <span className="text-sm">
              Code <Num testId="code">{codeHex}</Num>:
            </span>
            <div className="flex font-mono text-sm" data-testid="bit-fields" aria-label="Bit fields">
              {fields.fields.map((fld) => (
                <span
                  key={fld.name}
                  className={`flex flex-col items-center px-1 ${FIELD_COLOURS[fld.name]}`}
                  data-testid={`field-${fld.name}`}
                >
                  <span className="tracking-widest">{fld.bits}</span>
                  <span className="text-[10px]">{fld.name}</span>
                </span>
              ))}
            </div>
          </div>
          <p className="font-mono text-sm" data-testid="arithmetic">
            {fields.arithmetic}
          </p>
        </div>
      ) : (
        <p className="text-sm">
          {format.name} has no code for {exact(x)}.
        </p>
      )}
      <p className="text-sm">
        {exact(x)} rounds to <Num testId="rounded">{exact(rounded)}</Num>; the error is{' '}
        <Num testId="abs-error">{sig(rounded - x)}</Num>
        {x !== 0 && Number.isFinite(rounded) && (
          <>
            {' '}
            (<Num testId="rel-error">{sig(Math.abs((rounded - x) / x))}</Num> relative)
          </>
        )}
        .{saturated && ' The value is beyond the largest finite value, so it saturates.'}
      </p>
      <RoundingLine format={format} x={x} below={below} above={above} rounded={rounded} />
    </Section>
  );
}
