import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { createRoot } from 'react-dom/client';
import { DemoBanner } from '../shared/demo-banner.tsx';
import { I18nProvider, useI18n } from '../shared/i18n.tsx';
import { ConsoleApp } from './App.tsx';
import '../shared/base.css';
import './console.css';

function Root() {
  const { lang } = useI18n();
  return (
    <ConfigProvider
      locale={lang === 'zh' ? zhCN : enUS}
      theme={{ token: { colorPrimary: '#0958d9', colorLink: '#0958d9', borderRadius: 6, fontSize: 14 } }}
    >
      <AntApp>
        <ConsoleApp />
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <I18nProvider>
    <DemoBanner />
    <Root />
  </I18nProvider>,
);
