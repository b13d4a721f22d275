-- wrk script: RFC 8058 one-click unsubscribes, each to a different address.
-- PATHS names a file of request paths (one per line, with their tokens); START skips that
-- many lines (a second run takes addresses the first did not); THREADS is wrk's -t.
-- Prints how many requests were answered 200: every one of them must be in the database.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  local start = tonumber(os.getenv("START") or "0")
  local step = tonumber(os.getenv("THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("PATHS")) do
    if i >= start and (i - start) % step == id then
      paths[#paths + 1] = line
    end
    i = i + 1
  end
  n = 0
  ok = 0
end

function request()
  n = n + 1
  return wrk.format("POST", paths[n],
    { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "List-Unsubscribe=One-Click")
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("ok")
  end
  io.write(string.format("acknowledged %d\n", total))
end
