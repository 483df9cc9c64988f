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
ARGV[6] = the ops, packed: per op 9 bytes, big-endian, opcode (1 byte), k (4), n (4):
          the op's key is KEYS[k] and its n values follow in ARGV[7..], op after op:
  1 set k 1 v | 2 del k 0 | 3 hset k 2m f v f v... | 4 hdel k n f... | 5 hincr k 2 f by
  6 lpush k n max v v... (then LTRIM to max, if the push made the list longer than that)
  7 zadd k 2m score m score m... | 8 zrem k n m... | 9 zcut k 1 maxscore
  (ZREMRANGEBYSCORE -inf max). Consecutive sets go as one MSET, consecutive dels as one
  DEL. Packed, the header is one argument instead of three per op: Valkey pays about as
  much per argument as per kilobyte. Values go as they are (a lead's JSON state too): no
  JSON inside JSON to escape or decode.

The caller computed the ops from state it read together with the stored offset, deduping
event ids against the seen set it read then; the offset check proves nothing changed since,
so the ops are the run's whole effect (already coalesced per key). Every op (its code, key
and number of values) is checked before anything is written.

Returns {1, last offset} applied; {0, stored} conflict (nothing written).

Example: EVALSHA <sha> 3 lp:{p0}:offset lp:{p0}:seen lp:{p0}:lead:ld_1 \
           41 500000 43 '[42,"evt_9"]' '' '\x01\x00\x00\x00\x03\x00\x00\x00\x01' \
           '{"stage":"lead"}'
]==]
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
if stored ~= tonumber(ARGV[1]) then
  return {0, stored}
end
local names = {'set', 'del', 'hset', 'hdel', 'hincr', 'lpush', 'zadd', 'zrem', 'zcut'}
-- values each opcode takes: at least, exactly (when fixed), in pairs
local least = {1, 0, 2, 1, 2, 2, 2, 1, 1}
local exact = {1, 0, false, false, 2, false, false, false, 1}
local pairs_of = {false, false, true, false, false, false, true, false, false}
local header = ARGV[6]
if #header % 9 ~= 0 then
  return redis.error_reply('apply.lua: bad op header of ' .. #header .. ' bytes')
end
-- Each op's code, key and values, parsed and checked once: the second loop only executes.
local count = #header / 9
local codes, keys, firsts, lasts = {}, {}, {}, {}
local pos, at = 1, 7
for i = 1, count do
  local code, k, n
  code, k, n, pos = struct.unpack('>BI4I4', header, pos)
  if not names[code] or not KEYS[k] or n < least[code] or (exact[code] and n ~= exact[code])
      or (pairs_of[code] and n % 2 == 1) then
    return redis.error_reply('apply.lua: bad op ' .. code .. ' at op ' .. i)
  end
  codes[i], keys[i], firsts[i], lasts[i] = code, KEYS[k], at, at + n - 1
  at = at + n
end
if at ~= #ARGV + 1 then
  local sent = #ARGV - 6
  return redis.error_reply('apply.lua: the ops have ' .. (at - 7) .. ' values, ARGV ' .. sent)
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

-- Consecutive SETs as one MSET, consecutive DELs as one DEL (in slices unpack() can hold).
local function call_grouped(command, code, i)
  local args = {}
  while codes[i] == code do
    args[#args + 1] = keys[i]
    if code == 1 then
      args[#args + 1] = ARGV[firsts[i]]
    end
    i = i + 1
    if #args >= 2000 or codes[i] ~= code then
      redis.call(command, unpack(args))
      args = {}
    end
  end
  return i
end

local i = 1
while i <= count do
  local code, key, first, last = codes[i], keys[i], firsts[i], lasts[i]
  if code == 1 then
    i = call_grouped('MSET', 1, i) - 1
  elseif code == 2 then
    i = call_grouped('DEL', 2, i) - 1
  elseif code == 3 then
    call_with('HSET', key, first, last)
  elseif code == 4 then
    call_with('HDEL', key, first, last)
  elseif code == 5 then
    redis.call('HINCRBY', key, ARGV[first], ARGV[first + 1])
  elseif code == 6 then
    local max = tonumber(ARGV[first])
    if call_with('LPUSH', key, first + 1, last) > max then
      redis.call('LTRIM', key, 0, max - 1)
    end
  elseif code == 7 then
    call_with('ZADD', key, first, last)
  elseif code == 8 then
    call_with('ZREM', key, first, last)
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[first])
  end
  i = i + 1
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
