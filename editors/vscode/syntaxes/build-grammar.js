#!/usr/bin/env node
// Generates syntaxes/ddd.tmLanguage.json, the TextMate grammar of the `.ddd`
// language (scope `source.ddd`).
//
//   node syntaxes/build-grammar.js          write the JSON
//   node syntaxes/build-grammar.js --check  fail if the JSON is out of date
//
// The regular expressions are written here once, readable, and serialised to
// JSON (where every backslash would otherwise be doubled by hand). The keyword
// lists follow the `kw_*` rules of grammar/ddd.pest; `KEYWORD_ROLES` below says
// where each keyword is highlighted, and `pestKeywords()` reads the pest file so
// that the grammar test fails when a keyword is added there and not here.
//
// How the grammar is organised (TextMate grammars see one line at a time):
// - Nesting blocks (model, context, value, aggregate, entity) are NOT regions:
//   their header is one `match`, their body is the file-level pattern list. A
//   missing `}` therefore never colours the rest of the file wrongly.
// - Leaf blocks whose body holds no nested braces (enum, events, role,
//   publication, defaults, `partition by list`) ARE regions, so that what sits
//   in their body (enum values, event names, grants...) is scoped by position.
// - Line items (a field `name: type ...`, `invariant`, `index`, `unique`,
//   `search`, `key`, `partition`, `extensions`, `audit_log`, a one-line
//   `value X: type check ...`) are regions that end at the end of the line or
//   before a `}` closing the block on the same line.
// - Keywords are reserved only where the grammar asks for them: a word followed
//   by `:` is a field name (`index: int`, `value: text`), so every keyword that
//   starts an item carries the look-ahead `(?!\s*:)`.
'use strict';

const fs = require('fs');
const path = require('path');

// ------------------------------------------------------------- building blocks
const ID = '[A-Za-z_][A-Za-z0-9_]*';
const B = '(?<![A-Za-z0-9_])'; // start of a word (ASCII, like pest's ident_char)
const E = '(?![A-Za-z0-9_])'; // end of a word
const NC = '(?!\\s*:)'; // not a field name (`index: int`)
const ITEM_END = '$|(?=\\})'; // end of a line item: end of line, or a `}` closing its block
const kw = (word) => `${B}(${word})${E}`;

// Where each keyword of grammar/ddd.pest is highlighted (the scope named on
// each list is the usual one; a few words get another where they play another
// part, e.g. `null` in `on delete set null`). Every `kw_*` literal of the pest
// grammar must appear here (checked when the grammar is built and by the test).
const KEYWORD_ROLES = {
  // declarations and block items: keyword.declaration.<kw>.ddd
  declaration: [
    'model', 'include', 'context', 'enum', 'value', 'aggregate', 'entity', 'role',
    'publication', 'events', 'invariant', 'index', 'unique', 'search', 'partition',
    'key', 'expected_rows',
  ],
  // model and context settings: keyword.other.<kw>.ddd
  setting: ['target', 'tables', 'extensions', 'defaults', 'audit_log', 'tenant', 'read', 'write'],
  // flags and modifiers: storage.modifier.<kw>.ddd
  modifier: [
    'soft_delete', 'audited', 'tenant_scoped', 'timestamps', 'native', 'one', 'loose',
    'indexed', 'identity', 'v7', 'outbox', 'no',
  ],
  // connecting words inside an item: keyword.other.<kw>.ddd
  other: [
    'by', 'as', 'ref', 'on', 'delete', 'update', 'restrict', 'cascade', 'set', 'action',
    'check', 'using', 'where', 'including', 'deleted', 'monthly', 'from', 'to', 'range',
    'list', 'hash', 'into', 'sql',
  ],
  // expression operators: keyword.operator.*.ddd
  operator: ['implies', 'or', 'and', 'not', 'is', 'in', 'between', 'matches'],
  // expression constants: constant.language.*.ddd
  constant: ['null', 'true', 'false'],
};

// Names the compiler knows that the pest grammar leaves as plain identifiers
// (src/model/types.rs SCALARS, src/model/mod.rs Function::ALL, ...).
const BUILTIN_TYPES = [
  'uuid', 'text', 'char', 'smallint', 'int', 'bigint', 'decimal', 'float', 'bool', 'date',
  'time', 'interval', 'timestamp', 'json', 'bytes', 'password_hash', 'encrypted', 'geo_point',
];
const FUNCTIONS = ['len', 'lower', 'upper', 'trim', 'abs', 'coalesce', 'now', 'date'];

// Keywords that start an item of a block; a field region ends before them so
// that `{ c: char(2) partition by list (c) { ... } }` on one line still works.
const ITEM_START = [
  'model', 'include', 'context', 'enum', 'value', 'aggregate', 'entity', 'role',
  'publication', 'events', 'invariant', 'index', 'search', 'partition', 'key',
  'expected_rows', 'target', 'tables', 'extensions', 'defaults', 'audit_log', 'tenant',
  'soft_delete', 'audited', 'tenant_scoped', 'timestamps',
];
const FLAGS = ['soft_delete', 'audited', 'tenant_scoped', 'timestamps'];
const TOP_DECLS = ['model', 'include', 'context', 'enum', 'value', 'aggregate', 'entity', 'role', 'publication'];

/// The keyword literals of grammar/ddd.pest (`kw_x = @{ "x" ~ ... }` and
/// `kw_flag = @{ ("a" | "b") ~ ... }`).
function pestKeywords(pestSource) {
  const out = new Set();
  for (const m of pestSource.matchAll(/^\s*kw_\w+\s*=\s*@\{(.*)\}\s*$/gm)) {
    // only the literals before the first `~ !` (the rest are look-aheads)
    const head = m[1].split('~')[0];
    for (const lit of head.matchAll(/"([a-z_0-9]+)"/g)) out.add(lit[1]);
  }
  return [...out].sort();
}

function roleKeywords() {
  return Object.values(KEYWORD_ROLES).flat();
}

/// One `match` pattern per word, each with its own scope name.
function words(list, scope, after = '') {
  return list.map((k) => ({ match: `${B}(${k})${E}${after}`, captures: { 1: { name: scope(k) } } }));
}

// `index using gin (a, lower(b)) where x including deleted @name(n)`, and `unique ...`
function indexRegion(word) {
  return {
    name: `meta.${word}.ddd`,
    begin: `${kw(word)}${NC}`,
    beginCaptures: { 1: { name: `keyword.declaration.${word}.ddd` } },
    end: ITEM_END,
    patterns: [
      { include: '#annotations' },
      {
        match: `${B}(using)${E}(?:\\s+(${ID}))?`,
        captures: {
          1: { name: 'keyword.other.using.ddd' },
          2: { name: 'support.constant.index-method.ddd' },
        },
      },
      { match: kw('where'), captures: { 1: { name: 'keyword.other.where.ddd' } } },
      {
        match: `${B}(including)\\s+(deleted)${E}`,
        captures: { 1: { name: 'keyword.other.including.ddd' }, 2: { name: 'keyword.other.deleted.ddd' } },
      },
      { include: '#expression' },
    ],
  };
}

// ---------------------------------------------------------------- the grammar
function grammar() {
  const itemEnd = ITEM_END;
  const nextField = `(?=${B}${ID}\\s*:(?!:))`;
  const itemStartAhead = `(?=${B}(?:${ITEM_START.join('|')}|no\\s+(?:${FLAGS.join('|')}))${E}${NC})`;
  // ends a leaf block's header when its `{` never comes (broken code): a line
  // that starts another declaration or a field
  const guard = `(?=^\\s*(?:(?:${TOP_DECLS.concat(['events', 'invariant', 'index', 'unique']).join('|')})${E}${NC}|${ID}\\s*:))`;

  const repository = {
    // ------------------------------------------------------------ comments --
    comments: {
      patterns: [{ include: '#doc-comment' }, { include: '#line-comment' }],
    },
    'doc-comment': {
      name: 'comment.line.documentation.ddd',
      begin: '///(?!/)',
      beginCaptures: { 0: { name: 'punctuation.definition.comment.ddd' } },
      end: '$',
      patterns: [
        { name: 'markup.inline.raw.string.markdown', match: '`[^`]*`' },
        { name: 'markup.bold.markdown', match: '\\*\\*(?=\\S)(?:[^*]|\\*(?!\\*))*?\\*\\*' },
      ],
    },
    'line-comment': {
      name: 'comment.line.double-slash.ddd',
      begin: '//',
      beginCaptures: { 0: { name: 'punctuation.definition.comment.ddd' } },
      end: '$',
    },

    // ------------------------------------------------------------- strings --
    strings: {
      patterns: [{ include: '#string-single' }, { include: '#string-double' }],
    },
    // `'...'` (pest: sq_string) never spans lines; `''` is a quote.
    'string-single': {
      name: 'string.quoted.single.ddd',
      begin: "'",
      beginCaptures: { 0: { name: 'punctuation.definition.string.begin.ddd' } },
      end: "'(?!')|$",
      endCaptures: { 0: { name: 'punctuation.definition.string.end.ddd' } },
      patterns: [{ name: 'constant.character.escape.quote.ddd', match: "''" }],
    },
    // `"..."` (pest: dq_string) may span lines; `""` is a quote.
    'string-double': {
      name: 'string.quoted.double.ddd',
      begin: '"',
      beginCaptures: { 0: { name: 'punctuation.definition.string.begin.ddd' } },
      end: '"(?!")',
      endCaptures: { 0: { name: 'punctuation.definition.string.end.ddd' } },
      patterns: [{ name: 'constant.character.escape.quote.ddd', match: '""' }],
    },
    // `sql "..."`: verbatim SQL, the language's escape hatch.
    'sql-escape': {
      name: 'meta.embedded.sql.ddd',
      begin: `${B}(sql)\\s*(?=["'])`,
      beginCaptures: { 1: { name: 'keyword.other.sql.ddd' } },
      end: `(?<=["'])`,
      patterns: [
        {
          name: 'string.quoted.single.sql.ddd',
          begin: "'",
          beginCaptures: { 0: { name: 'punctuation.definition.string.begin.ddd' } },
          end: "'(?!')|$",
          endCaptures: { 0: { name: 'punctuation.definition.string.end.ddd' } },
          patterns: [{ name: 'constant.character.escape.quote.ddd', match: "''" }],
        },
        {
          name: 'string.quoted.double.sql.ddd',
          begin: '"',
          beginCaptures: { 0: { name: 'punctuation.definition.string.begin.ddd' } },
          end: '"(?!")',
          endCaptures: { 0: { name: 'punctuation.definition.string.end.ddd' } },
          patterns: [{ name: 'constant.character.escape.quote.ddd', match: '""' }],
        },
      ],
    },

    // --------------------------------------------------------------- regex --
    // `matches /.../` (pest: regex, only after `matches`); `\/` escapes a slash.
    regex: {
      name: 'meta.matches.ddd',
      begin: `${B}(matches)${E}\\s*(/)(?!/)`,
      beginCaptures: {
        1: { name: 'keyword.operator.word.matches.ddd' },
        2: { name: 'string.regexp.ddd punctuation.definition.string.begin.regexp.ddd' },
      },
      end: '(/)|$',
      endCaptures: { 1: { name: 'string.regexp.ddd punctuation.definition.string.end.regexp.ddd' } },
      contentName: 'string.regexp.ddd',
      patterns: [
        { name: 'constant.character.escape.regexp.ddd', match: '\\\\.' },
        {
          name: 'constant.other.character-class.set.regexp.ddd',
          match: '\\[\\^?\\]?(?:\\\\.|[^\\]\\\\/])*\\]',
        },
        { name: 'keyword.operator.quantifier.regexp.ddd', match: '[*+?]|\\{\\d+(?:,\\d*)?\\}' },
        { name: 'keyword.control.anchor.regexp.ddd', match: '[\\^$]' },
        { name: 'keyword.operator.or.regexp.ddd', match: '\\|' },
        { name: 'punctuation.definition.group.regexp.ddd', match: '[()]' },
      ],
    },

    // ------------------------------------------------------------ literals --
    numbers: {
      patterns: [
        { name: 'constant.numeric.date.ddd', match: `${B}\\d{4}-\\d{2}-\\d{2}${E}` },
        { name: 'constant.numeric.decimal.ddd', match: `${B}\\d+\\.\\d+${E}` },
        { name: 'constant.numeric.integer.ddd', match: `${B}\\d+${E}` },
      ],
    },
    month: {
      patterns: [
        { name: 'constant.numeric.date.ddd', match: `${B}\\d{4}-\\d{2}-\\d{2}${E}` },
        { name: 'constant.numeric.month.ddd', match: `${B}\\d{4}-\\d{2}(?![A-Za-z0-9_-])` },
      ],
    },
    'month-range': {
      patterns: [
        { match: kw('monthly'), captures: { 1: { name: 'keyword.other.monthly.ddd' } } },
        { match: kw('from'), captures: { 1: { name: 'keyword.other.from.ddd' } } },
        { match: kw('to'), captures: { 1: { name: 'keyword.other.to.ddd' } } },
        { include: '#month' },
      ],
    },
    // `50M`, `10k`, `1.5G` (pest: size)
    size: {
      match: `${B}(\\d+(?:\\.\\d+)?)([kKMGB])?${E}`,
      name: 'constant.numeric.size.ddd',
      captures: { 2: { name: 'keyword.other.unit.ddd' } },
    },
    'empty-literals': {
      patterns: [
        { name: 'constant.language.empty-object.ddd', match: '\\{\\s*\\}' },
        { name: 'constant.language.empty-array.ddd', match: '\\[\\s*\\]' },
      ],
    },

    // --------------------------------------------------------- annotations --
    annotations: {
      patterns: [
        {
          name: 'meta.annotation.ddd',
          begin: `(@)\\s*(${ID})\\s*(\\()`,
          beginCaptures: {
            1: { name: 'punctuation.definition.annotation.ddd' },
            2: { name: 'storage.type.annotation.ddd' },
            3: { name: 'punctuation.definition.arguments.begin.ddd' },
          },
          end: '\\)',
          endCaptures: { 0: { name: 'punctuation.definition.arguments.end.ddd' } },
          patterns: [
            // lint and diagnostic codes in @allow(L017, 'why')
            { name: 'constant.other.diagnostic-code.ddd', match: `${B}[LEW]\\d{3,4}${E}` },
            { include: '#expression' },
          ],
        },
        {
          name: 'meta.annotation.ddd',
          match: `(@)\\s*(${ID})`,
          captures: {
            1: { name: 'punctuation.definition.annotation.ddd' },
            2: { name: 'storage.type.annotation.ddd' },
          },
        },
      ],
    },

    // --------------------------------------------------------- expressions --
    expression: {
      patterns: [
        { include: '#comments' },
        { include: '#sql-escape' },
        { include: '#strings' },
        { include: '#regex' },
        { include: '#empty-literals' },
        { include: '#numbers' },
        { match: kw('(?:and|or|not|implies)'), captures: { 1: { name: 'keyword.operator.logical.ddd' } } },
        { match: kw('(?:is|in|between|matches)'), captures: { 1: { name: 'keyword.operator.word.ddd' } } },
        { match: kw('null'), captures: { 1: { name: 'constant.language.null.ddd' } } },
        { match: kw('(?:true|false)'), captures: { 1: { name: 'constant.language.boolean.ddd' } } },
        {
          name: 'meta.function-call.ddd',
          begin: `${B}(${FUNCTIONS.join('|')})\\s*(\\()`,
          beginCaptures: {
            1: { name: 'support.function.builtin.ddd' },
            2: { name: 'punctuation.definition.arguments.begin.ddd' },
          },
          end: '\\)',
          endCaptures: { 0: { name: 'punctuation.definition.arguments.end.ddd' } },
          patterns: [{ include: '#expression' }],
        },
        {
          name: 'meta.function-call.ddd',
          begin: `${B}(${ID})\\s*(\\()`,
          beginCaptures: {
            1: { name: 'entity.name.function.ddd' },
            2: { name: 'punctuation.definition.arguments.begin.ddd' },
          },
          end: '\\)',
          endCaptures: { 0: { name: 'punctuation.definition.arguments.end.ddd' } },
          patterns: [{ include: '#expression' }],
        },
        {
          name: 'meta.parens.ddd',
          begin: '\\(',
          beginCaptures: { 0: { name: 'punctuation.section.parens.begin.ddd' } },
          end: '\\)',
          endCaptures: { 0: { name: 'punctuation.section.parens.end.ddd' } },
          patterns: [{ include: '#expression' }],
        },
        // enum values are UPPER_SNAKE: `estado == ACTIVO`
        { name: 'constant.other.enum-member.ddd', match: `${B}[A-Z][A-Z0-9_]*${E}` },
        {
          match: `(\\.)\\s*(${ID})`,
          captures: {
            1: { name: 'punctuation.accessor.ddd' },
            2: { name: 'variable.other.property.ddd' },
          },
        },
        { name: 'variable.other.ddd', match: `${B}${ID}` },
        { name: 'keyword.operator.comparison.ddd', match: '==|!=|<=|>=|<|>' },
        { name: 'keyword.operator.arithmetic.ddd', match: '[-+*/%]' },
        { name: 'punctuation.separator.comma.ddd', match: ',' },
      ],
    },

    // --------------------------------------------------------------- types --
    // `ref ctx.Aggregate? on delete set null loose`, `text(255)[]?`, `uuid v7`
    type: {
      patterns: [
        {
          match: `${B}(ref)${E}(?:\\s*(?:(${ID})\\s*(\\.)\\s*)?(${ID}))?`,
          captures: {
            1: { name: 'keyword.other.ref.ddd' },
            2: { name: 'entity.name.namespace.ddd' },
            3: { name: 'punctuation.accessor.ddd' },
            4: { name: 'entity.name.type.ddd' },
          },
        },
        ...['delete', 'update'].map((what) => ({
          match: `${B}(on)\\s+(${what})${E}`,
          captures: { 1: { name: 'keyword.other.on.ddd' }, 2: { name: `keyword.other.${what}.ddd` } },
        })),
        ...words(['restrict', 'cascade'], (k) => `keyword.other.${k}.ddd`),
        {
          match: `${B}(set)\\s+(?:(null)|(${ID}))${E}`,
          captures: {
            1: { name: 'keyword.other.set.ddd' },
            2: { name: 'keyword.other.null.ddd' },
            3: { name: 'keyword.other.default.ddd' },
          },
        },
        {
          match: `${B}(no)\\s+(action)${E}`,
          captures: { 1: { name: 'keyword.other.no.ddd' }, 2: { name: 'keyword.other.action.ddd' } },
        },
        ...words(['loose', 'identity', 'v7'], (k) => `storage.modifier.${k}.ddd`, NC),
        { match: `${B}(${BUILTIN_TYPES.join('|')})${E}`, captures: { 1: { name: 'support.type.builtin.ddd' } } },
        {
          match: `${B}(${ID})\\s*(\\.)\\s*(${ID})`,
          captures: {
            1: { name: 'entity.name.namespace.ddd' },
            2: { name: 'punctuation.accessor.ddd' },
            3: { name: 'entity.name.type.ddd' },
          },
        },
        { name: 'entity.name.type.ddd', match: `${B}${ID}` },
        { name: 'storage.modifier.array.ddd', match: '\\[\\s*\\]' },
        { name: 'keyword.operator.optional.ddd', match: '\\?' },
        { name: 'punctuation.definition.arguments.begin.ddd', match: '\\(' },
        { name: 'punctuation.definition.arguments.end.ddd', match: '\\)' },
        { include: '#numbers' },
        { name: 'punctuation.separator.comma.ddd', match: ',' },
      ],
    },

    // -------------------------------------------------------------- fields --
    // `name: type (= default)? unique? indexed? @annotations...`
    field: {
      name: 'meta.field.ddd',
      begin: `${B}(${ID})\\s*(:)(?!:)`,
      beginCaptures: {
        1: { name: 'variable.other.field.ddd' },
        2: { name: 'punctuation.separator.colon.ddd' },
      },
      end: `${itemEnd}|${nextField}|${itemStartAhead}`,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { include: '#annotations' },
        { include: '#default-value' },
        // not valid here, but lexed the same everywhere
        { include: '#strings' },
        { include: '#regex' },
        ...words(['unique', 'indexed'], (k) => `storage.modifier.${k}.ddd`, NC),
        { include: '#type' },
      ],
    },
    'default-value': {
      name: 'meta.default-value.ddd',
      begin: '=',
      beginCaptures: { 0: { name: 'keyword.operator.assignment.ddd' } },
      end: `${itemEnd}|(?=@)|(?=${B}(?:unique|indexed)${E}${NC})|${nextField}|${itemStartAhead}`,
      patterns: [{ include: '#expression' }],
    },

    // ----------------------------------------------------- model and context --
    model: {
      match: `${kw('model')}${NC}(?:\\s+(${ID}))?`,
      captures: {
        1: { name: 'keyword.declaration.model.ddd' },
        2: { name: 'entity.name.namespace.model.ddd' },
      },
    },
    include: {
      match: `${kw('include')}${NC}`,
      captures: { 1: { name: 'keyword.declaration.include.ddd' } },
    },
    target: {
      match: `${kw('target')}${NC}(?:\\s+(${ID}))?(?:\\s+(\\d+)${E})?`,
      captures: {
        1: { name: 'keyword.other.target.ddd' },
        2: { name: 'support.constant.database.ddd' },
        3: { name: 'constant.numeric.integer.ddd' },
      },
    },
    tables: {
      match: `${kw('tables')}${NC}(?:\\s+(${ID}))?`,
      captures: {
        1: { name: 'keyword.other.tables.ddd' },
        2: { name: 'support.constant.table-naming.ddd' },
      },
    },
    extensions: {
      name: 'meta.extensions.ddd',
      begin: `${kw('extensions')}${NC}`,
      beginCaptures: { 1: { name: 'keyword.other.extensions.ddd' } },
      end: itemEnd,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { name: 'support.constant.extension.ddd', match: '[A-Za-z0-9_-]+' },
        { name: 'punctuation.separator.comma.ddd', match: ',' },
      ],
    },
    defaults: {
      name: 'meta.defaults.ddd',
      begin: `${kw('defaults')}${NC}`,
      beginCaptures: { 1: { name: 'keyword.other.defaults.ddd' } },
      end: `(?<=\\})|(?=\\})|${guard}`,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        {
          name: 'meta.block.defaults.ddd',
          begin: '\\{',
          beginCaptures: { 0: { name: 'punctuation.section.block.begin.ddd' } },
          end: '\\}',
          endCaptures: { 0: { name: 'punctuation.section.block.end.ddd' } },
          patterns: [
            { include: '#comments' },
            { include: '#strings' },
            { match: kw('no'), captures: { 1: { name: 'storage.modifier.no.ddd' } } },
            ...words(FLAGS, (k) => `storage.modifier.flag.${k}.ddd`),
            { name: 'variable.other.setting.ddd', match: `${B}${ID}` },
          ],
        },
      ],
    },
    'audit-log': {
      name: 'meta.audit-log.ddd',
      begin: `${kw('audit_log')}${NC}(?:\\s+(?:(${ID})\\s*(\\.)\\s*)?(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.other.audit_log.ddd' },
        2: { name: 'entity.name.namespace.ddd' },
        3: { name: 'punctuation.accessor.ddd' },
        4: { name: 'entity.name.table.ddd' },
      },
      end: itemEnd,
      patterns: [{ include: '#comments' }, { include: '#strings' }, { include: '#month-range' }],
    },
    context: {
      match: `${kw('context')}${NC}(?:\\s+(${ID}))?`,
      captures: {
        1: { name: 'keyword.declaration.context.ddd' },
        2: { name: 'entity.name.namespace.context.ddd' },
      },
    },
    'tenant-by': {
      match: `${kw('tenant')}${NC}(?:\\s+(by)${E})?(?:\\s+(${ID}))?`,
      captures: {
        1: { name: 'keyword.other.tenant.ddd' },
        2: { name: 'keyword.other.by.ddd' },
        3: { name: 'variable.other.field.ddd' },
      },
    },
    role: {
      name: 'meta.role.ddd',
      begin: `${kw('role')}${NC}(?:\\s+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.declaration.role.ddd' },
        2: { name: 'entity.name.type.role.ddd' },
      },
      end: `(?<=\\})|(?=\\})|${guard}`,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        {
          name: 'meta.block.role.ddd',
          begin: '\\{',
          beginCaptures: { 0: { name: 'punctuation.section.block.begin.ddd' } },
          end: '\\}',
          endCaptures: { 0: { name: 'punctuation.section.block.end.ddd' } },
          patterns: [
            { include: '#comments' },
            { include: '#strings' },
            ...words(['read', 'write'], (k) => `keyword.other.${k}.ddd`),
            { name: 'entity.name.namespace.ddd', match: `${B}${ID}` },
            { name: 'punctuation.separator.comma.ddd', match: ',' },
          ],
        },
      ],
    },
    publication: {
      name: 'meta.publication.ddd',
      begin: `${kw('publication')}${NC}(?:\\s+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.declaration.publication.ddd' },
        2: { name: 'entity.name.type.publication.ddd' },
      },
      end: `(?<=\\})|(?=\\})|${guard}`,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        {
          name: 'meta.block.publication.ddd',
          begin: '\\{',
          beginCaptures: { 0: { name: 'punctuation.section.block.begin.ddd' } },
          end: '\\}',
          endCaptures: { 0: { name: 'punctuation.section.block.end.ddd' } },
          patterns: [
            { include: '#comments' },
            { include: '#strings' },
            {
              match: `${B}(${ID})\\s*(\\.)\\s*(${ID})`,
              captures: {
                1: { name: 'entity.name.namespace.ddd' },
                2: { name: 'punctuation.accessor.ddd' },
                3: { name: 'entity.name.type.ddd' },
              },
            },
            { name: 'entity.name.namespace.ddd', match: `${B}${ID}` },
            { name: 'punctuation.separator.comma.ddd', match: ',' },
          ],
        },
      ],
    },

    // ---------------------------------------------------- enums and values --
    enum: {
      name: 'meta.enum.ddd',
      begin: `${kw('enum')}${NC}(?:\\s+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.declaration.enum.ddd' },
        2: { name: 'entity.name.type.enum.ddd' },
      },
      end: `(?<=\\})|(?=\\})|${guard}`,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { match: `${kw('native')}${NC}`, captures: { 1: { name: 'storage.modifier.native.ddd' } } },
        { include: '#annotations' },
        {
          name: 'meta.block.enum.ddd',
          begin: '\\{',
          beginCaptures: { 0: { name: 'punctuation.section.block.begin.ddd' } },
          end: '\\}',
          endCaptures: { 0: { name: 'punctuation.section.block.end.ddd' } },
          patterns: [
            { include: '#comments' },
            { include: '#strings' },
            { include: '#annotations' },
            { name: 'constant.other.enum-member.ddd', match: `${B}${ID}` },
            { name: 'punctuation.separator.comma.ddd', match: ',' },
          ],
        },
      ],
    },
    // `value Email: text(255) check matches /.../` or `value Dinero { ... }`
    value: {
      name: 'meta.value.ddd',
      begin: `${kw('value')}${NC}(?:\\s+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.declaration.value.ddd' },
        2: { name: 'entity.name.type.value.ddd' },
      },
      end: `${itemEnd}|(?=\\{)`,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { include: '#annotations' },
        {
          name: 'meta.check.ddd',
          begin: kw('check'),
          beginCaptures: { 1: { name: 'keyword.other.check.ddd' } },
          end: itemEnd,
          patterns: [{ include: '#expression' }],
        },
        { name: 'punctuation.separator.colon.ddd', match: ':' },
        { include: '#type' },
      ],
    },

    // ---------------------------------------------- aggregates and entities --
    aggregate: {
      match: `${kw('aggregate')}${NC}(?:\\s+(${ID}))?(?:\\s+(as)${E}(?:\\s*(${ID}))?)?`,
      captures: {
        1: { name: 'keyword.declaration.aggregate.ddd' },
        2: { name: 'entity.name.type.aggregate.ddd' },
        3: { name: 'keyword.other.as.ddd' },
        4: { name: 'entity.name.table.ddd' },
      },
    },
    entity: {
      match: `${kw('entity')}${NC}(?:\\s+(${ID}))?(?:\\s+(as)${E}(?:\\s*(${ID}))?)?(?:\\s+(one)${E})?`,
      captures: {
        1: { name: 'keyword.declaration.entity.ddd' },
        2: { name: 'entity.name.type.entity.ddd' },
        3: { name: 'keyword.other.as.ddd' },
        4: { name: 'entity.name.table.ddd' },
        5: { name: 'storage.modifier.one.ddd' },
      },
    },
    flag: {
      patterns: FLAGS.map((k) => ({
        match: `${B}(?:(no)\\s+)?(${k})${E}${NC}`,
        captures: {
          1: { name: 'storage.modifier.no.ddd' },
          2: { name: `storage.modifier.flag.${k}.ddd` },
        },
      })),
    },
    'expected-rows': {
      name: 'meta.expected-rows.ddd',
      begin: `${kw('expected_rows')}${NC}`,
      beginCaptures: { 1: { name: 'keyword.declaration.expected_rows.ddd' } },
      end: itemEnd,
      patterns: [{ include: '#comments' }, { include: '#strings' }, { include: '#size' }],
    },
    key: {
      name: 'meta.key.ddd',
      begin: `${kw('key')}${NC}`,
      beginCaptures: { 1: { name: 'keyword.declaration.key.ddd' } },
      end: itemEnd,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { name: 'variable.other.field.ddd', match: `${B}${ID}` },
        { name: 'punctuation.section.parens.begin.ddd', match: '\\(' },
        { name: 'punctuation.section.parens.end.ddd', match: '\\)' },
        { name: 'punctuation.separator.comma.ddd', match: ',' },
      ],
    },
    // `invariant name @allow(...): expr`
    invariant: {
      name: 'meta.invariant.ddd',
      begin: `${kw('invariant')}${NC}(?:\\s+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.declaration.invariant.ddd' },
        2: { name: 'entity.name.function.invariant.ddd' },
      },
      end: itemEnd,
      patterns: [
        { include: '#annotations' },
        { name: 'punctuation.separator.colon.ddd', match: ':' },
        { include: '#expression' },
      ],
    },
    index: indexRegion('index'),
    unique: indexRegion('unique'),
    events: {
      name: 'meta.events.ddd',
      begin: `${kw('events')}${NC}`,
      beginCaptures: { 1: { name: 'keyword.declaration.events.ddd' } },
      end: `(?<=\\})|(?=\\})|${guard}`,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { match: kw('outbox'), captures: { 1: { name: 'storage.modifier.outbox.ddd' } } },
        {
          match: `${B}(as)${E}(?:\\s*(${ID}))?`,
          captures: { 1: { name: 'keyword.other.as.ddd' }, 2: { name: 'entity.name.table.ddd' } },
        },
        { include: '#month-range' },
        { include: '#annotations' },
        {
          name: 'meta.block.events.ddd',
          begin: '\\{',
          beginCaptures: { 0: { name: 'punctuation.section.block.begin.ddd' } },
          end: '\\}',
          endCaptures: { 0: { name: 'punctuation.section.block.end.ddd' } },
          patterns: [
            { include: '#comments' },
            { include: '#strings' },
            { name: 'constant.other.event.ddd', match: `${B}${ID}` },
            { name: 'punctuation.separator.comma.ddd', match: ',' },
          ],
        },
      ],
    },
    // `partition by range (c) monthly from 2025-11 to 2026-12`,
    // `partition by list (c) { es: 'ES', mx: ('MX', 'MY') }`, `partition by hash (id) into 8`
    partition: {
      name: 'meta.partition.ddd',
      begin: `${kw('partition')}${NC}`,
      beginCaptures: { 1: { name: 'keyword.declaration.partition.ddd' } },
      end: itemEnd,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        ...words(['by', 'range', 'list', 'hash', 'into'], (k) => `keyword.other.${k}.ddd`),
        { include: '#month-range' },
        { include: '#numbers' },
        { name: 'punctuation.section.parens.begin.ddd', match: '\\(' },
        { name: 'punctuation.section.parens.end.ddd', match: '\\)' },
        {
          name: 'meta.block.partitions.ddd',
          begin: '\\{',
          beginCaptures: { 0: { name: 'punctuation.section.block.begin.ddd' } },
          end: '\\}',
          endCaptures: { 0: { name: 'punctuation.section.block.end.ddd' } },
          patterns: [
            { include: '#comments' },
            { include: '#strings' },
            {
              match: `${B}(${ID})\\s*(:)`,
              captures: {
                1: { name: 'entity.name.partition.ddd' },
                2: { name: 'punctuation.separator.colon.ddd' },
              },
            },
            { include: '#expression' },
          ],
        },
        { name: 'variable.other.field.ddd', match: `${B}${ID}` },
      ],
    },
    // `search spanish (nombre A, biografia B)`
    search: {
      name: 'meta.search.ddd',
      begin: `${kw('search')}${NC}(?:\\s+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.declaration.search.ddd' },
        2: { name: 'support.constant.text-search-config.ddd' },
      },
      end: itemEnd,
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { name: 'constant.language.weight.ddd', match: `${B}[A-D]${E}` },
        {
          match: `(\\.)\\s*(${ID})`,
          captures: {
            1: { name: 'punctuation.accessor.ddd' },
            2: { name: 'variable.other.property.ddd' },
          },
        },
        { name: 'variable.other.field.ddd', match: `${B}${ID}` },
        { name: 'punctuation.section.parens.begin.ddd', match: '\\(' },
        { name: 'punctuation.section.parens.end.ddd', match: '\\)' },
        { name: 'punctuation.separator.comma.ddd', match: ',' },
      ],
    },

    // ------------------------------------------------------------- blocks --
    // Everything that may stand in a model, context, value, aggregate or entity
    // body (and at the top level of a file).
    items: {
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { include: '#annotations' },
        { include: '#model' },
        { include: '#include' },
        { include: '#context' },
        { include: '#enum' },
        { include: '#value' },
        { include: '#aggregate' },
        { include: '#entity' },
        { include: '#role' },
        { include: '#publication' },
        { include: '#target' },
        { include: '#tables' },
        { include: '#extensions' },
        { include: '#defaults' },
        { include: '#audit-log' },
        { include: '#tenant-by' },
        { include: '#flag' },
        { include: '#expected-rows' },
        { include: '#key' },
        { include: '#invariant' },
        { include: '#index' },
        { include: '#unique' },
        { include: '#events' },
        { include: '#partition' },
        { include: '#search' },
        { include: '#field' },
        // an expression continued on the next line (pest skips newlines):
        // `invariant x: a > 0` / `  and b < 10`
        {
          name: 'meta.expression.continued.ddd',
          begin: `^(?=\\s*(?:(?:and|or|implies|not|is|in|between|matches)${E}${NC}|==|!=|<=|>=|<|>))`,
          end: itemEnd,
          patterns: [{ include: '#expression' }],
        },
        { include: '#regex' },
        // a default value continued on the next line: `z: text` / `= 'a'`
        {
          name: 'meta.default-value.ddd',
          begin: '^\\s*(=)',
          beginCaptures: { 1: { name: 'keyword.operator.assignment.ddd' } },
          end: `${itemEnd}|(?=@)|(?=${B}(?:unique|indexed)${E}${NC})`,
          patterns: [{ include: '#expression' }],
        },
        { name: 'punctuation.section.block.begin.ddd', match: '\\{' },
        { name: 'punctuation.section.block.end.ddd', match: '\\}' },
        { name: 'punctuation.separator.comma.ddd', match: ',' },
        { include: '#numbers' },
        { name: 'constant.other.enum-member.ddd', match: `${B}[A-Z][A-Z0-9_]*${E}` },
      ],
    },
  };

  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'DDD',
    scopeName: 'source.ddd',
    fileTypes: ['ddd'],
    comment:
      'The .ddd language of dddc (grammar/ddd.pest). Generated by syntaxes/build-grammar.js: edit that file, then run `npm run build:grammar`.',
    patterns: [{ include: '#items' }],
    repository,
  };
}

function render() {
  return JSON.stringify(grammar(), null, 2) + '\n';
}

module.exports = {
  grammar,
  render,
  pestKeywords,
  roleKeywords,
  KEYWORD_ROLES,
  BUILTIN_TYPES,
  FUNCTIONS,
};

if (require.main === module) {
  const out = path.join(__dirname, 'ddd.tmLanguage.json');
  const pest = path.resolve(__dirname, '../../../grammar/ddd.pest');
  if (fs.existsSync(pest)) {
    const missing = pestKeywords(fs.readFileSync(pest, 'utf8')).filter((k) => !roleKeywords().includes(k));
    if (missing.length) {
      console.error(`build-grammar: keywords of grammar/ddd.pest with no place in KEYWORD_ROLES: ${missing.join(', ')}`);
      process.exit(1);
    }
  }
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    if (current !== render()) {
      console.error('build-grammar: syntaxes/ddd.tmLanguage.json is out of date: run `npm run build:grammar`');
      process.exit(1);
    }
    console.log('build-grammar: syntaxes/ddd.tmLanguage.json is up to date');
  } else {
    fs.writeFileSync(out, render());
    console.log(`build-grammar: wrote ${path.relative(process.cwd(), out)}`);
  }
}
