import type { ASTNode } from '@marcbachmann/cel-js';
import { sql, type SQL } from 'drizzle-orm';
import { paramsOn, type CompiledRule, type RuleBody } from './rule-language.ts';

/**
 * A rule compiled to one SQL predicate, for population sweeps (set-wise, not one row at a time).
 * `dataOf(dataset)` is the jsonb column of that dataset's record in the sweep's query. The predicate
 * is true exactly where the rule's `decide` says eligible: every input present and of its type
 * (absent or malformed ones make a person decide, as in evaluate.ts), every clause true. Only what
 * has the same meaning in PostgreSQL is compiled (comparisons with byte-order collation, the
 * logical operators, integer arithmetic, string tests, `yearsBetween`); for anything else this
 * returns null and the caller evaluates in batches instead.
 */
export function ruleToSql(compiled: CompiledRule, on: string, dataOf: (dataset: string) => SQL): SQL | null {
  const body = compiled.body;
  const inputs = new Map(body.inputs.map((i) => [i.name, i]));
  const params = paramsOn(body.params, on);
  if (body.params.some((p) => params[p.name] === undefined)) return sql`false`;
  const raw = (name: string): SQL => {
    const input = inputs.get(name)!;
    return sql`(${dataOf(input.dataset)} ->> ${input.field})`;
  };
  /** The input as its type reads it; NULL where evaluate.ts's `typed` gives undefined. */
  const typed = (name: string): SQL => {
    const input = inputs.get(name)!;
    const r = raw(name);
    switch (input.type) {
      case 'string':
        return sql`nullif(${r}, '')`;
      case 'date':
        return sql`(case when left(${r}, 10) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then left(${r}, 10) end)`;
      case 'int':
        return sql`(case when ${r} ~ '^-?[0-9]{1,15}$' then (${r})::bigint end)`;
      case 'bool':
        return sql`(case ${r} when 'true' then true when 'false' then false end)`;
    }
  };
  const present = body.inputs.map((i) => sql`${typed(i.name)} is not null`);

  const out: SQL[] = [];
  for (const { ast } of compiled.clauses) {
    const clause = node(ast);
    if (!clause) return null;
    out.push(sql`(${clause.sql}) is true`);
  }
  return sql.join([...present, ...out], sql` and `);

  type Typed = { sql: SQL; type: 'string' | 'int' | 'bool' };
  function node(n: ASTNode): Typed | null {
    const args = n.args as unknown;
    // What is not listed (field access, maps, division, …) is left to the batch path.
    switch (n.op as string) {
      case 'value': {
        if (typeof args === 'bigint') return { sql: sql`${args.toString()}::bigint`, type: 'int' };
        if (typeof args === 'string') return { sql: sql`${args}::text`, type: 'string' };
        if (typeof args === 'boolean') return { sql: args ? sql`true` : sql`false`, type: 'bool' };
        return null;
      }
      case 'id': {
        const name = args as string;
        if (name === 'today') return { sql: sql`${on}::text`, type: 'string' };
        if (params[name] !== undefined) return { sql: sql`${params[name].toString()}::bigint`, type: 'int' };
        const input = inputs.get(name);
        if (!input) return null;
        return { sql: typed(name), type: input.type === 'date' ? 'string' : input.type };
      }
      case '&&':
      case '||': {
        const [a, b] = (args as ASTNode[]).map(node);
        if (!a || !b || a.type !== 'bool' || b.type !== 'bool') return null;
        return { sql: n.op === '&&' ? sql`(${a.sql} and ${b.sql})` : sql`(${a.sql} or ${b.sql})`, type: 'bool' };
      }
      case '!_': {
        const a = node(args as ASTNode);
        return a && a.type === 'bool' ? { sql: sql`(not ${a.sql})`, type: 'bool' } : null;
      }
      case '-_': {
        const a = node(args as ASTNode);
        return a && a.type === 'int' ? { sql: sql`(- ${a.sql})`, type: 'int' } : null;
      }
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [a, b] = (args as ASTNode[]).map(node);
        if (!a || !b || a.type !== b.type) return null;
        const op = sql.raw(n.op === '==' ? '=' : n.op === '!=' ? '<>' : n.op);
        if (a.type === 'string') return { sql: sql`(${a.sql} collate "C" ${op} ${b.sql} collate "C")`, type: 'bool' };
        if (a.type === 'bool' && n.op !== '==' && n.op !== '!=') return null;
        return { sql: sql`(${a.sql} ${op} ${b.sql})`, type: 'bool' };
      }
      case '+':
      case '-':
      case '*': {
        const [a, b] = (args as ASTNode[]).map(node);
        if (!a || !b || a.type !== 'int' || b.type !== 'int') return null;
        return { sql: sql`(${a.sql} ${sql.raw(n.op)} ${b.sql})`, type: 'int' };
      }
      case 'in': {
        const [needle, list] = args as [ASTNode, ASTNode];
        const a = node(needle);
        if (!a || list.op !== 'list') return null;
        const items = list.args.map(node);
        if (items.length === 0) return { sql: sql`false`, type: 'bool' };
        if (items.some((i) => !i || i.type !== a.type)) return null;
        return {
          sql: sql`(${a.sql} in (${sql.join(
            items.map((i) => i!.sql),
            sql`, `,
          )}))`,
          type: 'bool',
        };
      }
      case '?:': {
        const [c, t, f] = (args as ASTNode[]).map(node);
        if (!c || !t || !f || c.type !== 'bool' || t.type !== f.type) return null;
        return { sql: sql`(case when ${c.sql} then ${t.sql} when not ${c.sql} then ${f.sql} end)`, type: t.type };
      }
      case 'call': {
        const [fn, callArgs] = args as [string, ASTNode[]];
        const parts = callArgs.map(node);
        if (parts.some((p) => !p)) return null;
        const [a, b] = parts as Typed[];
        if (fn === 'size' && a?.type === 'string' && parts.length === 1) return { sql: sql`char_length(${a.sql})::bigint`, type: 'int' };
        if (fn === 'anniversary' && a?.type === 'string' && b?.type === 'string') {
          const ok = sql`(${a.sql} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' and ${b.sql} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')`;
          return { sql: sql`(case when ${ok} then substr(${a.sql}, 6) = substr(${b.sql}, 6) end)`, type: 'bool' };
        }
        if (fn === 'yearsBetween' && a?.type === 'string' && b?.type === 'string') {
          // evaluate.ts's fullYears: string arithmetic on two 'YYYY-MM-DD' dates (NULL where either is not one).
          const ok = sql`(${a.sql} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' and ${b.sql} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')`;
          return {
            sql: sql`(case when ${ok} then substr(${b.sql}, 1, 4)::bigint - substr(${a.sql}, 1, 4)::bigint - (case when substr(${b.sql}, 6) collate "C" < substr(${a.sql}, 6) collate "C" then 1 else 0 end) end)`,
            type: 'int',
          };
        }
        return null;
      }
      case 'rcall': {
        const [fn, receiver, callArgs] = args as [string, ASTNode, ASTNode[]];
        const r = node(receiver);
        const a = callArgs.length === 1 ? node(callArgs[0]!) : null;
        if (!r || !a || r.type !== 'string' || a.type !== 'string') return null;
        if (fn === 'startsWith') return { sql: sql`(left(${r.sql}, char_length(${a.sql})) = ${a.sql})`, type: 'bool' };
        if (fn === 'endsWith') return { sql: sql`(right(${r.sql}, char_length(${a.sql})) = ${a.sql})`, type: 'bool' };
        if (fn === 'contains') return { sql: sql`(strpos(${r.sql}, ${a.sql}) > 0)`, type: 'bool' };
        return null;
      }
      default:
        return null;
    }
  }
}

/** The datasets a rule reads, the first one being the population (the records a sweep starts from). */
export function sweepDatasets(body: RuleBody): string[] {
  return [...new Set(body.inputs.map((i) => i.dataset))];
}
