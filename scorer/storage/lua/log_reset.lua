--[[ log_reset.lua: forget a partition's applied offset when its log was replaced.

KEYS[1] = lp:{pN}:offset   the partition's last applied offset
KEYS[2] = lp:{pN}:seen     zset of applied event ids (score: offset)
KEYS[3] = lp:{pN}:mark     "<offset> <event id>" of the last applied message
ARGV[1] = the stored offset the caller found stale

The new log starts again at low offsets; its events are applied from the start and the
seen set still dedupes any that were applied before. Its scores are shifted below zero
(order kept) so the window, trimmed lowest score first, keeps dropping the oldest ids
rather than the new ones. That is O(window): about 0.6 s for a full 500,000-id window,
once per replaced partition.

Returns 1 when reset; 0 when the stored offset moved meanwhile (another scorer), nothing done.
]]
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
if stored ~= tonumber(ARGV[1]) then
  return 0
end
local shift = stored + 1
local total = redis.call('ZCARD', KEYS[2])
local chunk = 1000
for start = 0, total - 1, chunk do
  local page = redis.call('ZRANGE', KEYS[2], start, start + chunk - 1, 'WITHSCORES')
  local args = {}
  for i = 1, #page, 2 do
    args[#args + 1] = tonumber(page[i + 1]) - shift
    args[#args + 1] = page[i]
  end
  if #args > 0 then
    redis.call('ZADD', KEYS[2], unpack(args))
  end
end
redis.call('SET', KEYS[1], '-1')
redis.call('DEL', KEYS[3])
return 1
