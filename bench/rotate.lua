-- wrk -s rotate.lua URL -- FILE: each request asks for the next path of FILE (one a line), in
-- turn, so that no cache of the page has it (when FILE is longer than what a cache keeps).
local paths = {}
local at = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
end

request = function()
  at = at % #paths + 1
  return wrk.format(nil, paths[at])
end
