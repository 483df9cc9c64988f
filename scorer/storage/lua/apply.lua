--[==[ apply.lua: apply a run of one partition's Kafka messages, atomically, once.

KEYS[1] = lp:{pN}:offset   the partition's last applied offset
KEYS[2] = lp:{pN}:seen     zset of applied event ids (score: offset)
KEYS[3..] = every key the ops name, all with the same {pN} hash tag

ARGV[1] = expected stored offset: the offset of the message applied just before this run
          ("-1" when the partition has none). Anything else means another consumer moved
          the partition on (a zombie after a rebalance) or an earlier call in the pipeline
          failed: nothing is written and the caller re-reads and recomputes.
ARGV[2] = dedupe window: how many event ids the seen set keeps
ARGV[3] = the run's last offset: the stored offset after this call
ARGV[4] = JSON [offset, event id, offset, event id, ...]: the ids the run applied
ARGV[5] = "<last offset> <event id>" of the run's last message, stored in the last KEYS
          entry (lp:{pN}:mark) with the offset, so a scorer resuming the partition can tell
          the log it reads is the one these offsets came from (scorer/runtime/log_check.py);
          "" for none (then no mark key is given)
ARGV[6..] = the ops, each as: opcode, k, n, then n values, where KEYS[k] is the key:
  set k 1 v | del k 0 | hset k 2m f v f v... | hdel k n f... | hincr k 2 f by
  lpush k n max v v... (then LTRIM to max, if the push made the list longer than that)
  zadd k 2m score m score m... | zrem k n m... | zcut k 1 maxscore (ZREMRANGEBYSCORE -inf max)
  Values go as they are (a lead's JSON state too): no JSON inside JSON to escape or decode.

The caller computed the ops from state it read together with the stored offset, deduping
event ids against the seen set it read then; the offset check proves nothing changed since,
so the ops are the run's whole effect (already coalesced per key). Every opcode is checked
before anything is written.

Returns {1, last offset} applied; {0, stored} conflict (nothing written).

Example: EVALSHA <sha> 3 lp:{p0}:offset lp:{p0}:seen lp:{p0}:lead:ld_1 \
           41 500000 43 '[42,"evt_9"]' '' set 3 1 '{"stage":"lead"}'
]==]
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
if stored ~= tonumber(ARGV[1]) then
  return {0, stored}
end
local known = {set = true, del = true, hset = true, hdel = true, hincr = true, lpush = true,
               zadd = true, zrem = true, zcut = true}
-- Each op's position, key and last argument, parsed once: the second loop only executes.
local argc = #ARGV
local starts, keys, lasts = {}, {}, {}
local i = 6
while i <= argc do
  local k, n = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if not known[ARGV[i]] or not k or not n or (ARGV[i] == 'lpush' and n < 2) then
    return redis.error_reply('apply.lua: bad op ' .. tostring(ARGV[i]) .. ' at argument ' .. i)
  end
  local at = #starts + 1
  starts[at], keys[at], lasts[at] = i, KEYS[k], i + 2 + n
  i = i + 3 + n
end

-- One command with a long argument list (ARGV[first..last]), in slices unpack() can hold;
-- the last slice's reply.
local function call_with(command, key, first, last)
  local slice = 2000
  local reply
  for start = first, last, slice do
    reply = redis.call(command, key, unpack(ARGV, start, math.min(start + slice - 1, last)))
  end
  return reply
end

for at = 1, #starts do
  local op = ARGV[starts[at]]
  local key = keys[at]
  local first, last = starts[at] + 3, lasts[at]
  if op == 'set' then
    redis.call('SET', key, ARGV[first])
  elseif op == 'del' then
    redis.call('DEL', key)
  elseif op == 'hset' then
    call_with('HSET', key, first, last)
  elseif op == 'hdel' then
    call_with('HDEL', key, first, last)
  elseif op == 'hincr' then
    redis.call('HINCRBY', key, ARGV[first], ARGV[first + 1])
  elseif op == 'lpush' then
    local max = tonumber(ARGV[first])
    if call_with('LPUSH', key, first + 1, last) > max then
      redis.call('LTRIM', key, 0, max - 1)
    end
  elseif op == 'zadd' then
    call_with('ZADD', key, first, last)
  elseif op == 'zrem' then
    call_with('ZREM', key, first, last)
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[first])
  end
end

local seen = cjson.decode(ARGV[4])
if #seen > 0 then
  for start = 1, #seen, 2000 do
    redis.call('ZADD', KEYS[2], unpack(seen, start, math.min(start + 1999, #seen)))
  end
  local window = tonumber(ARGV[2])
  if redis.call('ZCARD', KEYS[2]) > window then
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -window - 1)
  end
end
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[5] ~= '' then
  redis.call('SET', KEYS[#KEYS], ARGV[5])
end
return {1, tonumber(ARGV[3])}
