-- wrk script for bench/feeds.sh: GET feed pages as random signed-in users
-- of a seeded database, with the same client as the hello-world figure.
--   SEED: the file quanzi load seed wrote ({"tokens": [...], "circles": [...]})
--   FEED: circle (a random circle's first page) or home (GET /api/v1/feed)
local f = assert(io.open(assert(os.getenv("SEED"), "set SEED"), "r"))
local seed = f:read("*a")
f:close()

local function list(name)
  local body = assert(seed:match('"' .. name .. '"%s*:%s*%[(.-)%]'), "no " .. name .. " in SEED")
  local t = {}
  for v in body:gmatch('"([^"]+)"') do t[#t + 1] = v end
  assert(#t > 0, "no " .. name .. " in SEED")
  return t
end
local tokens, circles = list("tokens"), list("circles")
local home = os.getenv("FEED") == "home"

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("n", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + n)
end

function request()
  local path = "/api/v1/feed"
  if not home then
    path = "/api/v1/circles/" .. circles[math.random(#circles)] .. "/posts"
  end
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
