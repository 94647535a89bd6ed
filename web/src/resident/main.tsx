import { unstableSetRender } from 'antd-mobile';
import { createRoot } from 'react-dom/client';
import { DemoBanner } from '../shared/demo-banner.tsx';
import { I18nProvider } from '../shared/i18n.tsx';
import { App } from './App.tsx';
import '../shared/base.css';
import './resident.css';

// antd-mobile's Toast and Dialog render outside the tree; React 19 needs createRoot for that.
unstableSetRender((node, container) => {
  const root = createRoot(container);
  root.render(node);
  return async () => {
    await Promise.resolve();
    root.unmount();
  };
});

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <DemoBanner />
    <App />
  </I18nProvider>,
);
