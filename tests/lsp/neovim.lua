-- Neovim (0.7 or later), headless, as a user's editor: opens a file of a
-- dddc project, attaches `dddc lsp` with the built-in LSP client, and
-- writes what the editor got to a JSON file for tests/lsp_nvim.rs.
--
-- Environment: DDDC_BIN (the binary), DDDC_ROOT (the project folder),
-- DDDC_FILE (the file to open), DDDC_OUT (where the JSON goes).
--
-- Steps: the diagnostics of the file as opened; a hover; a definition in
-- another file; an edit typed into the buffer (not saved) and the error it
-- causes; the edit undone and the error gone; the client stopped.

local bin, root = os.getenv('DDDC_BIN'), os.getenv('DDDC_ROOT')
local file, out = os.getenv('DDDC_FILE'), os.getenv('DDDC_OUT')
local WAIT = 60000
local result = { steps = {} }

local function step(name)
  table.insert(result.steps, name)
end

local function summary(buf)
  return vim.tbl_map(function(d)
    return { code = d.code, lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity, message = d.message }
  end, vim.diagnostic.get(buf))
end

local function has_code(buf, code)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == code then
      return true
    end
  end
  return false
end

-- The (0-based) line and column of the first occurrence of `needle`.
local function find(buf, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  error('`' .. needle .. '` is not in the buffer')
end

local function run()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({ name = 'dddc', cmd = { bin, 'lsp' }, root_dir = root })
  assert(id, 'the client did not start')
  vim.lsp.buf_attach_client(buf, id)
  local client = vim.lsp.get_client_by_id(id)
  step('attached')

  -- MiToga has no errors, but lint findings: the first publication.
  assert(vim.wait(WAIT, function() return #vim.diagnostic.get(buf) > 0 end, 10), 'no diagnostics')
  result.opened = summary(buf)
  step('diagnostics')

  local uri = vim.uri_from_bufnr(buf)
  local function at(needle, shift)
    local line, col = find(buf, needle)
    return { textDocument = { uri = uri }, position = { line = line, character = col + shift } }
  end

  local hover = client.request_sync('textDocument/hover', at('estado: EstadoReserva', 1), WAIT, buf)
  assert(hover and hover.result, 'no hover: ' .. vim.inspect(hover))
  result.hover = hover.result.contents.value
  step('hover')

  local def = client.request_sync('textDocument/definition', at('marketplace.Tutor', 13), WAIT, buf)
  assert(def and def.result, 'no definition: ' .. vim.inspect(def))
  result.definition = def.result
  step('definition')

  -- Typed, not saved: the default becomes a value the enum does not have.
  local line, col = find(buf, '= PENDIENTE')
  col = col + 2
  vim.api.nvim_buf_set_text(buf, line, col, line, col + #'PENDIENTE', { 'PENDENTE' })
  assert(vim.wait(WAIT, function() return has_code(buf, 'E0103') end, 10), 'no E0103 after the edit: ' .. vim.inspect(summary(buf)))
  result.edited = summary(buf)
  result.modified = vim.bo[buf].modified
  step('error as typed')

  vim.api.nvim_buf_set_text(buf, line, col, line, col + #'PENDENTE', { 'PENDIENTE' })
  assert(vim.wait(WAIT, function() return not has_code(buf, 'E0103') end, 10), 'E0103 stayed after the fix')
  result.fixed = summary(buf)
  step('error fixed')

  vim.lsp.stop_client(id)
  assert(vim.wait(WAIT, function() return vim.lsp.client_is_stopped(id) end, 10), 'the server did not stop')
  step('stopped')
end

local ok, err = pcall(run)
result.ok = ok
result.error = ok and vim.NIL or tostring(err)
local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd(ok and 'qall!' or 'cquit!')
