// Catalog strings drawn many times per frame (a heatmap's cell names, an energy chart's bar titles): the current
// language's raw string filled by plain {{name}} replacement, with no i18next lookup per call (each costs
// key parsing and an interpolation regex; a slider frame makes hundreds). For plain placeholders only (no
// plurals, nesting or formats); English where the language lacks the key, as i18next's fallback does.
import { i18n } from '../i18n';

type Values = Record<string, string | number>;

export function catalogTemplate(namespace: string, prefix: string): (key: string, values?: Values) => string {
  const raw = new Map<string, string>();
  return (key, values = {}) => {
    const lng = i18n.language;
    const id = `${lng}\u0000${key}`;
    let s = raw.get(id);
    if (s === undefined) {
      const path = `${prefix}.${key}`;
      const found = i18n.getResource(lng, namespace, path) ?? i18n.getResource('en', namespace, path);
      s = typeof found === 'string' ? found : i18n.t(`${namespace}:${path}`);
      raw.set(id, s);
    }
    if (!s.includes('{{')) return s;
    return s.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
  };
}
