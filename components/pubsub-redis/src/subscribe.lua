-- Pillion pubsub.redis: creates a subscription's consumer group. KEYS[1]: the stream; ARGV[1]: the group.
-- The first group of a stream starts at its beginning, so messages published before anyone subscribed are delivered
-- to it; a later group starts after the last entry, with the next message published. An existing group is kept.
-- Returns 1 when the group was created, 0 when it existed.
local stream, group = KEYS[1], ARGV[1]
local start = '0'
if redis.call('EXISTS', stream) == 1 and #redis.call('XINFO', 'GROUPS', stream) > 0 then
  start = '$'
end
local created = redis.pcall('XGROUP', 'CREATE', stream, group, start, 'MKSTREAM')
if type(created) == 'table' and created.err then
  if string.sub(created.err, 1, 9) == 'BUSYGROUP' then
    return 0
  end
  return created
end
return 1
