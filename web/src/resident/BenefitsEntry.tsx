import { Badge } from 'antd-mobile';
import { useEffect, useState } from 'react';
import { useI18n } from '../shared/i18n.tsx';
import { navigate } from '../shared/router.tsx';
import { api } from './context.ts';

/** The home page's way to 我的待遇, with the number of offers waiting for the resident's confirmation. */
export function BenefitsEntry() {
  const { t } = useI18n();
  const [waiting, setWaiting] = useState(0);
  useEffect(() => {
    let live = true;
    // The badge is a hint: the page itself says what failed, so a failure here shows no badge.
    api.myBenefits().then(
      (items) => live && setWaiting(items.filter((g) => g.actions.confirm).length),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <button type="button" className="rs-event rs-benefits-entry" onClick={() => navigate('/benefits')} data-testid="benefits-entry">
      <span className="rs-event-title">
        {t('我的待遇', 'My benefits')}
        {waiting > 0 && (
          <>
            <span className="rs-inline-tag" data-testid="benefits-waiting" aria-hidden="true">
              <Badge content={waiting} />
            </span>
            <span className="yb-sr-only">{t(`（${waiting} 项待确认）`, ` (${waiting} waiting for you)`)}</span>
          </>
        )}
      </span>
      <span className="rs-event-sub">
        {t('免申即享：符合条件的补贴自动核定发放', 'No application: the benefits you qualify for, granted and paid')}
      </span>
    </button>
  );
}
