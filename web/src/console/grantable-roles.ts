import { App as AntApp } from 'antd';
import { useEffect, useState } from 'react';
import type { StaffRole } from '../shared/api.ts';
import { api, errorText } from './context.ts';

/**
 * The roles the caller may grant at `orgCode`, as the server answers them (GET /api/staff/grantable-roles, by the
 * grant's own checks): null while there is no org or the answer is on its way, [] when none may be granted there.
 */
export function useGrantableRoles(orgCode: string | undefined): StaffRole[] | null {
  const { message } = AntApp.useApp();
  const [answer, setAnswer] = useState<{ orgCode: string; roles: StaffRole[] } | null>(null);
  useEffect(() => {
    if (!orgCode) return;
    let current = true;
    api.grantableRoles(orgCode).then(
      (r) => current && setAnswer({ orgCode, roles: r.roles }),
      (e: unknown) => {
        if (!current) return;
        setAnswer({ orgCode, roles: [] });
        void message.error(errorText(e));
      },
    );
    return () => {
      current = false;
    };
  }, [orgCode, message]);
  return orgCode && answer?.orgCode === orgCode ? answer.roles : null;
}
