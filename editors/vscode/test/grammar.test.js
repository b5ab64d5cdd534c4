#!/usr/bin/env node
// Grammar test of the `.ddd` TextMate grammar (syntaxes/ddd.tmLanguage.json).
//
//   node test/grammar.test.js              run every check
//   node test/grammar.test.js --dump FILE  print the tokens of one file
//
// It loads the grammar with vscode-textmate + vscode-oniguruma (the engine VS
// Code uses) and tokenizes EVERY `.ddd` file under examples/ and tests/ of the
// repository this file lives in. A small reference lexer written from the
// lexical rules of grammar/ddd.pest (comments, strings, regexes after
// `matches`, words) says where the comments, strings and declaration keywords
// are; the test checks the grammar agrees:
//   - every line tokenizes, with the rule stack carried from line to line;
//   - every `///` doc comment and `//` comment has its comment scope up to the
//     end of the line, and nothing before it has;
//   - every string literal (and every `/regex/`) has a string scope, over all
//     of its lines, as ONE literal (`'it''s'` is not two strings);
//   - every declaration keyword at the start of a declaration has a keyword
//     (or storage modifier) scope, and every field name (`index: int` too)
//     has the field scope;
//   - nothing inside a comment or a string is highlighted as a keyword, type,
//     name or variable;
// plus targeted assertions on lines of examples/mitoga, a check that every
// keyword of grammar/ddd.pest has a place in the grammar, and a check that the
// JSON is what syntaxes/build-grammar.js generates.
//
// Exits non-zero on any failure, naming file:line:column.
'use strict';

const fs = require('fs');
const path = require('path');

const EXT_DIR = path.resolve(__dirname, '..');
const REPO = path.resolve(EXT_DIR, '..', '..');
const GRAMMAR_PATH = path.join(EXT_DIR, 'syntaxes', 'ddd.tmLanguage.json');
const PEST_PATH = path.join(REPO, 'grammar', 'ddd.pest');

function fatal(msg) {
  console.error(`grammar test: ${msg}`);
  process.exit(1);
}

let vsctm, oniguruma;
try {
  vsctm = require('vscode-textmate');
  oniguruma = require('vscode-oniguruma');
} catch (e) {
  fatal(
    `cannot load vscode-textmate / vscode-oniguruma (${e.message.split('\n')[0]}).\n` +
      `Install the extension's dependencies first: npm ci --prefix editors/vscode`
  );
}
const build = require('../syntaxes/build-grammar.js');

// --------------------------------------------------------------- the engine
async function loadGrammar() {
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.ddd') return null;
      return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, 'utf8'), GRAMMAR_PATH);
    },
  });
  const grammar = await registry.loadGrammar('source.ddd');
  if (!grammar) fatal(`could not load ${GRAMMAR_PATH}`);
  return grammar;
}

/// Text of a file as an editor shows it: UTF-8 (invalid bytes become U+FFFD),
/// without a byte-order mark, split on LF / CRLF.
function readLines(file) {
  let text = new TextDecoder('utf-8').decode(fs.readFileSync(file));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.split(/\r?\n/);
}

/// Tokens of every line; `scopesAt[l][c]` are the scopes of the character at
/// line l, column c (0-based).
function tokenize(grammar, lines, where) {
  let stack = vsctm.INITIAL;
  const perLine = [];
  lines.forEach((line, i) => {
    let r;
    try {
      r = grammar.tokenizeLine(line, stack, 0);
    } catch (e) {
      throw new Error(`${where}:${i + 1}:1: tokenizing threw ${e.stack || e}`);
    }
    if (r.stoppedEarly) throw new Error(`${where}:${i + 1}:1: tokenizing stopped early`);
    const scopesAt = new Array(line.length);
    for (const t of r.tokens) {
      for (let c = t.startIndex; c < Math.min(t.endIndex, line.length); c++) scopesAt[c] = t.scopes;
    }
    perLine.push({ tokens: r.tokens, scopesAt });
    stack = r.ruleStack;
  });
  return perLine;
}

// ------------------------------------------------------- the reference lexer
// Written from the lexical rules of grammar/ddd.pest, independently of the
// TextMate grammar: COMMENT, sq_string (one line, '' escapes), dq_string
// (may span lines, "" escapes), regex (after `matches`, \/ escapes), ident.
const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;

function lex(lines) {
  const comments = []; // { line, col, doc }
  const strings = []; // { from: [line, col], to: [line, col] } inclusive
  const regexes = []; // same
  const words = []; // { line, col, text, prev, next }
  let prevSig = null; // previous significant character or word on this line
  let lastWord = null;
  let l = 0;
  let c = 0;
  while (l < lines.length) {
    const line = lines[l];
    if (c >= line.length) {
      l++;
      c = 0;
      prevSig = null;
      continue;
    }
    const ch = line[c];
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      c++;
      continue;
    }
    if (line.startsWith('//', c)) {
      comments.push({ line: l, col: c, doc: line.startsWith('///', c) && !line.startsWith('////', c) });
      c = line.length;
      continue;
    }
    if (ch === "'") {
      const from = [l, c];
      c++;
      for (;;) {
        if (c >= line.length) {
          c = line.length; // unterminated: up to the end of the line
          strings.push({ from, to: [l, line.length - 1], unterminated: true });
          break;
        }
        if (line.startsWith("''", c)) c += 2;
        else if (line[c] === "'") {
          strings.push({ from, to: [l, c] });
          c++;
          break;
        } else c++;
      }
      prevSig = 'literal';
      continue;
    }
    if (ch === '"') {
      const from = [l, c];
      c++;
      for (;;) {
        if (l >= lines.length) break;
        if (c >= lines[l].length) {
          if (l + 1 >= lines.length) {
            strings.push({ from, to: [l, lines[l].length - 1], unterminated: true });
            l++;
            break;
          }
          l++;
          c = 0;
          continue;
        }
        if (lines[l].startsWith('""', c)) c += 2;
        else if (lines[l][c] === '"') {
          strings.push({ from, to: [l, c] });
          c++;
          break;
        } else c++;
      }
      prevSig = 'literal';
      continue;
    }
    if (ch === '/' && lastWord && lastWord.text === 'matches' && prevSig === lastWord && line[c + 1] !== '/') {
      const from = [l, c];
      c++;
      while (c < line.length && line[c] !== '/') c += line[c] === '\\' ? 2 : 1;
      regexes.push({ from, to: [l, Math.min(c, line.length - 1)] });
      c++;
      prevSig = 'literal';
      continue;
    }
    if (IDENT_START.test(ch)) {
      let e = c + 1;
      while (e < line.length && IDENT_CHAR.test(line[e])) e++;
      const word = { line: l, col: c, text: line.slice(c, e), prev: prevSig, next: line.slice(e).trimStart()[0] || '' };
      word.nextWord = (line.slice(e).match(/^\s*([A-Za-z_][A-Za-z0-9_]*)/) || [])[1] || '';
      words.push(word);
      prevSig = word;
      lastWord = word;
      c = e;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      while (c < line.length && /[A-Za-z0-9_.-]/.test(line[c])) c++;
      prevSig = 'literal';
      continue;
    }
    prevSig = ch;
    c++;
  }
  return { comments, strings, regexes, words };
}

// ------------------------------------------------------------------ checks
// Keywords that start a declaration or an item of a block (grammar/ddd.pest:
// top_item, model_item, context_item, aggregate_item, the role body), and the
// flags that stand alone on a line.
const DECLARATION_START = new Set([
  'include', 'model', 'context', 'enum', 'value', 'role', 'publication',
  'target', 'tables', 'extensions', 'defaults', 'audit_log', 'tenant',
  'aggregate', 'entity', 'key', 'expected_rows', 'invariant', 'index', 'unique',
  'events', 'partition', 'search', 'read', 'write',
  'soft_delete', 'audited', 'tenant_scoped', 'timestamps',
]);
const FLAG_WORDS = new Set(['soft_delete', 'audited', 'tenant_scoped', 'timestamps']);
const KEYWORD_SCOPE = /^(keyword|storage)\./;
// What must never be found inside a comment or a quoted string.
const CODE_SCOPE = /^(keyword|storage|support|entity\.name|variable|constant\.(?!character\.escape))/;
// Inside a /regex/, the regexp's own operators are fine, the language's are not.
const CODE_SCOPE_IN_REGEX = /^(keyword|storage|support|entity\.name|variable|constant)\.(?!.*\.regexp\.ddd$)/;

class Failures {
  constructor() {
    this.list = [];
  }
  add(where, msg) {
    this.list.push(`${where}: ${msg}`);
  }
}

function show(scopes) {
  return scopes ? scopes.slice(1).join(' ') || '(source.ddd only)' : '(no token)';
}

function checkFile(rel, lines, perLine, failures) {
  const lexed = lex(lines);
  const at = (l, c) => `${rel}:${l + 1}:${c + 1}`;
  const scopes = (l, c) => perLine[l].scopesAt[c] || [];

  // comments: the comment scope from the `//` to the end of the line
  const inComment = new Set();
  for (const cm of lexed.comments) {
    const want = cm.doc ? 'comment.line.documentation.ddd' : 'comment.line.double-slash.ddd';
    const line = lines[cm.line];
    for (let c = cm.col; c < line.length; c++) {
      inComment.add(`${cm.line}:${c}`);
      const s = scopes(cm.line, c);
      if (!s.includes(want)) {
        failures.add(at(cm.line, c), `expected ${want} for ${JSON.stringify(line.slice(cm.col))}, got ${show(s)}`);
        break;
      }
      const bad = s.find((x) => CODE_SCOPE.test(x));
      if (bad) {
        failures.add(at(cm.line, c), `${bad} inside a comment: ${JSON.stringify(line.slice(cm.col))}`);
        break;
      }
    }
    if (cm.col > 0 && scopes(cm.line, cm.col - 1).some((x) => x.startsWith('comment.'))) {
      failures.add(at(cm.line, cm.col - 1), `comment scope starts before the comment: ${JSON.stringify(line)}`);
    }
  }

  // strings and regexes: a string scope on every character, nothing else inside
  const each = (span, fn) => {
    for (let l = span.from[0]; l <= span.to[0]; l++) {
      const first = l === span.from[0] ? span.from[1] : 0;
      const last = l === span.to[0] ? span.to[1] : lines[l].length - 1;
      for (let c = first; c <= last; c++) if (fn(l, c) === false) return;
    }
  };
  for (const st of lexed.strings) {
    const text = lines[st.from[0]].slice(st.from[1], st.from[0] === st.to[0] ? st.to[1] + 1 : undefined);
    each(st, (l, c) => {
      const s = scopes(l, c);
      if (!s.some((x) => x.startsWith('string.quoted.'))) {
        failures.add(at(l, c), `expected a string scope in ${JSON.stringify(text)}, got ${show(s)}`);
        return false;
      }
      const bad = s.find((x) => CODE_SCOPE.test(x));
      if (bad) {
        failures.add(at(l, c), `${bad} inside the string ${JSON.stringify(text)}`);
        return false;
      }
      // one literal, not several adjacent ones: quotes only at both ends
      const first = l === st.from[0] && c === st.from[1];
      const last = !st.unterminated && l === st.to[0] && c === st.to[1];
      const opens = s.includes('punctuation.definition.string.begin.ddd');
      const closes = s.includes('punctuation.definition.string.end.ddd');
      if (opens !== first || closes !== last) {
        failures.add(at(l, c), `the string ${JSON.stringify(text)} is not one literal (a quote opens or closes it here)`);
        return false;
      }
    });
  }
  for (const re of lexed.regexes) {
    const text = lines[re.from[0]].slice(re.from[1], re.to[1] + 1);
    each(re, (l, c) => {
      const s = scopes(l, c);
      if (!s.includes('string.regexp.ddd')) {
        failures.add(at(l, c), `expected string.regexp.ddd in ${text}, got ${show(s)}`);
        return false;
      }
      const bad = s.find((x) => CODE_SCOPE_IN_REGEX.test(x));
      if (bad) {
        failures.add(at(l, c), `${bad} inside the regex ${text}`);
        return false;
      }
    });
  }

  // declaration keywords at the start of a declaration: first word of its
  // line or right after a brace, and not a field name (`index: int`)
  let keywordsChecked = 0;
  let fieldsChecked = 0;
  for (const wd of lexed.words) {
    const starts = wd.prev === null || wd.prev === '{' || wd.prev === '}';
    if (!starts) continue;
    if (wd.next === ':') {
      // a field (`index: int` too: keywords are reserved only where needed),
      // or a part of `partition by list (c) { es: 'ES' }`
      fieldsChecked++;
      const s = scopes(wd.line, wd.col);
      if (!s.includes('variable.other.field.ddd') && !s.includes('entity.name.partition.ddd')) {
        failures.add(at(wd.line, wd.col), `field name \`${wd.text}\` is not scoped as a field: ${show(s)}`);
      }
      continue;
    }
    const isFlagAfterNo = wd.text === 'no' && FLAG_WORDS.has(wd.nextWord);
    if (!DECLARATION_START.has(wd.text) && !isFlagAfterNo) continue;
    keywordsChecked++;
    for (let c = wd.col; c < wd.col + wd.text.length; c++) {
      const s = scopes(wd.line, c);
      if (!s.some((x) => KEYWORD_SCOPE.test(x))) {
        failures.add(at(wd.line, c), `declaration keyword \`${wd.text}\` has no keyword scope: ${show(s)}`);
        break;
      }
    }
  }
  return { keywordsChecked, fieldsChecked, comments: lexed.comments.length, strings: lexed.strings.length };
}

// ------------------------------------------------ targeted mitoga assertions
// Each names a file of examples/mitoga, a piece of text that finds the line,
// and the scopes expected on tokens of that line. Lines are found by content,
// so that edits to the example do not break the test needlessly.
const TARGETED = [
  ['mitoga.ddd', 'model mitoga {', [['model', 'keyword.declaration.model.ddd'], ['mitoga', 'entity.name.namespace.model.ddd']]],
  ['mitoga.ddd', 'target postgres 16', [['target', 'keyword.other.target.ddd'], ['16', 'constant.numeric.integer.ddd']]],
  ['mitoga.ddd', 'audit_log auditoria.eventos monthly from 2025-11', [
    ['audit_log', 'keyword.other.audit_log.ddd'], ['auditoria', 'entity.name.namespace.ddd'],
    ['eventos', 'entity.name.table.ddd'], ['monthly', 'keyword.other.monthly.ddd'],
    ['2025-11', 'constant.numeric.month.ddd'], ['2026-12', 'constant.numeric.month.ddd'],
  ]],
  ['mitoga.ddd', 'read autenticacion, marketplace', [['read', 'keyword.other.read.ddd'], ['marketplace', 'entity.name.namespace.ddd']]],
  ['mitoga.ddd', 'publication mitoga_pub {', [
    ['publication', 'keyword.declaration.publication.ddd'], ['mitoga_pub', 'entity.name.type.publication.ddd'],
    ['Usuario', 'entity.name.type.ddd'], ['pagos', 'entity.name.namespace.ddd'],
  ]],
  ['mitoga.ddd', 'value Email: text(255) check matches', [
    ['value', 'keyword.declaration.value.ddd'], ['Email', 'entity.name.type.value.ddd'],
    ['text', 'support.type.builtin.ddd'], ['255', 'constant.numeric.integer.ddd'],
    ['check', 'keyword.other.check.ddd'], ['matches', 'keyword.operator.word.matches.ddd'],
    ['/^', 'string.regexp.ddd'], ['\\.', 'constant.character.escape.regexp.ddd'],
    ['{2,}', 'keyword.operator.quantifier.regexp.ddd'],
  ]],
  ['mitoga.ddd', 'ciudad: text(100) ///', [
    ['ciudad', 'variable.other.field.ddd'], ['/// Municipio o localidad.', 'comment.line.documentation.ddd'],
  ]],
  ['mitoga.ddd', 'include "contexts/autenticacion.ddd"', [
    ['include', 'keyword.declaration.include.ddd'], ['"contexts/autenticacion.ddd"', 'string.quoted.double.ddd'],
  ]],
  ['mitoga.ddd', '// ----', [['shared kernel', 'comment.line.double-slash.ddd']]],
  ['contexts/autenticacion.ddd', 'enum RolUsuario native {', [
    ['enum', 'keyword.declaration.enum.ddd'], ['RolUsuario', 'entity.name.type.enum.ddd'],
    ['native', 'storage.modifier.native.ddd'],
  ]],
  ['contexts/autenticacion.ddd', '    ADMINISTRADOR', [['ADMINISTRADOR', 'constant.other.enum-member.ddd']]],
  ['contexts/autenticacion.ddd', 'password: password_hash @column(password_hash)', [
    ['password_hash', 'support.type.builtin.ddd'], ['@', 'punctuation.definition.annotation.ddd'],
    ['column', 'storage.type.annotation.ddd'], ['password_hash)', 'variable.other.ddd', 0, 'password_hash'.length],
  ]],
  ['contexts/autenticacion.ddd', 'estado: EstadoUsuario = PENDIENTE_VERIFICACION', [
    ['EstadoUsuario', 'entity.name.type.ddd'], ['=', 'keyword.operator.assignment.ddd'],
    ['PENDIENTE_VERIFICACION', 'constant.other.enum-member.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'metadata: json = {}', [['{}', 'constant.language.empty-object.ddd']]],
  ['contexts/autenticacion.ddd', 'ultimo_acceso_at: timestamp? indexed', [
    ['?', 'keyword.operator.optional.ddd'], ['indexed', 'storage.modifier.indexed.ddd'],
  ]],
  ['contexts/autenticacion.ddd', '    soft_delete', [['soft_delete', 'storage.modifier.flag.soft_delete.ddd']]],
  ['contexts/autenticacion.ddd', 'invariant nacimiento_plausible:', [
    ['invariant', 'keyword.declaration.invariant.ddd'], ['nacimiento_plausible', 'entity.name.function.invariant.ddd'],
    [' is ', 'keyword.operator.word.ddd', 1, 2], ['null', 'constant.language.null.ddd'],
    [' or ', 'keyword.operator.logical.ddd', 1, 2], ['between', 'keyword.operator.word.ddd'],
    ['1900-01-01', 'constant.numeric.date.ddd'], ['date(', 'support.function.builtin.ddd', 0, 4],
    ['now', 'support.function.builtin.ddd'], ['fecha_nacimiento', 'variable.other.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'index (lower(email)) including deleted @name(', [
    ['index', 'keyword.declaration.index.ddd'], ['lower', 'support.function.builtin.ddd'],
    ['including', 'keyword.other.including.ddd'], ['deleted', 'keyword.other.deleted.ddd'],
    ['name', 'storage.type.annotation.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'index using gin (metadata)', [
    ['using', 'keyword.other.using.ddd'], ['gin', 'support.constant.index-method.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'entity Perfil one {', [
    ['entity', 'keyword.declaration.entity.ddd'], ['Perfil', 'entity.name.type.entity.ddd'],
    ['one', 'storage.modifier.one.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'documento_identidad: encrypted? @pii', [
    ['encrypted', 'support.type.builtin.ddd'], ['pii', 'storage.type.annotation.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'idiomas: char(2)[]', [['[]', 'storage.modifier.array.ddd']]],
  ['contexts/autenticacion.ddd', "zona_horaria: text(64) = 'Europe/Madrid'", [
    ["'Europe/Madrid'", 'string.quoted.single.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'usuario: ref Usuario on delete cascade', [
    ['ref', 'keyword.other.ref.ddd'], ['Usuario', 'entity.name.type.ddd'],
    ['delete', 'keyword.other.delete.ddd'], ['cascade', 'keyword.other.cascade.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'aggregate SesionAcceso as sesiones_acceso {', [
    ['aggregate', 'keyword.declaration.aggregate.ddd'], ['SesionAcceso', 'entity.name.type.aggregate.ddd'],
    ['as', 'keyword.other.as.ddd'], ['sesiones_acceso', 'entity.name.table.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'expected_rows 50M', [
    ['expected_rows', 'keyword.declaration.expected_rows.ddd'], ['50M', 'constant.numeric.size.ddd'],
    ['M', 'keyword.other.unit.ddd'],
  ]],
  ['contexts/autenticacion.ddd', 'partition by hash (id) into 8', [
    ['partition', 'keyword.declaration.partition.ddd'], ['hash', 'keyword.other.hash.ddd'],
    ['into', 'keyword.other.into.ddd'], ['8', 'constant.numeric.integer.ddd'],
  ]],
  ['contexts/marketplace.ddd', 'tenant by tenant_id', [
    ['tenant', 'keyword.other.tenant.ddd'], ['by', 'keyword.other.by.ddd'], ['tenant_id', 'variable.other.field.ddd'],
  ]],
  ['contexts/marketplace.ddd', 'id: bigint identity', [['identity', 'storage.modifier.identity.ddd']]],
  ['contexts/marketplace.ddd', 'usuario: ref autenticacion.Usuario loose unique', [
    ['autenticacion', 'entity.name.namespace.ddd'], ['loose', 'storage.modifier.loose.ddd'],
    ['unique', 'storage.modifier.unique.ddd'],
  ]],
  ['contexts/marketplace.ddd', 'search spanish (nombre A, biografia B)', [
    ['search', 'keyword.declaration.search.ddd'], ['spanish', 'support.constant.text-search-config.ddd'],
    [' A', 'constant.language.weight.ddd', 1, 1], ['biografia', 'variable.other.field.ddd'],
  ]],
  ['contexts/marketplace.ddd', 'invariant codigo_formato: codigo matches', [
    ['[a-z0-9]', 'constant.other.character-class.set.regexp.ddd'], ['$/', 'keyword.control.anchor.regexp.ddd', 0, 1],
  ]],
  ['contexts/reservas.ddd', 'unique (tutor, inicio) where estado != CANCELADA', [
    ['unique', 'keyword.declaration.unique.ddd'], ['where', 'keyword.other.where.ddd'],
    ['!=', 'keyword.operator.comparison.ddd'], ['CANCELADA', 'constant.other.enum-member.ddd'],
  ]],
  ['contexts/reservas.ddd', 'sql "', [
    ['sql', 'keyword.other.sql.ddd'], ['IS NULL', 'string.quoted.double.sql.ddd'],
    ["'4 hours'", 'string.quoted.double.sql.ddd'],
  ]],
  ['contexts/reservas.ddd', 'events outbox monthly from 2025-11 to 2026-12 {', [
    ['events', 'keyword.declaration.events.ddd'], ['outbox', 'storage.modifier.outbox.ddd'],
    ['to', 'keyword.other.to.ddd'],
  ]],
  ['contexts/pagos.ddd', 'partition by list (pais) {', [
    ['list', 'keyword.other.list.ddd'], ['es:', 'entity.name.partition.ddd', 0, 2],
    ["'PE'", 'string.quoted.single.ddd'],
  ]],
  ['contexts/pagos.ddd', '@allow(L006,', [
    ['allow', 'storage.type.annotation.ddd'], ['L006', 'constant.other.diagnostic-code.ddd'],
    ["'respuesta", 'string.quoted.single.ddd'],
  ]],
  ['contexts/pagos.ddd', 'key (moneda, fecha)', [['key', 'keyword.declaration.key.ddd'], ['moneda', 'variable.other.field.ddd']]],
];

function checkTargeted(mitogaDir, tokenized, failures) {
  let n = 0;
  for (const [file, find, expectations] of TARGETED) {
    const rel = path.relative(REPO, path.join(mitogaDir, file));
    const entry = tokenized.get(rel);
    if (!entry) {
      failures.add(rel, 'file not found for a targeted assertion');
      continue;
    }
    const l = entry.lines.findIndex((x) => x.includes(find));
    if (l < 0) {
      failures.add(rel, `no line contains ${JSON.stringify(find)} (targeted assertion)`);
      continue;
    }
    const line = entry.lines[l];
    const base = line.indexOf(find);
    for (const [text, scope, offset = 0, len] of expectations) {
      let i = line.indexOf(text, base);
      if (i < 0) i = line.indexOf(text);
      if (i < 0) {
        failures.add(`${rel}:${l + 1}`, `targeted: ${JSON.stringify(text)} not on the line ${JSON.stringify(line)}`);
        continue;
      }
      n++;
      const from = i + offset;
      const to = from + (len === undefined ? text.length - offset : len);
      for (let c = from; c < to; c++) {
        const s = entry.perLine[l].scopesAt[c] || [];
        if (!s.includes(scope)) {
          failures.add(
            `${rel}:${l + 1}:${c + 1}`,
            `targeted: ${JSON.stringify(line.slice(from, to))} should be ${scope}, got ${show(s)}`
          );
          break;
        }
      }
    }
  }
  return n;
}

// ----------------------------------------------------------------- the run
function dddFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.ddd')) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

async function dump(file) {
  const grammar = await loadGrammar();
  const lines = readLines(file);
  const perLine = tokenize(grammar, lines, file);
  lines.forEach((line, i) => {
    console.log(`${String(i + 1).padStart(4)} | ${line}`);
    for (const t of perLine[i].tokens) {
      const text = line.slice(t.startIndex, t.endIndex);
      if (text.trim() === '') continue;
      console.log(`       ${JSON.stringify(text).padEnd(28)} ${t.scopes.slice(1).join(' ')}`);
    }
  });
}

async function main() {
  if (!fs.existsSync(PEST_PATH)) fatal(`${PEST_PATH} not found: run this file from a checkout of the dddc repository`);
  const failures = new Failures();

  // the JSON is what build-grammar.js writes
  if (fs.readFileSync(GRAMMAR_PATH, 'utf8') !== build.render()) {
    failures.add(
      path.relative(REPO, GRAMMAR_PATH),
      'out of date with syntaxes/build-grammar.js: run `npm run build:grammar --prefix editors/vscode`'
    );
  }
  // every keyword of grammar/ddd.pest has a place in the grammar
  const grammarText = fs.readFileSync(GRAMMAR_PATH, 'utf8');
  const pestKws = build.pestKeywords(fs.readFileSync(PEST_PATH, 'utf8'));
  if (pestKws.length < 50) failures.add('grammar/ddd.pest', `only ${pestKws.length} keywords found: has the kw_* convention changed?`);
  for (const k of pestKws) {
    if (!build.roleKeywords().includes(k)) {
      failures.add('grammar/ddd.pest', `keyword \`${k}\` has no place in KEYWORD_ROLES of syntaxes/build-grammar.js`);
    }
    if (!new RegExp(`[(|:]${k}[)|]`).test(grammarText)) {
      failures.add(path.relative(REPO, GRAMMAR_PATH), `keyword \`${k}\` of grammar/ddd.pest appears in no pattern`);
    }
  }

  const grammar = await loadGrammar();
  const files = [...dddFiles(path.join(REPO, 'examples')), ...dddFiles(path.join(REPO, 'tests'))];
  if (files.length === 0) fatal(`no .ddd file under ${REPO}/examples or ${REPO}/tests`);
  const tokenized = new Map();
  let nLines = 0;
  let nTokens = 0;
  let nKeywords = 0;
  let nFields = 0;
  let nComments = 0;
  let nStrings = 0;
  for (const file of files) {
    const rel = path.relative(REPO, file);
    const lines = readLines(file);
    let perLine;
    try {
      perLine = tokenize(grammar, lines, rel);
    } catch (e) {
      failures.add(rel, e.message);
      continue;
    }
    tokenized.set(rel, { lines, perLine });
    nLines += lines.length;
    nTokens += perLine.reduce((n, p) => n + p.tokens.length, 0);
    const r = checkFile(rel, lines, perLine, failures);
    nKeywords += r.keywordsChecked;
    nFields += r.fieldsChecked;
    nComments += r.comments;
    nStrings += r.strings;
  }
  const nTargeted = checkTargeted(path.join(REPO, 'examples', 'mitoga'), tokenized, failures);

  console.log(
    `grammar test: ${files.length} files, ${nLines} lines, ${nTokens} tokens; ` +
      `checked ${nComments} comments, ${nStrings} strings, ${nKeywords} declaration keywords, ${nFields} field names, ` +
      `${nTargeted} targeted scopes, ${pestKws.length} pest keywords`
  );
  if (failures.list.length) {
    const max = 60;
    for (const f of failures.list.slice(0, max)) console.error(`FAIL ${f}`);
    if (failures.list.length > max) console.error(`... and ${failures.list.length - max} more`);
    console.error(`grammar test: ${failures.list.length} failure(s)`);
    process.exit(1);
  }
  console.log('grammar test: all checks passed');
}

const dumpAt = process.argv.indexOf('--dump');
(dumpAt > 0 ? dump(path.resolve(process.argv[dumpAt + 1])) : main()).catch((e) => fatal(e.stack || String(e)));
