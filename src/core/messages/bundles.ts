/** The message catalogue (../messages.ts): the bundles' sentences: forms, task progress, bundle definitions. */
export const BUNDLES_MESSAGES = {
  'bundles.form.unknownFields': { zh: '不允许的字段 {fields}', en: 'unknown fields {fields}' },
  'bundles.consentNeeded': { zh: '需要您同意共享“{dataset}”', en: 'your consent is needed to share {dataset}' },
  'bundles.task.rejected': {
    zh: '{org}不予通过：{reason}。已办结的其他事项及其证照仍然有效；请按理由补正后单独申请，或联系该部门。',
    en: '{org} rejected it: {reason}. Completed items and their certificates stay valid; correct and apply separately, or contact the department.',
  },
  'bundles.task.returned': { zh: '退回补正：{reason}', en: 'returned for correction: {reason}' },
  'bundles.task.blocked': { zh: '等待的前置事项未通过：{tasks}', en: 'waits on {tasks}, which did not go through' },
  'bundles.definition.invalid': { zh: '事项组合定义有误：{problem}', en: 'bundle definition: {problem}' },
  'bundles.definition.duplicateTask': { zh: '{code} 任务 {task} 重复', en: '{code}: task {task} appears twice' },
  'bundles.definition.unknownItem': { zh: '{code} 未知事项 {item}', en: '{code}: unknown item {item}' },
  'bundles.definition.unknownDependency': {
    zh: '{code} 任务 {task} 依赖未知任务 {dep}',
    en: '{code}: task {task} depends on unknown task {dep}',
  },
  'bundles.definition.duplicateField': { zh: '{code} 字段 {field} 重复', en: '{code}: field {field} appears twice' },
  'bundles.definition.unknownVia': {
    zh: '{code} 字段 {field} 经由未知任务 {via}',
    en: '{code}: field {field} is fetched via unknown task {via}',
  },
  'bundles.definition.missingField': {
    zh: '{code} 合并表单缺少事项 {item} 的字段 {field}',
    en: '{code}: the merged form lacks field {field} of {item}',
  },
  'bundles.definition.ruleUnknownTask': {
    zh: '{code} 规则 {rule} 指向未知任务 {task}',
    en: '{code}: rule {rule} names unknown task {task}',
  },
  'bundles.definition.ruleOtherDepartment': {
    zh: '{code} 规则 {rule} 不能决定其他部门的任务 {task}',
    en: "{code}: rule {rule} cannot decide {task}, another department's task",
  },
  'bundles.definition.cycle': { zh: '{code} 任务依赖成环：{tasks}', en: '{code}: the task dependencies form a cycle: {tasks}' },
} as const;
