-- Pillion pubsub.redis: leases messages of one consumer group, atomically.
-- KEYS[1]: the stream (the topic). ARGV: the group, the consumer, the idle time after which a pending message is
-- delivered again (processingTimeout, ms), how many messages at most, and `1` for an ordered pull.
-- First the group's pending messages idle that long (a consumer that died, or a RETRY whose backoff has passed,
-- see the ack) are claimed, their delivery counter incremented by the claim; then new messages are read. An ordered
-- pull looks only at the group's oldest pending message: while it is leased or waiting for its retry, nothing is
-- delivered, and while any is pending, no new message is read.
-- Returns {may_block, {{id, deliveries, {field, value, ...}}, ...}}: may_block is 1 when nothing was found and a
-- blocking read of new messages may follow (nothing pending stands in the way).
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local min_idle, count, ordered = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local out = {}

local function claim(id, deliveries)
  local claimed = redis.call('XCLAIM', stream, group, consumer, min_idle, id)
  -- An entry trimmed from the stream is not returned, and leaves the pending list.
  if claimed[1] then
    out[#out + 1] = {claimed[1][1], deliveries + 1, claimed[1][2]}
    return true
  end
  return false
end

if ordered then
  local start = '-'
  for _ = 1, count + 16 do
    local first = redis.call('XPENDING', stream, group, start, '+', 1)[1]
    if not first then
      break
    end
    if first[3] < min_idle or claim(first[1], first[4]) then
      return {0, out}
    end
    start = '(' .. first[1]
  end
else
  for _, entry in ipairs(redis.call('XPENDING', stream, group, 'IDLE', min_idle, '-', '+', count)) do
    claim(entry[1], entry[4])
  end
end

if #out < count then
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count - #out, 'STREAMS', stream, '>')
  if read then
    for _, entry in ipairs(read[1][2]) do
      out[#out + 1] = {entry[1], 1, entry[2]}
    end
  end
end
if #out == 0 then
  return {1, out}
end
return {0, out}
