-- wrk -s numbered.lua URL: appends a number, new at every request, to the URL's path and query.
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. counter)
end
