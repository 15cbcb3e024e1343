-- Neovim's built-in LSP client attached to `dnnc lsp` (Neovim 0.7's API: start_client and
-- buf_attach_client, which later versions keep): opens the spec given as the file argument, waits for
-- dnnc's diagnostics, asks for a hover and a completion, and writes what came back to $DNNC_NVIM_OUT as
-- JSON. Run headless: DNNC=... DNNC_NVIM_OUT=... nvim --headless --clean -u nvim-lsp.lua spec.yaml
local out = {}
local function finish()
  local file = io.open(os.getenv("DNNC_NVIM_OUT"), "w")
  file:write(vim.fn.json_encode(out))
  file:close()
  vim.cmd("qall!")
end

local buffer = vim.api.nvim_get_current_buf()
local client = vim.lsp.start_client({
  name = "dnnc",
  cmd = { os.getenv("DNNC"), "lsp" },
  root_dir = vim.fn.getcwd(),
})
out.started = client ~= nil
vim.lsp.buf_attach_client(buffer, client)

-- The diagnostics dnnc publishes for the file as opened.
vim.wait(20000, function() return #vim.diagnostic.get(buffer) > 0 end, 50)
out.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buffer)) do
  table.insert(out.diagnostics, { line = d.lnum, col = d.col, code = d.code, message = d.message, severity = d.severity })
end

local function request(method, line, character)
  local params = { textDocument = { uri = vim.uri_from_bufnr(buffer) }, position = { line = line, character = character } }
  local replies = vim.lsp.buf_request_sync(buffer, method, params, 20000) or {}
  for _, reply in pairs(replies) do return reply.result end
end

-- A hover on the first layer's kind, and the completion of `activation: ` in it.
local lines = vim.api.nvim_buf_get_lines(buffer, 0, -1, false)
for i, line in ipairs(lines) do
  local dash = line:find("- dense:")
  if dash and not out.hover then
    local hover = request("textDocument/hover", i - 1, dash + 3)
    out.hover = hover and hover.contents and hover.contents.value or vim.NIL
    local activation = line:find("activation: ")
    local completion = request("textDocument/completion", i - 1, activation + 11)
    out.completion = {}
    for _, item in ipairs((completion and (completion.items or completion)) or {}) do table.insert(out.completion, item.label) end
  end
end
finish()
