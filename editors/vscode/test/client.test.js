#!/usr/bin/env node
// The extension's client side, without VS Code: `extension.js` is loaded with
// a stand-in for the `vscode` module and for vscode-languageclient (both only
// exist inside VS Code), activated, and checked to
//   - start a language client for `.ddd` documents (files and unsaved
//     buffers) whose server is `<dddc.path> lsp` over stdio;
//   - register `dddc.showPlan` (the command of the server's code lens) and
//     `dddc.restartServer`;
// then the server it would start is started for real and spoken to
// (`initialize`, `shutdown`, `exit`), and `dddc.showPlan` is run on a
// project with a pending change and must show `dddc plan`'s SQL.
//
//   DDDC_BIN=/path/to/dddc DDDC_PROJECT=/path/to/project node test/client.test.js
//
// tests/lsp_vscode.rs runs it with a built copy of MiToga with one field added.
'use strict';

const Module = require('module');
const path = require('path');
const { spawn } = require('child_process');

const BIN = process.env.DDDC_BIN;
const PROJECT = process.env.DDDC_PROJECT;
if (!BIN || !PROJECT) {
  console.error('client test: set DDDC_BIN and DDDC_PROJECT');
  process.exit(2);
}

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${what}`);
  if (!ok) failures++;
}

// ------------------------------------------------------------ stand-ins --
const commands = new Map();
const clients = [];
const shown = [];
const errors = [];
const disposable = { dispose() {} };
const vscode = {
  workspace: {
    workspaceFolders: [{ uri: { fsPath: PROJECT } }],
    getConfiguration: (section) => ({
      get: (key, dflt) => (section === 'dddc' && key === 'path' ? BIN : dflt),
    }),
    getWorkspaceFolder: () => undefined,
    createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
    onDidChangeConfiguration: () => disposable,
    openTextDocument: async (options) => options,
  },
  window: {
    createOutputChannel: (name) => ({ name, dispose() {}, appendLine() {} }),
    showErrorMessage: async (m) => {
      errors.push(m);
      return undefined;
    },
    showTextDocument: async (doc) => {
      shown.push(doc);
    },
    activeTextEditor: undefined,
  },
  commands: {
    registerCommand: (name, fn) => {
      commands.set(name, fn);
      return disposable;
    },
    executeCommand: async () => undefined,
  },
  languages: { registerFoldingRangeProvider: () => disposable },
  FoldingRange: class {},
  FoldingRangeKind: { Comment: 1 },
};
class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions });
    clients.push(this);
  }
  async start() {}
  async stop() {}
}
const languageclient = { LanguageClient, RevealOutputChannelOn: { Never: 4 } };

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'vscode') return vscode;
  if (request === 'vscode-languageclient/node') return languageclient;
  return load.call(this, request, ...rest);
};

// ------------------------------------------------------------ the server --
/** Starts the server as the client would and speaks the handshake. */
function handshake(server) {
  return new Promise((resolve, reject) => {
    const child = spawn(server.command, server.args, { cwd: server.options && server.options.cwd, stdio: 'pipe' });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('no answer within 60 s'));
    }, 60000);
    let buffer = Buffer.alloc(0);
    const answers = new Map();
    const send = (m) => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...m }));
      child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
      child.stdin.write(body);
    };
    child.stdout.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
        if (buffer.length < end + 4 + length) return;
        const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString());
        buffer = buffer.subarray(end + 4 + length);
        if (message.id !== undefined) answers.set(message.id, message);
        if (message.id === 1) {
          send({ method: 'initialized', params: {} });
          send({ id: 2, method: 'shutdown', params: null });
        } else if (message.id === 2) {
          send({ method: 'exit', params: null });
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, initialize: answers.get(1), shutdown: answers.get(2) });
    });
    send({
      id: 1,
      method: 'initialize',
      params: { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null },
    });
  });
}

async function main() {
  const extension = require(path.join(__dirname, '..', 'extension.js'));
  const context = { subscriptions: [] };
  await extension.activate(context);

  check(errors.length === 0, `no error shown on activation ${JSON.stringify(errors)}`);
  check(clients.length === 1, 'one language client');
  const client = clients[0];
  if (!client) throw new Error('no client');
  const server = client.serverOptions;
  check(server.command === path.resolve(BIN), `the server is dddc.path (${server.command})`);
  check(JSON.stringify(server.args) === '["lsp"]', `started as \`dddc lsp\` (${JSON.stringify(server.args)})`);
  check(server.transport === undefined, 'over stdio, with no extra argument');
  check(server.options && server.options.cwd === PROJECT, 'in the workspace folder');
  const selector = client.clientOptions.documentSelector;
  check(
    selector.some((s) => s.language === 'ddd' && s.scheme === 'file') &&
      selector.some((s) => s.language === 'ddd' && s.scheme === 'untitled'),
    'for .ddd files and unsaved buffers'
  );
  const watched = client.clientOptions.synchronize.fileEvents.map((w) => w.glob);
  check(watched.includes('**/dddc.lock') && watched.includes('**/dddc.toml'), `watches the lock and the config (${watched})`);
  check(commands.has('dddc.showPlan') && commands.has('dddc.restartServer'), `commands ${[...commands.keys()]}`);

  const run = await handshake(server);
  check(run.initialize && run.initialize.result && run.initialize.result.capabilities.hoverProvider === true, 'the server answers initialize');
  check(run.initialize && run.initialize.result.serverInfo.name === 'dddc', 'it is dddc');
  check(run.shutdown && run.shutdown.result === null && run.code === 0, `it shuts down cleanly (exit ${run.code})`);

  await commands.get('dddc.showPlan')(PROJECT);
  const doc = shown[0];
  check(doc && doc.language === 'sql', 'dddc.showPlan opens an SQL document');
  check(doc && /ADD COLUMN/.test(doc.content), `with the plan's SQL: ${doc && doc.content.slice(0, 200)}`);

  if (failures) {
    console.error(`client test: ${failures} failure(s)`);
    process.exit(1);
  }
  console.log('client test: ok');
}

main().catch((e) => {
  console.error(`client test: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
