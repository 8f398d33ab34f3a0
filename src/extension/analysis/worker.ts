/**
 * The analysis worker: the engine (parse, evaluate, rules) on its own thread, with its own copy of the
 * workspace's texts, so that a hostile file costs this thread and never the extension host's. The host
 * enforces the time and memory budget by ending this thread (see client.ts).
 */
import { parentPort } from 'node:worker_threads';
import { analyzeDocument, type DocumentAnalysis } from '../../core/analyze';
import { fixAll, lintText } from '../../core/lint';
import { ProjectIndex } from '../../core/project';
import type { AnalysisAnswer, AnalysisRequest, HostToWorker, PlainAnalysis, RuleFailure, WorkerToHost } from './protocol';

const project = new ProjectIndex();

function plain(analysis: DocumentAnalysis): PlainAnalysis {
  return { dialect: analysis.dialect, specs: analysis.specs, notes: analysis.notes, declares: analysis.declarations !== undefined };
}

function answer(request: AnalysisRequest): AnalysisAnswer {
  switch (request.kind) {
    case 'lint': {
      const ruleFailures: RuleFailure[] = [];
      const result = lintText(request.file, request.text, project, {
        ...request.options,
        onRuleError: (rule, error) => ruleFailures.push({ code: rule.code, name: rule.name, error: String((error as Error)?.stack ?? error) }),
      });
      return { kind: 'lint', analysis: plain(result.analysis), diagnostics: result.diagnostics, ruleFailures };
    }
    case 'fixAll': {
      const fixed = fixAll(request.file, request.text, project, request.options);
      return { kind: 'fixAll', text: fixed.text, fixesApplied: fixed.fixesApplied };
    }
    case 'analyze':
      return { kind: 'analyze', analysis: plain(analyzeDocument(request.file, request.text, project)) };
  }
}

const port = parentPort!;
port.on('message', (message: HostToWorker) => {
  switch (message.type) {
    case 'setText':
      project.setText(message.file, message.text);
      return;
    case 'deleteFile':
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
