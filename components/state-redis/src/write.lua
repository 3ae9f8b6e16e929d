-- Pillion state.redis: applies writes all or nothing, on daprd's layout (a hash per key with `data`, `version`
-- and, after a first-write save, `first-write`; Pillion adds `contentType` when the save has one).
-- KEYS[i] is the key of write i; ARGV holds 7 arguments per write: its kind (`s` set, `d` delete), its condition
-- (`a` any, `n` absent, `v` version), the etag a `v` condition needs, the data, the content type, the TTL (empty:
-- keep the key's, `p`: persist, else seconds) and the first-write marker (`1` to set it).
-- Every condition is checked first, against the keys as the earlier writes leave them; only if all hold is
-- anything written. Returns {1}, or {0, i} when the condition of write i does not hold (nothing written).
local known = {}
local function current(key)
  local state = known[key]
  if state == nil then
    local kind = redis.call('TYPE', key)['ok']
    if kind == 'none' then
      state = {present = false, version = false}
    elseif kind == 'hash' then
      state = {present = true, version = redis.call('HGET', key, 'version')}
    else
      -- A plain value of daprd's old layout: present, without a version.
      state = {present = true, version = false}
    end
    known[key] = state
  end
  return state
end

for i = 1, #KEYS do
  local at = (i - 1) * 7
  local state = current(KEYS[i])
  local condition = ARGV[at + 2]
  local holds = condition == 'a'
    or (condition == 'n' and not state.present)
    or (condition == 'v' and state.version ~= false and state.version == ARGV[at + 3])
  if not holds then
    return {0, i}
  end
  if ARGV[at + 1] == 'd' then
    state.present = false
    state.version = false
  else
    state.present = true
    state.version = string.format('%d', (tonumber(state.version) or 0) + 1)
  end
end

for i = 1, #KEYS do
  local at = (i - 1) * 7
  local key = KEYS[i]
  if ARGV[at + 1] == 'd' then
    redis.call('DEL', key)
  else
    local kind = redis.call('TYPE', key)['ok']
    if kind ~= 'hash' and kind ~= 'none' then
      redis.call('DEL', key)
    end
    if ARGV[at + 5] == '' then
      redis.call('HDEL', key, 'contentType')
      redis.call('HSET', key, 'data', ARGV[at + 4])
    else
      redis.call('HSET', key, 'data', ARGV[at + 4], 'contentType', ARGV[at + 5])
    end
    if ARGV[at + 7] == '1' then
      redis.call('HSET', key, 'first-write', 0)
    end
    redis.call('HINCRBY', key, 'version', 1)
    local ttl = ARGV[at + 6]
    if ttl == 'p' then
      redis.call('PERSIST', key)
    elseif ttl ~= '' then
      redis.call('EXPIRE', key, ttl)
    end
  end
end
return {1}
