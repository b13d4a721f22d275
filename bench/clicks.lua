-- wrk script: clicks on an issue's counted links (GET /c/...), round robin, each request from
-- a reader in a network of its own (X-Forwarded-For, which `listen` trusts from loopback), so
-- the service keeps the burst detector's state for thousands of networks as in real use.
-- PATHS names a file of request paths. Prints how many answers were 302 and how many not.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(os.getenv("PATHS")) do
    paths[#paths + 1] = line
  end
  n = 0
  found = 0
  other = 0
end

function request()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  local ip = string.format("10.%d.%d.%d", id, math.floor(n / 256) % 256, n % 256)
  return wrk.format("GET", path, {
    ["User-Agent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15",
    ["X-Forwarded-For"] = ip,
  })
end

function response(status, headers, body)
  if status == 302 then
    found = found + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local redirected, refused = 0, 0
  for _, thread in ipairs(threads) do
    redirected = redirected + thread:get("found")
    refused = refused + thread:get("other")
  end
  io.write(string.format("redirected %d, other answers %d\n", redirected, refused))
end
