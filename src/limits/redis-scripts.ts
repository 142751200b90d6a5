// The Lua scripts behind RedisCounterStore (src/limits/redis-counters.ts). Each call is one
// script, so Redis runs it atomically: a reserve checks and records every counter at one
// point in time, whatever other instances do.
//
// The algorithm is the native store's (native/counters.h), line for line where it can be:
// epoch-aligned windows, 20 sub-buckets (+ the current one) for sliding windows, gauges that
// hold what open reservations hold, accumulators that keep spend. What Redis adds:
//   * leases: a reservation is a record in Redis with a deadline; a reservation whose
//     instance died is released by the next reserve after its deadline (sweep);
//   * counters carry their spec in every call, so a counter whose key expired is recreated,
//     and a spec change reaches Redis even if the define() call that carried it failed;
//   * a reserve carries, per counter, the usage it starts with if that call creates it (a
//     budget's stored spend): whoever creates the key seeds it, an existing key is kept.
//
// Keys (all under the hash tag {prefix}, so one cluster slot holds them all):
//   {p}:seq     INCR source of reservation ids and counter epochs (no TTL)
//   {p}:leases  ZSET reservation id -> lease deadline (ms)
//   {p}:res     HASH reservation id -> cmsgpack(keys, {epoch, bucket, amount, ...})
//   {p}:c:NAME  HASH of one counter: k kind, l limit, w window ms, g bucket ms, h head bucket,
//               e epoch, c current, r reserved; sliding windows also cI / rI for slot I.
//
// Numbers. Redis Lua numbers are doubles: integers up to 2^53 - 1 are exact, but Lua's
// tostring (and so Redis' own conversion of a number argument) may print fewer digits, so
// every number written goes through fmt(). Replies carry numbers as strings too: Redis turns
// a Lua number reply into an integer inexactly near 2^53 (9007199254740989 comes back 988).

const PRELUDE = `
local FIXED, SLIDING, GAUGE = 1, 2, 3
local SLOTS = 21
local MAX = 9007199254740991
local SEQ, LEASES, RECORDS = KEYS[1], KEYS[2], KEYS[3]

local function fmt(x) return string.format('%.0f', x) end
local function sat(x) if x < 0 then return 0 elseif x > MAX then return MAX end return x end

local function load(key)
  local raw = redis.call('HGETALL', key)
  if #raw == 0 then return nil end
  local c = { key = key, dirty = {} }
  for i = 1, #raw, 2 do c[raw[i]] = tonumber(raw[i + 1]) end
  return c
end

local function put(c, field, value) c[field] = value; c.dirty[field] = true end
local function slot(b) local i = b % SLOTS; return 'c' .. i, 'r' .. i end

-- Writes the changed fields. ttl: nil leaves the key's expiry alone.
local function save(c, lease)
  local args = {}
  for field in pairs(c.dirty) do
    args[#args + 1] = field
    args[#args + 1] = fmt(c[field])
  end
  if #args == 0 then return end
  redis.call('HSET', c.key, unpack(args))
  c.dirty = {}
  if lease == nil then return end
  -- A key outlives everything it counts: expiry is then the same as the window moving on.
  if c.k == FIXED then redis.call('PEXPIRE', c.key, fmt(2 * c.w))
  elseif c.k == SLIDING then redis.call('PEXPIRE', c.key, fmt(2 * SLOTS * c.g))
  elseif c.k == GAUGE then redis.call('PEXPIRE', c.key, fmt(2 * lease))
  else redis.call('PERSIST', c.key) end
end

local function geometry(c, kind, limit, w, now)
  local g = 0
  if kind == FIXED then g = w elseif kind == SLIDING then g = math.floor((w + 19) / 20) end
  put(c, 'k', kind); put(c, 'l', limit); put(c, 'w', w); put(c, 'g', g)
  if g == 0 then put(c, 'h', 0) else put(c, 'h', math.floor(now / g)) end
end

-- Zero usage; earlier reservations no longer match the epoch (unique across recreations).
local function clear(c)
  put(c, 'e', redis.call('INCR', SEQ)); put(c, 'c', 0); put(c, 'r', 0)
  for i = 0, SLOTS - 1 do
    if (c['c' .. i] or 0) ~= 0 then put(c, 'c' .. i, 0) end
    if (c['r' .. i] or 0) ~= 0 then put(c, 'r' .. i, 0) end
  end
end

local function add(c, current, reserved)
  if c.k == SLIDING then
    local fc, fr = slot(c.h)
    put(c, fc, sat((c[fc] or 0) + current)); put(c, fr, (c[fr] or 0) + reserved)
  end
  put(c, 'c', sat(c.c + current)); put(c, 'r', c.r + reserved)
end

-- Moves the window forward to now's bucket, dropping what expired. Never moves back.
local function advance(c, now)
  if c.g == 0 then return end
  local b = math.floor(now / c.g)
  if b <= c.h then return end
  if c.k == SLIDING and b - c.h < SLOTS then
    for x = c.h + 1, b do
      local fc, fr = slot(x)
      local sc, sr = c[fc] or 0, c[fr] or 0
      if sc ~= 0 or sr ~= 0 then
        put(c, 'c', c.c - sc); put(c, 'r', c.r - sr); put(c, fc, 0); put(c, fr, 0)
      end
    end
  else
    put(c, 'c', 0); put(c, 'r', 0)
    for i = 0, SLOTS - 1 do
      if (c['c' .. i] or 0) ~= 0 then put(c, 'c' .. i, 0) end
      if (c['r' .. i] or 0) ~= 0 then put(c, 'r' .. i, 0) end
    end
  end
  put(c, 'h', b)
end

-- native configure(): same kind and window keeps usage; a new window length carries usage
-- into the new current window; another kind starts from zero. A missing key starts from
-- initial (a budget's stored spend; 0 otherwise): an existing one keeps what it holds.
local function configure(key, c, kind, limit, w, now, initial)
  if c == nil then
    c = { key = key, dirty = {} }
    geometry(c, kind, limit, w, now)
    clear(c)
    if initial > 0 then add(c, initial, 0) end
  elseif c.k == kind and c.w == w then
    if c.l ~= limit then put(c, 'l', limit) end
  elseif c.k == kind then
    advance(c, now)
    local carried = c.c
    clear(c)
    geometry(c, kind, limit, w, now)
    add(c, carried, 0)
  else
    clear(c)
    geometry(c, kind, limit, w, now)
  end
  return c
end

local function retry(c, amount, now)
  if amount > c.l then return -1 end
  if c.k == FIXED then return math.max(0, (c.h + 1) * c.g - now) end
  if c.k ~= SLIDING then return -1 end
  local need, freed = c.c + amount - c.l, 0
  for b = c.h - SLOTS + 1, c.h do
    if b >= 0 then
      freed = freed + (c['c' .. (b % SLOTS)] or 0)
      if freed >= need then return math.max(0, (b + SLOTS) * c.g - now) end
    end
  end
  return -1
end

local function resetms(c, now)
  if c.k == FIXED then return math.max(0, (c.h + 1) * c.g - now) end
  if c.k ~= SLIDING then return -1 end
  for b = c.h, math.max(0, c.h - SLOTS + 1), -1 do
    if (c['c' .. (b % SLOTS)] or 0) ~= 0 then return math.max(0, (b + SLOTS) * c.g - now) end
  end
  return 0
end

-- Ends a reservation record: reserved amounts leave, actual[i] stays as usage (nil: release;
-- gauges keep nothing). An entry whose window or epoch has ended changes nothing.
local function finish(keys, nums, actual)
  for i, key in ipairs(keys) do
    local e, b, a = nums[3 * i - 2], nums[3 * i - 1], nums[3 * i]
    local c = load(key)
    if c ~= nil and c.e == e then
      local live = true
      if c.k == FIXED then live = b == c.h elseif c.k == SLIDING then live = c.h - b < SLOTS end
      if live then
        local kept = 0
        if actual ~= nil and c.k ~= GAUGE then kept = actual[i] end
        if c.k == SLIDING then
          local fc, fr = slot(b)
          put(c, fc, sat((c[fc] or 0) - a + kept)); put(c, fr, (c[fr] or 0) - a)
        end
        put(c, 'c', sat(c.c - a + kept)); put(c, 'r', c.r - a)
        save(c, nil)
      end
    end
  end
end

-- Releases up to max reservations whose lease ended by now (their instance is gone).
local function sweep(now, max)
  local ids = redis.call('ZRANGEBYSCORE', LEASES, '-inf', fmt(now), 'LIMIT', 0, max)
  for _, id in ipairs(ids) do
    local record = redis.call('HGET', RECORDS, id)
    redis.call('ZREM', LEASES, id)
    redis.call('HDEL', RECORDS, id)
    if record then
      local keys, nums = cmsgpack.unpack(record)
      finish(keys, nums, nil)
    end
  end
end
`;

/**
 * reserve. KEYS: seq, leases, records, counter keys (1..32). ARGV: now, leaseMs, then
 * kind, limit, windowMs, amount, initial (the usage a counter this call creates starts with)
 * per counter. Returns {1, id} or
 * {0, index (1-based), kind, limit, current, retryMs}, every number as a string.
 */
export const RESERVE_LUA = `${PRELUDE}
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
sweep(now, 16)
local n = #KEYS - 3
local counters, amounts = {}, {}
for i = 1, n do
  local o = 3 + 5 * (i - 1)
  local key = KEYS[3 + i]
  counters[i] = configure(key, load(key), tonumber(ARGV[o]), tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), now, tonumber(ARGV[o + 4]))
  amounts[i] = tonumber(ARGV[o + 3])
end
for i = 1, n do
  local c = counters[i]
  advance(c, now)
  if c.c + amounts[i] > c.l then
    for j = 1, n do save(counters[j], lease) end
    return { '0', fmt(i), fmt(c.k), fmt(c.l), fmt(c.c), fmt(retry(c, amounts[i], now)) }
  end
end
local id = redis.call('INCR', SEQ)
local keys, nums = {}, {}
for i = 1, n do
  local c = counters[i]
  add(c, amounts[i], amounts[i])
  keys[i] = c.key
  nums[3 * i - 2] = c.e; nums[3 * i - 1] = c.h; nums[3 * i] = amounts[i]
  save(c, lease)
end
redis.call('HSET', RECORDS, fmt(id), cmsgpack.pack(keys, nums))
redis.call('ZADD', LEASES, fmt(now + lease), fmt(id))
return { '1', fmt(id) }
`;

/**
 * settle / release. KEYS: seq, leases, records, the reservation's counter keys. ARGV: id,
 * 's' (settle, then one actual amount per counter) or 'r' (release). Returns 1, or 0 when
 * the reservation is not open (finished, swept after its lease, or never made), or -1 when
 * the number of actual amounts is wrong (the reservation then stays open).
 */
export const FINISH_LUA = `${PRELUDE}
local id = ARGV[1]
local record = redis.call('HGET', RECORDS, id)
if not record then return 0 end
local keys, nums = cmsgpack.unpack(record)
local actual = nil
if ARGV[2] == 's' then
  actual = {}
  for i = 3, #ARGV do actual[i - 2] = tonumber(ARGV[i]) end
  if #actual ~= #keys then return -1 end
end
redis.call('HDEL', RECORDS, id)
redis.call('ZREM', LEASES, id)
finish(keys, nums, actual)
return 1
`;

/**
 * define / reset. KEYS: seq, leases, records, counter key. ARGV: now, leaseMs, kind, limit,
 * windowMs, then 'd' (apply the spec) or 'z' and the usage to start the new period with.
 */
export const CONFIGURE_LUA = `${PRELUDE}
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local key = KEYS[4]
local c = configure(key, load(key), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), now, 0)
if ARGV[6] == 'z' then
  advance(c, now)
  clear(c)
  add(c, tonumber(ARGV[7]), 0)
end
save(c, lease)
return 1
`;

/**
 * snapshot. KEYS: seq, leases, records, counter key. ARGV: now, kind, limit, windowMs (used
 * when the key does not exist: an idle counter, which is not created). Like the native
 * info(), it moves the window forward to now, so a later call with an older now (another
 * instance's clock) still counts in the window this one has seen. Returns
 * {kind, current, reserved, limit, remaining, windowMs, resetMs} as strings.
 */
export const INFO_LUA = `${PRELUDE}
local now = tonumber(ARGV[1])
local c = load(KEYS[4])
if c == nil then
  c = { key = KEYS[4], dirty = {}, c = 0, r = 0 }
  geometry(c, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), now)
  advance(c, now)
else
  advance(c, now)
  save(c, nil)
end
return { fmt(c.k), fmt(c.c), fmt(c.r), fmt(c.l), fmt(math.max(0, c.l - c.c)), fmt(c.w), fmt(resetms(c, now)) }
`;
