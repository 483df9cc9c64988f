--[==[ apply.lua: apply one Kafka message's effects to one partition, exactly once.

KEYS[1] = lp:{pN}:offset   the partition's last applied offset
KEYS[2] = lp:{pN}:seen     zset of applied event ids (score: offset)
KEYS[3..] = every key the ops below name, all with the same {pN} hash tag

ARGV[1] = expected stored offset: the offset of the message applied just before this one
          ("-1" when the partition has none). Anything else means another consumer moved
          the partition on (a zombie after a rebalance) or an earlier call in the pipeline
          failed: nothing is written and the caller re-reads and recomputes.
ARGV[2] = this message's offset
ARGV[3] = event id to remember ("" for none)
ARGV[4] = dedupe window: how many event ids the seen set keeps
ARGV[5] = ops as one JSON array (one string to pack and parse, however many ops), each
          [opcode, keyindex, args...]; keyindex is into KEYS:
  ["set",k,v] ["del",k] ["hset",k,f,v] ["hdel",k,f] ["hincr",k,f,n] ["lpush",k,v,max]
  ["zadd",k,score,m] ["zrem",k,m] ["zcut",k,maxscore] (ZREMRANGEBYSCORE -inf maxscore)

Returns {1, offset} applied; {2, offset} event id already seen (only the offset advances);
{0, stored} conflict (nothing written).

Example: EVALSHA <sha> 3 lp:{p0}:offset lp:{p0}:seen lp:{p0}:lead:ld_1 \
           41 42 evt_9 500000 '[["set",3,"{\"stage\":\"lead\"}"]]'
]==]
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
local expected = tonumber(ARGV[1])
local offset = tonumber(ARGV[2])
if stored ~= expected then
  return {0, stored}
end
local event_id = ARGV[3]
if event_id ~= '' and redis.call('ZSCORE', KEYS[2], event_id) then
  redis.call('SET', KEYS[1], offset)
  return {2, offset}
end
local ops = cjson.decode(ARGV[5])
for _, o in ipairs(ops) do
  local op = o[1]
  local key = KEYS[o[2]]
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
  elseif op == 'zcut' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', o[3])
  else
    return redis.error_reply('apply.lua: unknown op ' .. tostring(op))
  end
end
if event_id ~= '' then
  redis.call('ZADD', KEYS[2], offset, event_id)
  local window = tonumber(ARGV[4])
  if redis.call('ZCARD', KEYS[2]) > window then
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -window - 1)
  end
end
redis.call('SET', KEYS[1], offset)
return {1, offset}
