import type { DashboardView, Figures } from './dashboards.schemas.ts';

export type ExportTable = 'children' | 'services' | 'trend';
export type ExportFormat = 'csv' | 'xlsx';
type Cell = string | number | null;

const LEVELS: Record<string, string> = {
  province: '省',
  city: '市',
  county: '县（区）',
  township: '乡镇（街道）',
  village: '村（社区）',
  department: '部门',
};

const FIGURE_COLUMNS: readonly [string, (f: Figures) => Cell][] = [
  ['申请件数', (f) => f.submitted],
  ['网上申请件数', (f) => f.submittedOnline],
  ['办结件数', (f) => f.decided],
  ['按时办结件数', (f) => f.onTime],
  ['按时办结率', (f) => f.onTimeRate],
  ['一次办结率', (f) => f.firstTimeRate],
  ['全程网办率', (f) => f.fullyOnlineRate],
  ['到现场次数', (f) => f.counterTrips],
  ['平均办理工作日', (f) => f.averageWorkingDays],
  ['即办件数', (f) => f.instant],
  ['出具证明数', (f) => f.certificates],
  ['数据共享调用次数', (f) => f.exchanges],
  ['数据共享提供次数', (f) => f.exchangesProvided],
];

/** A table of the view as rows under Chinese headers: the same numbers the page shows. */
export function tableOf(view: DashboardView, table: ExportTable): { title: string; header: string[]; rows: Cell[][] } {
  switch (table) {
    case 'children':
      return {
        title: `${view.org.name}下级机构`,
        header: ['机构代码', '机构名称', '层级', ...FIGURE_COLUMNS.map(([h]) => h)],
        rows: view.children.map((c) => [c.code, c.name, LEVELS[c.level] ?? c.level, ...FIGURE_COLUMNS.map(([, get]) => get(c.figures))]),
      };
    case 'services':
      return {
        title: `${view.org.name}分事项`,
        header: ['事项编码', '事项名称', '网上可办', '承诺时限（工作日）', '法定时限（工作日）', ...FIGURE_COLUMNS.map(([h]) => h)],
        rows: view.services.map((s) => [
          s.code,
          s.nameZh,
          s.fullyOnlineItem ? '是' : '否',
          s.promisedDays,
          s.legalDays,
          ...FIGURE_COLUMNS.map(([, get]) => get(s.figures)),
        ]),
      };
    case 'trend':
      return {
        title: `${view.org.name}每日趋势`,
        header: ['日期', '申请件数', '办结件数', '按时办结件数'],
        rows: view.trend.map((t) => [t.day, t.submitted, t.decided, t.onTime]),
      };
  }
}

/** A CSV field (RFC 4180), with a leading formula character defused so a spreadsheet shows it as text. */
function csvField(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** UTF-8 with a byte order mark, so that Excel opens the Chinese headers right. */
export function toCsv(t: { header: string[]; rows: Cell[][] }): Buffer {
  const lines = [t.header, ...t.rows].map((r) => r.map(csvField).join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

/**
 * exceljs is loaded on the first export, not with the module: it is about 350 files and half a
 * second of every process's start (`yiban --version`, each server, each test worker) otherwise.
 */
export async function toXlsx(t: { title: string; header: string[]; rows: Cell[][] }): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '一办 Yiban';
  const sheet = workbook.addWorksheet(t.title.slice(0, 31).replace(/[\\/?*[\]:]/g, ' '));
  sheet.addRow(t.header).font = { bold: true };
  for (const row of t.rows) sheet.addRow(row);
  sheet.columns.forEach((column) => (column.width = 14));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
