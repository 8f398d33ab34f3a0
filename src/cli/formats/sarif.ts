/** SARIF 2.1.0 for GitHub code scanning and other SARIF consumers. */
import { relative, sep } from 'node:path';
import { renderRuleMarkdown, renderRuleText } from '../../core/docs/render';
import { ALL_RULES } from '../../core/rules/index';
import type { Severity } from '../../core/rules/types';
import { span, type FileResult } from './types';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export function formatSarif(results: readonly FileResult[], version: string): string {
  const rules = ALL_RULES.map((rule) => ({
    id: rule.code,
    name: rule.name,
    shortDescription: { text: Object.values(rule.messages)[0]!.replace(/\{\w+\}/g, '…') },
    fullDescription: { text: rule.docs.what },
    // The whole rule page, so that a SARIF viewer shows it without a web address.
    help: { text: renderRuleText(rule), markdown: renderRuleMarkdown(rule) },
    defaultConfiguration: { level: LEVEL[rule.defaultSeverity] },
    properties: { category: rule.category },
  }));
  const index = new Map(ALL_RULES.map((rule, i) => [rule.code, i]));
  const sarifResults = results.flatMap((result) =>
    result.diagnostics.map((d) => {
      const { line, column, endLine, endColumn } = span(result.lines, d);
      const ruleIndex = index.get(d.code);
      return {
        ruleId: d.code,
        ...(ruleIndex !== undefined ? { ruleIndex } : {}),
        level: LEVEL[d.severity],
        message: { text: d.detail ? `${d.message}. ${d.detail}` : d.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: relative(process.cwd(), result.file).split(sep).join('/'), uriBaseId: '%SRCROOT%' },
              region: { startLine: line, startColumn: column, endLine, endColumn },
            },
          },
        ],
      };
    }),
  );
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'moe-lens', version, semanticVersion: version, rules } },
          columnKind: 'utf16CodeUnits',
          results: sarifResults,
        },
      ],
    },
    null,
    2,
  );
}
