/**
 * 医保窗口 (医医合作, 一窗办理): the hospital's insurance window clerk checks a patient's coverage
 * by the ID number they present, files treatment here for them, opens an encounter, pre-settles
 * and settles it with each line explained, and prints the statement. The server checks the
 * clerk's hospital on every call; the ID number stays in this page's memory only.
 */
import { Alert, App as AntApp, Button, Card, Checkbox, Descriptions, Empty, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { createRetryKeys } from '../shared/api.ts';
import type {
  WindowCoverage,
  WindowEncounter,
  WindowHospital,
  WindowMedType,
  WindowPresettlement,
  WindowSettlement,
} from '../shared/api.ts';
import { useI18n } from '../shared/i18n.tsx';
import { yuan } from '../shared/money.ts';
import { navigate } from '../shared/router.tsx';
import { api, errorText, formatDateTime } from './context.ts';
import { Explanation, FILING_KINDS, MED_TYPES, SCHEME, STATUS, WHERE } from './window-words.tsx';

/** Today in China (UTC+8), YYYY-MM-DD. */
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const ID_NUMBER = /^\d{17}[\dXx]$/;

/** 医保窗口: the page. */
export function InsuranceWindow() {
  const { t, lang, pick } = useI18n();
  const { message } = AntApp.useApp();
  const [hospitals, setHospitals] = useState<WindowHospital[] | null>(null);
  const [hospital, setHospital] = useState<string | undefined>();
  const [idNumber, setIdNumber] = useState('');
  const [keys] = useState(createRetryKeys);
  const [coverage, setCoverage] = useState<WindowCoverage | null>(null);
  const [encounters, setEncounters] = useState<WindowEncounter[] | null>(null);
  const [medType, setMedType] = useState<WindowMedType>('21');
  const [beginDate, setBeginDate] = useState(today);
  const [emergency, setEmergency] = useState(false);
  const [filingKind, setFilingKind] = useState<keyof typeof FILING_KINDS>('temporary');
  const [pre, setPre] = useState<WindowPresettlement | null>(null);
  const [settled, setSettled] = useState<WindowSettlement | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    api.windowHospitals().then(
      (list) => {
        setHospitals(list);
        setHospital((h) => h ?? list[0]?.code);
      },
      (e: unknown) => {
        setHospitals([]);
        void message.error(errorText(e));
      },
    );
  }, [message]);

  const loadEncounters = useCallback(async () => {
    if (!hospital) return;
    setEncounters(await api.windowEncounters(hospital));
  }, [hospital]);
  useEffect(() => {
    loadEncounters().catch((e: unknown) => void message.error(errorText(e)));
  }, [loadEncounters, message]);

  /** Runs one act, with the button busy and the error said. */
  const act = async (key: string, work: () => Promise<void>) => {
    setBusy(key);
    try {
      await work();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  const check = () =>
    act('coverage', async () => {
      setCoverage(null);
      setCoverage(await api.windowCoverage(hospital!, idNumber.trim().toUpperCase()));
    });

  const open = () =>
    act('open', async () => {
      const request = { residentId: idNumber.trim().toUpperCase(), medType, beginDate, emergency };
      const r = await api.windowOpen(hospital!, request, keys.of(['open', request]));
      keys.done(['open', request]);
      void message.success(
        r.filed || r.where !== 'other_province'
          ? t(`已登记就诊 ${r.mdtrtId}`, `Encounter ${r.mdtrtId} opened`)
          : t('已登记就诊：跨省未备案，按未备案比例结算', 'Encounter opened: another province, not filed'),
      );
      setCoverage(await api.windowCoverage(hospital!, idNumber.trim().toUpperCase()));
      await loadEncounters();
    });

  const file = () =>
    act('file', async () => {
      const request = { residentId: idNumber.trim().toUpperCase(), kind: filingKind, startDate: today() };
      const r = await api.windowFile(hospital!, request, keys.of(['file', request]));
      keys.done(['file', request]);
      void message.success(t(`备案已提交（${r.caseNo}），秒批规则即时办结`, `Filing ${r.caseNo} submitted; the rule decides it at once`));
      // The rule decides through the outbox: read the coverage again until the filing shows, a few times.
      for (let i = 0; i < 10; i++) {
        const c = await api.windowCoverage(hospital!, idNumber.trim().toUpperCase());
        setCoverage(c);
        if (c.filings.length > (coverage?.filings.length ?? 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });

  /** The ID card in the reader, if any: a cross-province settlement carries it to the place of insurance. */
  const presented = () => idNumber.trim().toUpperCase() || undefined;
  const presettle = (e: WindowEncounter) =>
    act(`pre-${e.mdtrtId}`, async () => {
      setSettled(null);
      setPre(await api.windowPresettle(hospital!, e.mdtrtId, presented()));
    });

  const settle = () =>
    act('settle', async () => {
      if (!pre) return;
      const request = ['settle', pre.mdtrtId, pre.amounts.medfee_sumamt];
      const s = await api.windowSettle(hospital!, pre.mdtrtId, pre.amounts.medfee_sumamt, keys.of(request), presented());
      keys.done(request);
      setSettled(s);
      setPre(null);
      void message.success(t('结算完成', 'Settled'));
      await loadEncounters();
    });

  if (hospitals === null) return null;
  if (hospitals.length === 0) return <Empty description={t('没有可服务的医院窗口', 'No hospital window to serve at')} />;
  const outside = coverage?.where === 'other_province';
  const filedHere = coverage?.filings.some((f) => f.startDate <= today() && (f.endDate === null || f.endDate >= today()));

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="insurance-window">
      <Typography.Title level={3}>{t('医保窗口', 'Insurance window')}</Typography.Title>
      {hospitals.length > 1 && (
        <Select
          value={hospital}
          onChange={(v) => {
            setHospital(v);
            setCoverage(null);
            setPre(null);
            setSettled(null);
          }}
          options={hospitals.map((h) => ({ value: h.code, label: `${lang === 'en' ? h.nameEn : h.nameZh} · ${h.code}` }))}
          style={{ minWidth: 320 }}
          aria-label={t('医院', 'Hospital')}
        />
      )}
      {hospitals.length === 1 && (
        <Typography.Text>
          {lang === 'en' ? hospitals[0]!.nameEn : hospitals[0]!.nameZh} · {hospitals[0]!.code}
        </Typography.Text>
      )}

      <Card title={t('参保信息查询', 'Coverage')}>
        <Space wrap>
          <Input
            aria-label={t('患者身份证号码', 'Patient’s ID number')}
            placeholder={t('患者出示的身份证号码', 'ID number as presented')}
            value={idNumber}
            onChange={(e) => setIdNumber(e.target.value)}
            onPressEnter={() => ID_NUMBER.test(idNumber.trim()) && void check()}
            maxLength={18}
            autoComplete="off"
            style={{ width: 260 }}
            data-testid="window-id"
          />
          <Button type="primary" onClick={() => void check()} loading={busy === 'coverage'} disabled={!ID_NUMBER.test(idNumber.trim())}>
            {t('查询', 'Check')}
          </Button>
          <span className="cs-muted">{t('每次查询均留痕', 'Every lookup is logged')}</span>
        </Space>
        {coverage && (
          <Space direction="vertical" style={{ width: '100%', marginTop: 16 }} data-testid="window-coverage">
            {coverage.warning && (
              // The place of insurance could not be asked: what follows is this node's copy, as last confirmed.
              <Alert type="warning" showIcon message={pick(coverage.warning)} data-testid="window-coverage-warning" />
            )}
            <Descriptions size="small" column={3} bordered>
              <Descriptions.Item label={t('姓名', 'Name')}>{coverage.name}</Descriptions.Item>
              <Descriptions.Item label={t('身份证号', 'ID')}>{coverage.idMasked}</Descriptions.Item>
              <Descriptions.Item label={t('人员编号', 'Person no.')}>{coverage.psnNo}</Descriptions.Item>
              <Descriptions.Item label={t('险种', 'Scheme')}>{pick(SCHEME[coverage.scheme])}</Descriptions.Item>
              <Descriptions.Item label={t('参保地', 'Insured in')}>
                {coverage.regionName ?? coverage.region} · {coverage.region}
              </Descriptions.Item>
              <Descriptions.Item label={t('参保状态', 'Status')}>
                <Tag color={STATUS[coverage.status].color}>{pick(STATUS[coverage.status])}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label={t('就医类型', 'Here is')}>{pick(WHERE[coverage.where])}</Descriptions.Item>
              <Descriptions.Item label={t(`${coverage.year.year}年基金已付`, `Fund paid in ${coverage.year.year}`)}>
                {yuan(coverage.year.fundPaidFen)}
              </Descriptions.Item>
              <Descriptions.Item label={t('已付起付线 · 住院次数', 'Deductible used · stays')}>
                {yuan(coverage.year.deductibleUsedFen)} · {coverage.year.stays}
              </Descriptions.Item>
              {coverage.scheme === 'employee' && (
                <Descriptions.Item label={t('个人账户余额', 'Account balance')}>{yuan(coverage.accountBalanceFen)}</Descriptions.Item>
              )}
              <Descriptions.Item label={t('异地就医备案', 'Filings')}>
                {coverage.filings.length === 0
                  ? t('无', 'None')
                  : coverage.filings.map((f) => (
                      <div key={`${f.destination}-${f.startDate}`} data-testid="window-filing">
                        {pick(FILING_KINDS[f.kind])} · {f.destination} · {f.startDate}—{f.endDate ?? t('长期', 'open')}
                      </div>
                    ))}
              </Descriptions.Item>
            </Descriptions>
            {outside && !filedHere && (
              <Space wrap>
                <Typography.Text>
                  {t('跨省就医尚未备案：可当场代办，秒批', 'Not filed for this province: file now, decided at once')}
                </Typography.Text>
                <Select
                  value={filingKind}
                  onChange={setFilingKind}
                  options={Object.entries(FILING_KINDS).map(([value, w]) => ({ value, label: pick(w) }))}
                  style={{ width: 200 }}
                  aria-label={t('备案类型', 'Kind of filing')}
                />
                <Button onClick={() => void file()} loading={busy === 'file'}>
                  {t('代办异地就医备案', 'File for the patient')}
                </Button>
              </Space>
            )}
            {coverage.status === 'active' && (
              <Space wrap>
                <Select
                  value={medType}
                  onChange={setMedType}
                  options={Object.entries(MED_TYPES).map(([value, w]) => ({ value, label: pick(w) }))}
                  style={{ width: 160 }}
                  aria-label={t('医疗类别', 'Kind of treatment')}
                />
                <Input
                  type="date"
                  value={beginDate}
                  max={today()}
                  onChange={(e) => e.target.value && setBeginDate(e.target.value)}
                  style={{ width: 160 }}
                  aria-label={t('开始日期', 'Begins')}
                />
                <Checkbox checked={emergency} onChange={(e) => setEmergency(e.target.checked)}>
                  {t('急诊抢救', 'Emergency')}
                </Checkbox>
                <Button type="primary" onClick={() => void open()} loading={busy === 'open'}>
                  {t('登记就诊', 'Open encounter')}
                </Button>
              </Space>
            )}
          </Space>
        )}
      </Card>

      <Card title={t('本院在院就诊', 'Open encounters of this hospital')}>
        <Table
          size="small"
          rowKey="mdtrtId"
          loading={encounters === null}
          dataSource={encounters ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={<span className="cs-muted">{t('暂无在院就诊', 'No open encounters')}</span>} /> }}
          data-testid="window-encounters"
          columns={[
            { title: t('姓名', 'Name'), dataIndex: 'name' },
            { title: t('身份证号', 'ID'), dataIndex: 'idMasked' },
            { title: t('类别', 'Kind'), render: (_, e) => pick(MED_TYPES[e.medType]) },
            { title: t('开始', 'Begins'), dataIndex: 'beginDate' },
            {
              title: t('异地', 'Where'),
              render: (_, e) => (
                <>
                  {pick(WHERE[e.where])}
                  {e.where === 'other_province' &&
                    (e.filed ? <Tag color="green">{t('已备案', 'Filed')}</Tag> : <Tag>{t('未备案', 'Not filed')}</Tag>)}
                </>
              ),
            },
            { title: t('费用', 'Fees'), render: (_, e) => `${yuan(e.feeTotalFen)} · ${e.lines}${t('条', ' lines')}` },
            {
              title: t('操作', 'Actions'),
              render: (_, e) => (
                <Button size="small" disabled={e.lines === 0} loading={busy === `pre-${e.mdtrtId}`} onClick={() => void presettle(e)}>
                  {t('预结算', 'Pre-settle')}
                </Button>
              ),
            },
          ]}
        />
      </Card>

      {pre && (
        <Card title={t('预结算 · 请向患者说明后结算', 'Pre-settlement · explain, then settle')} data-testid="window-presettlement">
          <Explanation result={pre} t={t} pick={pick} />
          <Space style={{ marginTop: 16 }}>
            <Button type="primary" onClick={() => void settle()} loading={busy === 'settle'}>
              {t(`确认结算 ${yuan(pre.amounts.medfee_sumamt)}`, `Settle ${yuan(pre.amounts.medfee_sumamt)}`)}
            </Button>
            <Button onClick={() => setPre(null)}>{t('取消', 'Cancel')}</Button>
          </Space>
        </Card>
      )}

      {settled && (
        <Card title={t(`已结算 ${settled.setlId}`, `Settled ${settled.setlId}`)} data-testid="window-settled">
          <p className="cs-muted">{formatDateTime(settled.settledAt, lang === 'en' ? 'en' : 'zh')}</p>
          <Explanation result={settled} t={t} pick={pick} />
          <Button
            style={{ marginTop: 16 }}
            href={`/console/insurance-window/statements/${hospital}/${settled.setlId}`}
            onClick={(ev) => {
              ev.preventDefault();
              navigate(`/console/insurance-window/statements/${hospital}/${settled.setlId}`);
            }}
          >
            {t('打印结算单', 'Print the statement')}
          </Button>
        </Card>
      )}
    </Space>
  );
}
