/** Hugging Face page links (…/blob/…) become download links (…/resolve/…). */
export function normaliseModelUrl(url: string): string {
  return url.trim().replace(/^(https:\/\/huggingface\.co\/.+?)\/blob\//, '$1/resolve/');
}
