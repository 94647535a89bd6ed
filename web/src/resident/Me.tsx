import { Button, List, Toast } from 'antd-mobile';
import { useEffect, useState } from 'react';
import type { Delegation, Me as MeDto } from '../shared/api.ts';
import { LangSwitch, useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDate, session } from './context.ts';

export function Me() {
  const { t, lang } = useI18n();
  const [me, setMe] = useState<MeDto | null>(null);
  const [delegations, setDelegations] = useState<Delegation[]>([]);
  useEffect(() => {
    api.me().then(setMe, (e: unknown) => Toast.show({ icon: 'fail', content: errorText(e) }));
    api.delegations().then((d) => setDelegations(d.items), () => undefined);
  }, []);
  const logout = async () => {
    await api.logout().catch(() => undefined);
    session.clear();
    navigate('/login', { replace: true });
  };
  return (
    <div className="rs-page">
      {me?.kind === 'resident' && (
        <List header={t('我的信息', 'My details')}>
          <List.Item extra={me.name}>{t('姓名', 'Name')}</List.Item>
          <List.Item extra={me.residentIdMasked}>{t('身份证号', 'ID number')}</List.Item>
          <List.Item extra={me.phoneMasked}>{t('手机号', 'Phone')}</List.Item>
          <List.Item extra={me.homeOrg?.name ?? t('未设置', 'Not set')}>{t('居住地', 'Home village')}</List.Item>
        </List>
      )}
      {me?.kind === 'resident' && (
        <List header={t('数据与隐私', 'Data and privacy')}>
          <List.Item arrowIcon onClick={() => navigate('/data-use')} description={t('每次数据使用：谁、何时、哪些字段、用于哪个办件', 'Every use: who, when, which fields, for which case')}>
            {t('谁用了我的数据', 'Who used my data')}
          </List.Item>
          <List.Item arrowIcon onClick={() => navigate('/bundles')}>
            {t('我的一件事', 'My life events')}
          </List.Item>
        </List>
      )}
      <List header={t('帮办代办授权', 'Helper authorisations')}>
        {delegations.length === 0 && <List.Item>{t('暂无授权', 'None')}</List.Item>}
        {delegations.map((d) => (
          <List.Item key={d.id} description={t(`有效期至 ${formatDate(d.validUntil, lang)}`, `Until ${formatDate(d.validUntil, lang)}`)} extra={d.status}>
            {d.helper.name}
          </List.Item>
        ))}
      </List>
      <List header={t('设置', 'Settings')}>
        <List.Item extra={<LangSwitch className="rs-lang-inline" />}>{t('语言 Language', 'Language 语言')}</List.Item>
      </List>
      <div style={{ padding: 16 }}>
        <Button block size="large" color="danger" fill="outline" onClick={() => void logout()}>
          {t('退出登录', 'Log out')}
        </Button>
      </div>
    </div>
  );
}
