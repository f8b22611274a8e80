// Lesson 1: what a number format can represent. The number line, the bit fields and the rounding
// all come from the core's encode/decode; this file only lays them out.
import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
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
  const { t } = useTranslation('learn');
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
  const refusal = (p: ReturnType<typeof parseNumber>, text: string) =>
    'error' in p ? t(`number.${p.reason}`, { text }) : null;
  let rangeError: string | null = null;
  if ('error' in loParsed) rangeError = refusal(loParsed, rangeText[0]);
  else if ('error' in hiParsed) rangeError = refusal(hiParsed, rangeText[1]);
  else if (!(loParsed.value < hiParsed.value)) rangeError = t('formats.rangeOrder');
  const [lo, hi] =
    rangeError || 'error' in loParsed || 'error' in hiParsed ? defaultRange(format) : [loParsed.value, hiParsed.value];

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>{t('formats.intro')}</p>
      </Prose>
      <Controls>
        <Select
          label={t('formats.format')}
          value={formatId}
          options={FORMAT_OPTIONS}
          onChange={chooseFormat}
          testId="format-select"
        />
        <NumberField
          label={t('formats.rangeFrom')}
          text={rangeText[0]}
          onText={(t) => setRangeText([t, rangeText[1]])}
          error={rangeError && 'error' in loParsed ? rangeError : null}
          testId="range-lo"
        />
        <NumberField
          label={t('formats.rangeTo')}
          text={rangeText[1]}
          onText={(t) => setRangeText([rangeText[0], t])}
          error={rangeError && !('error' in loParsed) ? rangeError : null}
          testId="range-hi"
        />
        <NumberField
          label={t('formats.valueToEncode')}
          text={valueText}
          onText={setValueText}
          error={refusal(valueParsed, valueText)}
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
  const { t } = useTranslation('learn');
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
    <Section title={t('formats.encoding.title')}>
      {fields ? (
        <div className="flex flex-col gap-2">
          <div className="flex items-center gap-3">
            <span className="text-sm">
              <Trans
                t={t}
                i18nKey="formats.encoding.code"
                values={{ code: codeHex }}
                components={{ c: <Num testId="code" /> }}
              />
            </span>
            <div
              className="flex font-mono text-sm"
              data-testid="bit-fields"
              aria-label={t('formats.encoding.bitFields')}
            >
              {fields.fields.map((fld) => (
                <span
                  key={fld.name}
                  className={`flex flex-col items-center px-1 ${FIELD_COLOURS[fld.name]}`}
                  data-testid={`field-${fld.name}`}
                >
                  <span className="tracking-widest">{fld.bits}</span>
                  <span className="text-[10px]">{t(`formats.field.${fld.name}`)}</span>
                </span>
              ))}
            </div>
          </div>
          <p className="font-mono text-sm" data-testid="arithmetic">
            {fields.words ? t(`formats.arith.${fields.words}`, { math: fields.math }) : fields.math}
          </p>
        </div>
      ) : (
        <p className="text-sm">{t('formats.encoding.noCode', { format: format.name, x: exact(x) })}</p>
      )}
      <p className="text-sm">
        <Trans
          t={t}
          i18nKey={x !== 0 && Number.isFinite(rounded) ? 'formats.encoding.roundsRel' : 'formats.encoding.rounds'}
          values={{
            x: exact(x),
            rounded: exact(rounded),
            error: sig(rounded - x),
            rel: sig(Math.abs((rounded - x) / x)),
            saturates: saturated ? t('formats.encoding.saturates') : '',
          }}
          components={{
            r: <Num testId="rounded" />,
            e: <Num testId="abs-error" />,
            rel: <Num testId="rel-error" />,
          }}
        />
      </p>
      <RoundingLine format={format} x={x} below={below} above={above} rounded={rounded} />
    </Section>
  );
}
