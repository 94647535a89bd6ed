import { createRoot } from 'react-dom/client';
import { DemoBanner } from '../shared/demo-banner.tsx';
import { I18nProvider } from '../shared/i18n.tsx';
import { App } from './App.tsx';
import '../shared/base.css';
import './verify.css';

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <DemoBanner />
    <App />
  </I18nProvider>,
);

// Keeps the verifier working offline once it has loaded (web/public/verify/sw.js). The scope is
// '/verify' without the slash: a scope of '/verify/' does not control the page at /verify itself.
if ('serviceWorker' in navigator && location.protocol !== 'file:') {
  void navigator.serviceWorker.register('/verify/sw.js', { scope: '/verify' }).catch(() => undefined);
}
