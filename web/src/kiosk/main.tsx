import { createRoot } from 'react-dom/client';
import { DemoBanner } from '../shared/demo-banner.tsx';
import { I18nProvider } from '../shared/i18n.tsx';
import { KioskApp } from './App.tsx';
import '../shared/base.css';
import './kiosk.css';

createRoot(document.getElementById('root')!).render(
  <I18nProvider remember={false}>
    <DemoBanner />
    <KioskApp />
  </I18nProvider>,
);
