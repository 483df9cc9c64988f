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
ARGV[5] = JSON list of ops, each [opcode, k, args...] where KEYS[k] is the key:
  ["set",k,v] ["del",k] ["hset",k,f,v,f,v...] ["hdel",k,f,f...] ["hincr",k,f,n]
  ["lpush",k,max,v,v...] (then LTRIM to max) ["zadd",k,score,m,score,m...] ["zrem",k,m]
  ["zcut",k,maxscore] (ZREMRANGEBYSCORE -inf maxscore)
ARGV[6] = optional: "<last offset> <event id>" of the run's last message, stored in the last
          KEYS entry (lp:{pN}:mark) with the offset, so a scorer resuming the partition can
          tell the log it reads is the one these offsets came from (scorer/runtime/log_check.py)

The caller computed the ops from state it read together with the stored offset, deduping
event ids against the seen set it read then; the offset check proves nothing changed since,
so the ops are the run's whole effect (already coalesced per key). Every opcode is checked
before anything is written.

Returns {1, last offset} applied; {0, stored} conflict (nothing written).

Example: EVALSHA <sha> 3 lp:{p0}:offset lp:{p0}:seen lp:{p0}:lead:ld_1 \
           41 500000 43 '[42,"evt_9"]' '[["set",3,"{\"stage\":\"lead\"}"]]'
]==]
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
if stored ~= tonumber(ARGV[1]) then
  return {0, stored}
end
local known = {set = true, del = true, hset = true, hdel = true, hincr = true, lpush = true,
               zadd = true, zrem = true, zcut = true}
local ops = cjson.decode(ARGV[5])
for _, o in ipairs(ops) do
  if not known[o[1]] then
    return redis.error_reply('apply.lua: unknown op ' .. tostring(o[1]))
  end
end

-- One command with a long argument list, in slices unpack() can hold.
local function call_with(command, key, head, values, first)
  local slice = 2000
  for start = first, #values, slice do
    local args = {}
    for i = 1, #head do args[#args + 1] = head[i] end
    for i = start, math.min(start + slice - 1, #values) do args[#args + 1] = values[i] end
    redis.call(command, key, unpack(args))
  end
end

for _, o in ipairs(ops) do
  local op = o[1]
  local key = KEYS[o[2]]
  if op == 'set' then
    redis.call('SET', key, o[3])
  elseif op == 'del' then
    redis.call('DEL', key)
  elseif op == 'hset' then
    call_with('HSET', key, {}, o, 3)
  elseif op == 'hdel' then
    call_with('HDEL', key, {}, o, 3)
  elseif op == 'hincr' then
    redis.call('HINCRBY', key, o[3], o[4])
  elseif op == 'lpush' then
    call_with('LPUSH', key, {}, o, 4)
    redis.call('LTRIM', key, 0, o[3] - 1)
  elseif op == 'zadd' then
    call_with('ZADD', key, {}, o, 3)
  elseif op == 'zrem' then
    redis.call('ZREM', key, o[3])
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', o[3])
  end
end

local seen = cjson.decode(ARGV[4])
if #seen > 0 then
  call_with('ZADD', KEYS[2], {}, seen, 1)
  local window = tonumber(ARGV[2])
  if redis.call('ZCARD', KEYS[2]) > window then
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -window - 1)
  end
end
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[6] then
  redis.call('SET', KEYS[#KEYS], ARGV[6])
end
return {1, tonumber(ARGV[3])}
