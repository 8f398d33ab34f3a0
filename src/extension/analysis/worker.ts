/**
 * The analysis worker: the engine (parse, evaluate, rules) on its own thread, with its own copy of the
 * workspace's texts, so that a hostile file costs this thread and never the extension host's. The host
 * enforces the time and memory budget by ending this thread (see client.ts).
 */
import { parentPort } from 'node:worker_threads';
import { analyzeDocument, type DocumentAnalysis } from '../../core/analyze';
import { DEFAULT_MAX_FILE_SIZE, fixAll, lintText } from '../../core/lint';
import { fileFormat } from '../../core/model/file-format';
import { DocumentParses } from '../../core/parse/python/document-parses';
import type { ParsedPython } from '../../core/parse/python/syntax';
import { ProjectIndex } from '../../core/project';
import type { AnalysisAnswer, AnalysisRequest, HostToWorker, LintSummary, PlainAnalysis, RuleFailure, WorkerToHost } from './protocol';
import { RecentAnalyses } from './recent-analyses';

const project = new ProjectIndex();
/** Each edit of an open Python document re-parses only what changed (one frame for 5,000 lines). */
const parses = new DocumentParses();
/** The full analysis behind each lint's summary, for the `analyze` that follows it (a hover, inspect, the preview). */
const recent = new RecentAnalyses<PlainAnalysis>();

function parseOf(file: string, text: string, maxFileSize = DEFAULT_MAX_FILE_SIZE): ParsedPython | undefined {
  return fileFormat(file) === 'python' && text.length <= maxFileSize ? parses.parse(file, text) : undefined;
}

function plain(analysis: DocumentAnalysis): PlainAnalysis {
  return { dialect: analysis.dialect, specs: analysis.specs, notes: analysis.notes, declares: analysis.declarations !== undefined };
}

function summary(analysis: PlainAnalysis): LintSummary {
  const configs = analysis.specs.map(({ name, dialect, range, anchorRange }) => ({ name, dialect, range, anchorRange }));
  return { dialect: analysis.dialect, notes: analysis.notes, declares: analysis.declares, configs };
}

function answer(request: AnalysisRequest): AnalysisAnswer {
  switch (request.kind) {
    case 'lint': {
      const ruleFailures: RuleFailure[] = [];
      const parsed = parseOf(request.file, request.text, request.options?.maxFileSize);
      const result = lintText(request.file, request.text, project, {
        ...request.options,
        ...(parsed ? { parsed } : {}),
        onRuleError: (rule, error) => ruleFailures.push({ code: rule.code, name: rule.name, error: String((error as Error)?.stack ?? error) }),
      });
      const analysis = plain(result.analysis);
      recent.set(request.file, request.text, analysis);
      return { kind: 'lint', summary: summary(analysis), diagnostics: result.diagnostics, ruleFailures };
    }
    case 'fixAll': {
      const fixed = fixAll(request.file, request.text, project, request.options);
      return { kind: 'fixAll', text: fixed.text, fixesApplied: fixed.fixesApplied };
    }
    case 'analyze': {
      const analysis = recent.get(request.file, request.text) ?? plain(analyzeDocument(request.file, request.text, project, parseOf(request.file, request.text)));
      recent.set(request.file, request.text, analysis);
      return { kind: 'analyze', analysis };
    }
  }
}

/** A file's text as the host holds it: a changed text also drops the analyses that may have read the old one. */
function setText(file: string, text: string): void {
  if (project.textOf(file) !== text) recent.changed(file, text);
  project.setText(file, text);
}

const port = parentPort!;
port.on('message', (message: HostToWorker) => {
  switch (message.type) {
    case 'setText':
      setText(message.file, message.text);
      return;
    case 'setTexts':
      for (const [file, text] of message.texts) setText(file, text);
      return;
    case 'deleteFile':
      recent.changed(message.file, undefined);
      project.deleteFile(message.file);
      return;
    case 'request': {
      let reply: WorkerToHost;
      try {
        reply = { type: 'answer', id: message.id, answer: answer(message.request) };
      } catch (error) {
        reply = { type: 'failed', id: message.id, error: String((error as Error)?.stack ?? error) };
      }
      port.postMessage(reply);
    }
  }
});
