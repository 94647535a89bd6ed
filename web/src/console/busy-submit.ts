import { App as AntApp } from 'antd';
import { useState } from 'react';
import { errorText } from './context.ts';

/** A form's submit: busy while the action runs, its failure shown as a message (the login, setup and password forms). */
export function useBusySubmit<T>(action: (values: T) => Promise<unknown>): { busy: boolean; submit: (values: T) => void } {
  const { message } = AntApp.useApp();
  const [busy, setBusy] = useState(false);
  const submit = (values: T) => {
    setBusy(true);
    void action(values)
      .catch((error: unknown) => void message.error(errorText(error)))
      .finally(() => setBusy(false));
  };
  return { busy, submit };
}
