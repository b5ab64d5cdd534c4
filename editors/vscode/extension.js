// VS Code extension for the `.ddd` language of dddc.
//
// Highlighting comes from syntaxes/ddd.tmLanguage.json and needs nothing else.
// Everything else (diagnostics, hover, completion, formatting, ...) comes from
// the language server `dddc lsp`, started here over stdio with
// vscode-languageclient. The binary is `dddc.path` (default: `dddc` on PATH).
'use strict';

const fs = require('fs');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient, RevealOutputChannelOn } = require('vscode-languageclient/node');

const CLIENT_ID = 'dddc'; // also the prefix of the `dddc.trace.server` setting
const CLIENT_NAME = 'dddc Language Server';

/** @type {LanguageClient | undefined} */
let client;
/** @type {vscode.OutputChannel | undefined} */
let outputChannel;
/** The binary the running server was started from: `dddc.showPlan` runs it too. */
let binary;

/**
 * Resolves `dddc.path` to an executable file, or returns undefined.
 * A bare name is looked up on PATH (with PATHEXT on Windows); a relative path
 * is taken relative to the first workspace folder; `~` is the home directory.
 */
function resolveBinary(configured) {
  let candidate = (configured || 'dddc').trim();
  if (candidate.startsWith('~')) candidate = path.join(require('os').homedir(), candidate.slice(1));
  const exts = process.platform === 'win32'
    ? ['', ...(process.env.PATHEXT || '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)]
    : [''];
  const isFile = (p) => {
    try {
      const st = fs.statSync(p);
      if (!st.isFile()) return false;
      if (process.platform !== 'win32') fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const withExts = (p) => exts.map((e) => p + e).find(isFile);

  if (path.isAbsolute(candidate)) return withExts(candidate);
  if (candidate.includes('/') || candidate.includes('\\')) {
    const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
    const base = folder ? folder.uri.fsPath : process.cwd();
    return withExts(path.resolve(base, candidate));
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const found = withExts(path.join(dir, candidate));
    if (found) return found;
  }
  return undefined;
}

async function showMissingBinary(configured, detail) {
  const choice = await vscode.window.showErrorMessage(
    `dddc: cannot start the language server: the dddc binary \`${configured}\` was not found${detail ? ` (${detail})` : ''}. ` +
      'Install dddc (for example `cargo install --path .` in the dddc repository) or set `dddc.path` to the binary. ' +
      'Syntax highlighting keeps working without it.',
    'Open Settings'
  );
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'dddc.path');
  }
}

async function startClient(context) {
  const configured = vscode.workspace.getConfiguration('dddc').get('path', 'dddc') || 'dddc';
  const command = resolveBinary(configured);
  if (!command) {
    void showMissingBinary(configured);
    return;
  }

  binary = command;
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  /** @type {import('vscode-languageclient/node').ServerOptions} */
  const serverOptions = {
    // no `transport`: plain stdio, and no `--stdio` appended to the arguments
    command,
    args: ['lsp'],
    options: { cwd: folder ? folder.uri.fsPath : undefined },
  };

  const watchers = [
    vscode.workspace.createFileSystemWatcher('**/*.ddd'),
    vscode.workspace.createFileSystemWatcher('**/dddc.toml'),
    vscode.workspace.createFileSystemWatcher('**/dddc.lock'),
  ];
  context.subscriptions.push(...watchers);

  /** @type {import('vscode-languageclient/node').LanguageClientOptions} */
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'ddd' },
      { scheme: 'untitled', language: 'ddd' },
    ],
    synchronize: { fileEvents: watchers },
    outputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };

  client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    const message = err && err.message ? err.message : String(err);
    client = undefined;
    if (/ENOENT|EACCES/.test(message)) {
      void showMissingBinary(configured, message);
    } else {
      void vscode.window.showErrorMessage(
        `dddc: the language server \`${command} lsp\` failed to start: ${message}. ` +
          'See the "dddc Language Server" output for details.'
      );
    }
  }
}

async function stopClient() {
  if (!client) return;
  const c = client;
  client = undefined;
  try {
    await c.stop();
  } catch {
    // already gone
  }
}

/**
 * `dddc.showPlan`: the code lens on the model block (the server's) passes the
 * project folder; from the command palette, the folder of the active `.ddd`
 * file's workspace. Shows `dddc plan`'s SQL (what the next `dddc build` would
 * write) in a new editor.
 */
async function showPlan(dir) {
  if (typeof dir !== 'string' || !dir) {
    const active = vscode.window.activeTextEditor;
    const folder = (active && vscode.workspace.getWorkspaceFolder(active.document.uri)) ||
      (vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0]);
    if (!folder) {
      void vscode.window.showErrorMessage('dddc: open a folder with a dddc project to see its pending migration.');
      return;
    }
    dir = folder.uri.fsPath;
  }
  const command = binary || resolveBinary(vscode.workspace.getConfiguration('dddc').get('path', 'dddc'));
  if (!command) {
    void showMissingBinary(vscode.workspace.getConfiguration('dddc').get('path', 'dddc'));
    return;
  }
  const { execFile } = require('child_process');
  const { stdout, stderr, code } = await new Promise((resolve) => {
    execFile(command, ['-C', dir, 'plan'], { maxBuffer: 64 << 20 }, (err, out, errOut) => {
      resolve({ stdout: out || '', stderr: errOut || '', code: err ? err.code : 0 });
    });
  });
  // `dddc plan` exits 1 when it refuses a change: its SQL and the refusals
  // are both worth showing.
  const notes = stderr.trimEnd().replace(/^/gm, '-- ');
  const head = code ? `-- dddc plan exited with ${code}:\n` : '';
  const text = stdout + (notes ? `${stdout ? '\n' : ''}${head}${notes}\n` : '');
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: text || '-- no pending migration\n' });
  await vscode.window.showTextDocument(doc, { preview: true });
}

/** Folding of `{ ... }` blocks and of runs of `///` doc comments. */
const foldingProvider = {
  provideFoldingRanges(document) {
    const ranges = [];
    const open = [];
    let docStart = -1;
    let inDouble = false; // "..." strings may span lines
    for (let l = 0; l < document.lineCount; l++) {
      const text = document.lineAt(l).text;
      const isDoc = /^\s*\/\/\//.test(text);
      if (isDoc && docStart < 0) docStart = l;
      if (!isDoc && docStart >= 0) {
        if (l - 1 > docStart) ranges.push(new vscode.FoldingRange(docStart, l - 1, vscode.FoldingRangeKind.Comment));
        docStart = -1;
      }
      for (let c = 0; c < text.length; c++) {
        const ch = text[c];
        if (inDouble) {
          if (ch === '"') {
            if (text[c + 1] === '"') c++;
            else inDouble = false;
          }
          continue;
        }
        if (ch === '/' && text[c + 1] === '/') break;
        if (ch === '"') inDouble = true;
        else if (ch === "'") {
          for (c++; c < text.length; c++) {
            if (text[c] === "'" && text[c + 1] === "'") c++;
            else if (text[c] === "'") break;
          }
        } else if (ch === '{') open.push(l);
        else if (ch === '}' && open.length) {
          const start = open.pop();
          if (l - 1 > start) ranges.push(new vscode.FoldingRange(start, l - 1));
        }
      }
    }
    return ranges;
  },
};

async function activate(context) {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(outputChannel);

  context.subscriptions.push(
    vscode.languages.registerFoldingRangeProvider({ language: 'ddd' }, foldingProvider),
    vscode.commands.registerCommand('dddc.showPlan', showPlan),
    vscode.commands.registerCommand('dddc.restartServer', async () => {
      await stopClient();
      await startClient(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('dddc.path')) {
        await stopClient();
        await startClient(context);
      }
    })
  );

  await startClient(context);
}

async function deactivate() {
  await stopClient();
}

module.exports = { activate, deactivate, resolveBinary };
