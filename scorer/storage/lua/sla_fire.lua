--[[ sla_fire.lua: fire one due SLA timer at most once.

KEYS[1] = lp:{pN}:sla      zset "lead|kind|since" -> deadline
KEYS[2] = lp:{pN}:outbox   hash message id -> entry (scorer/storage/view.py outbox_entry)
ARGV[1] = the timer member
ARGV[2..] = pairs of outbox message id, outbox entry: the alert, and the lead's recycle
            message when the config recycles stale leads

Returns 1 when this call removed the timer and queued the messages, 0 when the timer was
gone (fired by another scorer, or cleared by a stage change since it was read).

Example: EVALSHA <sha> 2 lp:{p0}:sla lp:{p0}:outbox 'ld_1|mql|1700000000' al_x '["alerts","ld_1"]\n{...}'
]]
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  for i = 2, #ARGV, 2 do
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
  return 1
end
return 0
