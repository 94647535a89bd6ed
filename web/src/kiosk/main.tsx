import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../shared/i18n.tsx';
import '../shared/base.css';

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <h1>kiosk</h1>
  </I18nProvider>,
);
