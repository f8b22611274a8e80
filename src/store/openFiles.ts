// Files the user chose or dropped: each is recognised by its bytes (src/core/model/loaders/detect.ts),
// never by its name, routed to what it is (checkpoint and tokenizer, tokenizer alone, FGMP profile, texts)
// and the user is told what each became (fileReport, shown in the model panel).
import { DETECT_HEAD_BYTES, detectFile, type FileKind } from '../core/model/loaders/detect';
import { advance } from './controller';
import { patch, useExplorer } from './explorerStore';
import { countUserLoad, loadFiles, loadTokenizer, openText } from './open';
import { openProfileFile } from './profile';
import type { FileReportLine } from './slices';
import { evaluationSeed, textWaits } from './dataFree';
import { i18n } from '../i18n';

// The report's words come from the catalog (files:report); reasons from the detector and loaders are the
// core's, shared with the CLI, and stay English.
const phrase = (key: string, values: Record<string, unknown> = {}): string => i18n.t(`files:report.${key}`, values);

/** The report's line for a checkpoint without a usable tokenizer: what it is calibrated and evaluated on. */
function dataFreeLine(): string {
  const st = useExplorer.getState();
  const c = st.settings.calibration;
  const seed = c.kind === 'samples' ? c.seed : null;
  const evalSeed = evaluationSeed(st);
  const n = (x: number) => x.toLocaleString('en-US');
  const tokens = n(st.settings.calibrationTokens);
  return evalSeed === null
    ? phrase('dataFree', { tokens, seed })
    : phrase('dataFreeEval', { tokens, seed, evalTokens: n(st.settings.evaluationTokens), evalSeed });
}

/** Model panel: files from the picker or a drop, each recognised by its bytes (detect.ts), never its name. */
export async function openFiles(files: File[]): Promise<void> {
  countUserLoad();
  const seen = await Promise.all(
    files.map(async (file) => {
      const head = new Uint8Array(await file.slice(0, DETECT_HEAD_BYTES).arrayBuffer());
      return { file, d: detectFile(head, file.size) };
    }),
  );
  const of = (k: FileKind) => seen.filter((x) => x.d.kind === k);
  const report: FileReportLine[] = of('unknown').map(({ file, d }) => ({
    name: file.name,
    ok: false,
    became: phrase('notOpened', { reason: d.reason }),
  }));
  const say = () => useExplorer.setState({ fileReport: [...report] });
  say();
  if (report.length === files.length) {
    // Nothing in the choice is usable: say so where the model panel shows errors (the open model stays).
    const first = of('unknown')[0];
    patch('model', {
      error: phrase('notUsable', { name: first.file.name, reason: first.d.reason }),
    });
    return;
  }
  // Something here is usable: messages of an earlier choice go (this one's own failures say so again).
  patch('model', { error: null });
  patch('texts', { error: null });
  const models = of('checkpoint');
  const tokenizers = of('tokenizer');
  if (models.length) {
    await loadFiles([...models, ...tokenizers].map((x) => x.file));
    let st = useExplorer.getState();
    let ok = st.model.status === 'done' && !st.model.error;
    // A tokenizer that does not fit fails the whole load: the checkpoint alone then (calibrated data-free).
    let tokError: string | null = null;
    if (!ok && tokenizers.length) {
      tokError = st.model.error;
      await loadFiles(models.map((x) => x.file));
      st = useExplorer.getState();
      ok = st.model.status === 'done' && !st.model.error;
      if (!ok) tokError = null;
    }
    for (const { file, d } of models)
      report.push({
        name: file.name,
        ok,
        became: ok ? phrase('model', { reason: d.reason }) : phrase('notLoaded', { error: st.model.error ?? d.reason }),
      });
    for (const { file } of tokenizers)
      report.push(
        tokError
          ? { name: file.name, ok: false, became: phrase('tokenizerMisfit', { error: tokError }) }
          : { name: file.name, ok, became: phrase(ok ? 'itsTokenizer' : 'tokenizerUnused') },
      );
    if (ok && !st.model.summary?.tokenizer)
      report.push({ name: models[0].file.name, ok: true, became: dataFreeLine() });
  } else if (tokenizers.length) {
    const { file } = tokenizers[0];
    if (!useExplorer.getState().model.summary)
      report.push({
        name: file.name,
        ok: false,
        became: phrase('tokenizerNoModel'),
      });
    else {
      const i = report.push({
        name: file.name,
        ok: true,
        became: phrase('attaching', { name: useExplorer.getState().model.summary?.name }),
      });
      say();
      await loadTokenizer(file);
      report.splice(i - 1, 1);
      const st = useExplorer.getState();
      const err = st.model.error;
      const name = st.model.summary?.name;
      const vocab = st.model.summary?.config.vocabSize;
      report.push(
        err?.startsWith(`Tokenizer ${file.name}`)
          ? {
              name: file.name,
              ok: false,
              became: phrase('notAttached', {
                name,
                vocab: vocab?.toLocaleString('en-US'),
                error: err.slice(`Tokenizer ${file.name}: `.length),
              }),
            }
          : {
              name: file.name,
              ok: true,
              became: phrase(st.settings.calibration.kind === 'samples' ? 'tokenizerOfSamples' : 'tokenizerOf', {
                name,
              }),
            },
      );
    }
    for (const { file } of tokenizers.slice(1))
      report.push({ name: file.name, ok: false, became: phrase('oneTokenizer') });
  }
  say();
  for (const { file } of of('profile')) {
    // Known to be a profile by its bytes: the profile store opens it (profile.ts).
    const ok = await openProfileFile(file);
    report.push({
      name: file.name,
      ok,
      became: phrase(ok ? 'profile' : 'profileFailed'),
    });
  }
  // Texts: the first becomes the calibration text, a second the evaluation text; the report says which.
  const roles = ['calibration', 'evaluation'] as const;
  for (const [i, { file }] of of('text').entries()) {
    const role = roles[i];
    if (!role) {
      report.push({ name: file.name, ok: false, became: phrase('twoTexts') });
      continue;
    }
    const waits = textWaits(useExplorer.getState());
    await openText(role, file);
    const t = useExplorer.getState().texts[role];
    report.push(
      t?.name === file.name
        ? {
            name: file.name,
            ok: true,
            became: phrase(`${waits ? 'textWaits' : 'text'}.${role}`, {
              characters: t.characters.toLocaleString('en-US'),
            }),
          }
        : {
            name: file.name,
            ok: false,
            became: phrase(`textRefused.${role}`, { error: useExplorer.getState().texts.error ?? phrase('refused') }),
          },
    );
  }
  say();
  advance();
}
