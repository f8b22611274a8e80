import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import './i18n';
import { App } from './App';
import { registerServiceWorker } from './sw/register';
import { startLanguage } from './store/language';
import { startTheme } from './store/theme';

// The theme and the language before the first paint, on every route (a lesson link opened directly included).
startTheme();
startLanguage();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
// Offline use, installation, and cross-origin isolation on hosts without COOP/COEP headers.
registerServiceWorker();

declare global {
  interface Window {
    /** Test hook (e2e/webgpu.spec.ts): the execution-provider probe, loaded on demand in its own chunk. */
    __fgmpRuntimeProbe?: () => Promise<typeof import('./core/runtime/epProbe.ts')>;
  }
}
window.__fgmpRuntimeProbe = () => import('./core/runtime/epProbe.ts');
