--[==[ apply.lua: apply a run of one partition's Kafka messages, each exactly once, atomically.

KEYS[1] = lp:{pN}:offset   the partition's last applied offset
KEYS[2] = lp:{pN}:seen     zset of applied event ids (score: offset)
KEYS[3..] = every key the messages' ops name, all with the same {pN} hash tag

ARGV[1] = expected stored offset: the offset of the message applied just before this run
          ("-1" when the partition has none). Anything else means another consumer moved
          the partition on (a zombie after a rebalance) or an earlier call in the pipeline
          failed: nothing is written and the caller re-reads and recomputes.
ARGV[2] = dedupe window: how many event ids the seen set keeps
ARGV[3..] = one triple per message, in offset order:
  offset, event id to remember ("" for none), payload ("" for no ops, else one JSON array
  [keymap, ops]: one string to pack and parse however many ops). ops are
  [opcode, k, args...] where KEYS[keymap[k]] is the key:
  ["set",k,v] ["del",k] ["hset",k,f,v] ["hdel",k,f] ["hincr",k,f,n] ["lpush",k,v,max]
  ["zadd",k,score,m] ["zrem",k,m] ["zcut",k,maxscore] (ZREMRANGEBYSCORE -inf maxscore)
Every payload is decoded and its opcodes checked before anything is written.
A message whose event id is already in the seen set writes nothing (only the offset moves).
The stored offset ends at the last message's offset; the seen set is trimmed to the window
once at the end (offsets only grow, so this keeps the same ids as trimming after each).

Returns {1, last offset} applied; {0, stored} conflict (nothing written).

Example: EVALSHA <sha> 3 lp:{p0}:offset lp:{p0}:seen lp:{p0}:lead:ld_1 \
           41 500000 42 evt_9 '[[1,2,3],[["set",3,"{\"stage\":\"lead\"}"]]]' 43 '' ''
]==]
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
if stored ~= tonumber(ARGV[1]) then
  return {0, stored}
end
local known = {set = true, del = true, hset = true, hdel = true, hincr = true, lpush = true,
               zadd = true, zrem = true, zcut = true}
-- Decode and check every message first: a bad op then writes nothing at all.
local runs = {}
for i = 3, #ARGV, 3 do
  local payload = ARGV[i + 2]
  local decoded = false
  if payload ~= '' then
    decoded = cjson.decode(payload)
    for _, o in ipairs(decoded[2]) do
      if not known[o[1]] then
        return redis.error_reply('apply.lua: unknown op ' .. tostring(o[1]))
      end
    end
  end
  runs[#runs + 1] = decoded
end
local last = stored
local remembered = false
for n, decoded in ipairs(runs) do
  local i = 3 * n
  local offset, event_id = ARGV[i], ARGV[i + 1]
  last = offset
  if not (event_id ~= '' and redis.call('ZSCORE', KEYS[2], event_id)) then
    if decoded then
      local keymap = decoded[1]
      for _, o in ipairs(decoded[2]) do
        local op = o[1]
        local key = KEYS[keymap[o[2]]]
        if op == 'set' then
          redis.call('SET', key, o[3])
        elseif op == 'del' then
          redis.call('DEL', key)
        elseif op == 'hset' then
          redis.call('HSET', key, o[3], o[4])
        elseif op == 'hdel' then
          redis.call('HDEL', key, o[3])
        elseif op == 'hincr' then
          redis.call('HINCRBY', key, o[3], o[4])
        elseif op == 'lpush' then
          redis.call('LPUSH', key, o[3])
          redis.call('LTRIM', key, 0, o[4] - 1)
        elseif op == 'zadd' then
          redis.call('ZADD', key, o[3], o[4])
        elseif op == 'zrem' then
          redis.call('ZREM', key, o[3])
        else
          redis.call('ZREMRANGEBYSCORE', key, '-inf', o[3])
        end
      end
    end
    if event_id ~= '' then
      redis.call('ZADD', KEYS[2], offset, event_id)
      remembered = true
    end
  end
end
if remembered then
  local window = tonumber(ARGV[2])
  if redis.call('ZCARD', KEYS[2]) > window then
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -window - 1)
  end
end
redis.call('SET', KEYS[1], last)
return {1, tonumber(last)}
