-- wrk -s post_form.lua URL -- BODY_FILE: every request POSTs the file's bytes (headers by -H).
function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  file:close()
end
