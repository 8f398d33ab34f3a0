/**
 * The one renderer of rule documentation: `moe-lens rule`, hovers, docs/rules/*.md and the README table
 * all come from here, so every surface says the same thing.
 */
import { ALL_RULES } from '../rules/index';
import type { Rule } from '../rules/types';

export function ruleDocFileName(rule: Rule): string {
  return `${rule.code}-${rule.name}.md`;
}

/**
 * Where a rule's page is in this repository. No web address: MoE Lens has none that anyone has checked, and the
 * pages ship with the tool (the editor renders them offline; `moe-lens rule CODE` prints them).
 */
export function ruleDocPath(rule: Rule): string {
  return `docs/rules/${ruleDocFileName(rule)}`;
}

export function fixAvailabilitySentence(rule: Rule): string {
  switch (rule.fix.availability) {
    case 'always':
      return 'Fix is always available.';
    case 'sometimes':
      return 'Fix is sometimes available.';
    case 'none':
      return 'Fix is not available.';
  }
}

export function renderRuleMarkdown(rule: Rule): string {
  const { docs } = rule;
  const fence = (block: { dialect: string; code: string }): string => `\`\`\`${block.dialect}\n${block.code.replace(/\n$/, '')}\n\`\`\``;
  const sections = [
    `# ${rule.name} (${rule.code})`,
    '',
    `Category: ${rule.category} · default severity: ${rule.defaultSeverity} · status: ${rule.status} (since ${rule.since}). ${fixAvailabilitySentence(rule)}`,
    '',
    '## What it does',
    docs.what,
    '',
    '## Why is this bad?',
    docs.why,
    '',
    '## Example',
    fence(docs.example),
    '',
    'Use instead:',
    fence(docs.useInstead),
  ];
  const kinds = Object.values(rule.fix.kinds ?? {});
  if (kinds.length > 0) sections.push('', '## Fixes', ...kinds.map((k) => `- ${k.title} (${k.safety})`));
  if (docs.fixSafety) sections.push('', '## Fix safety', docs.fixSafety);
  sections.push('', '## Messages', ...Object.values(rule.messages).map((m) => `- ${m}`));
  if (rule.census?.length) sections.push('', '## Launch checks it catches', `The frameworks' own checks this rule reports before launch (rows of test/census/moe-launch-checks.tsv): ${rule.census.join(', ')}.`);
  const stoppedFirst = Object.entries(rule.censusStoppedFirst ?? {});
  if (stoppedFirst.length > 0) {
    sections.push(
      '',
      "Rows whose condition it catches through a check the framework raises first (the row's own message is never printed, so the diagnostic quotes the earlier one):",
      ...stoppedFirst.map(([row, by]) => `- ${row}: ${by.join(' or ')} stops the run first`),
    );
  }
  sections.push('', '## References', ...docs.references.map((r) => `- ${r}`), '');
  return sections.join('\n');
}

/** Plain text for terminals: the Markdown without fences' markers. */
export function renderRuleText(rule: Rule): string {
  return renderRuleMarkdown(rule).replace(/^```\w*\n?/gm, '');
}

export function renderRuleJson(rule: Rule): object {
  return {
    code: rule.code,
    name: rule.name,
    category: rule.category,
    defaultSeverity: rule.defaultSeverity,
    status: rule.status,
    since: rule.since,
    fix: rule.fix.availability,
    fixes: rule.fix.kinds ?? {},
    ...(rule.frameworks ? { frameworks: rule.frameworks } : {}),
    ...(rule.census ? { census: rule.census } : {}),
    ...(rule.censusStoppedFirst ? { censusStoppedFirst: rule.censusStoppedFirst } : {}),
    messages: rule.messages,
    docs: rule.docs,
    doc: ruleDocPath(rule),
  };
}

/** The rules table of the README and `moe-lens rules`. */
export function renderRulesTable(): string {
  const rows = ALL_RULES.map(
    (r) => `| [${r.code}](${ruleDocPath(r)}) | ${r.name} | ${r.category} | ${r.defaultSeverity} | ${r.fix.availability} |`,
  );
  return ['| code | name | category | default | fix |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
