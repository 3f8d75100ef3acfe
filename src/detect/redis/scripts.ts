/**
 * The Lua behind RedisStore, kept as string constants rather than `.lua` files because `tsc`
 * copies no assets into dist/: a script read from disk next to the compiled JS would be missing
 * from the published package. ioredis sends each one with EVAL the first time on a connection and
 * with EVALSHA after that (see `defineCommand`), so they cost one round trip, never two.
 *
 * Key layout: keys.ts. Every key has a PEXPIRE of 2 × window + slack, set again as its clock
 * moves on: a memory bound only, the window itself slides on event time. The bucket size of a window comes
 * from the client (window-spec.ts is its one definition) and is stored in the meta hash (`bm`).
 *
 * Numbers travel as strings formatted with %.17g: Lua's own tostring keeps 14 digits, which is
 * only one digit of headroom above epoch milliseconds (OBSERVE_LUA uses it for integers below 1e14,
 * where it is exact and several times faster).
 */

/**
 * Applies a whole batch: for each logical key (one meta key in KEYS each, all in one slot on a
 * Cluster), its updates in order, and returns its state after each.
 * KEYS: the meta key `P{n}K:m` of each logical key, then the index `P{n}:i` of each shard they
 * are in, then the commit key when ARGV[6] is given.
 * ARGV: maxMembers, maxSamples, ttl slack ms, a JSON object {g: per meta key the array of its
 * updates `[windowMs, bucketMs, ts, firstTs, count, [[dim, [member, t, member, t...]]...],
 * [tag, n, tag, n...], [sample...]]`, i: per meta key the position of its shard's index among the
 * index keys, n: the number of index keys}, the most keys per shard, then optionally the commit
 * value.
 * Returns, per meta key, one string per update: `events, firstSeen, lastSeen, number of sets,
 * (dim, count, estimate 0|1) per set, (tag, value) per tag`, joined by NUL (codec.ts parses it),
 * then the number of keys evicted over the bound.
 * Mirrors MemoryStore.apply/trimSet step for step; read those for the reasoning.
 */
export const OBSERVE_LUA = `
local maxMembers = tonumber(ARGV[1])
local maxSamples = tonumber(ARGV[2])
local slack = tonumber(ARGV[3])
local batch = cjson.decode(ARGV[4])
local groups = batch.g
local maxPerShard = tonumber(ARGV[5])
-- unpack() is bounded by the Lua C stack (about 8000 values): send members in chunks.
local CHUNK = 500

-- Integers below 1e14 (epoch ms, counts) print exactly, and much faster, with tostring.
local function num(x)
  if x == math.floor(x) and x < 1e14 and x > -1e14 then return tostring(x) end
  return string.format('%.17g', x)
end

local function applyKey(metaKey, updates)
  local base = string.sub(metaKey, 1, -3)
  local function zkey(dim) return base .. ':z:' .. dim end
  local function hkey(dim, b) return base .. ':h:' .. dim .. ':' .. num(b) end

  local function fresh(w, ts, firstTs)
    return { w = w, c = ts, f = firstTs, buckets = {}, dims = {}, dimList = {}, tags = {}, tagList = {}, samples = {} }
  end

  local function load()
    local flat = redis.call('HGETALL', metaKey)
    if #flat == 0 then return nil end
    local s = fresh(0, 0, 0)
    local sampleAt = {}
    for i = 1, #flat, 2 do
      local f, v = flat[i], flat[i + 1]
      if f == 'w' then s.w = tonumber(v)
      elseif f == 'c' then s.c = tonumber(v)
      elseif f == 'f' then s.f = tonumber(v)
      elseif f == 'x' then s.x = tonumber(v)
      elseif f ~= 'bm' then
        local kind, rest = string.sub(f, 1, 2), string.sub(f, 3)
        if kind == 'b:' then
          s.buckets[tonumber(rest)] = tonumber(v)
        elseif kind == 't:' then
          s.tags[rest] = tonumber(v)
          s.tagList[#s.tagList + 1] = rest
        elseif kind == 's:' then
          sampleAt[#sampleAt + 1] = { tonumber(rest), v }
        elseif kind == 'd:' then
          -- "<members held>,<lower bound of their times>" then "|<overflowAt>|<hll buckets>".
          local d = { hll = {} }
          local comma = string.find(v, ',', 1, true)
          local bar = string.find(v, '|', 1, true)
          d.n = tonumber(string.sub(v, 1, comma - 1))
          d.lo = tonumber(string.sub(v, comma + 1, (bar or 0) - 1))
          if bar then
            local bar2 = string.find(v, '|', bar + 1, true)
            d.over = tonumber(string.sub(v, bar + 1, bar2 - 1))
            for b in string.gmatch(string.sub(v, bar2 + 1), '[^,]+') do d.hll[tonumber(b)] = true end
          end
          s.dims[rest] = d
          s.dimList[#s.dimList + 1] = rest
        end
      end
    end
    table.sort(sampleAt, function(a, b) return a[1] < b[1] end)
    for i, p in ipairs(sampleAt) do s.samples[i] = p[2] end
    -- Tags come back from a hash in no particular order: keep the first-seen order stable.
    table.sort(s.tagList)
    return s
  end

  local function wipe(s)
    redis.call('DEL', metaKey)
    for _, dim in ipairs(s.dimList) do
      redis.call('DEL', zkey(dim))
      for b in pairs(s.dims[dim].hll) do redis.call('DEL', hkey(dim, b)) end
    end
  end

  -- Whether every key of this logical key gets its TTL set again at the end (see the save).
  local refresh = false

  local function trimSet(dim, d, cutoff, bms, oldest, clock)
    local z = zkey(dim)
    -- The member count and a lower bound of their times live in the meta hash: most calls need
    -- neither ZREMRANGEBYSCORE nor ZCARD.
    if d.lo < cutoff then
      if d.n > 0 then d.n = d.n - redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. num(cutoff)) end
      d.lo = cutoff
    end
    local n = d.n
    if n > maxMembers then
      if not d.over then
        -- First overflow: seed the HLL with every member still held, like the memory store.
        local b = math.floor(clock / bms)
        local hk = hkey(dim, b)
        for start = 0, n - 1, CHUNK do
          redis.call('PFADD', hk, unpack(redis.call('ZRANGE', z, start, start + CHUNK - 1)))
        end
        d.hll[b] = true
        refresh = true
      end
      d.over = clock
      -- Keep the most recently seen members.
      redis.call('ZREMRANGEBYRANK', z, 0, n - maxMembers - 1)
      n = maxMembers
      d.n = n
    end
    if d.over then
      for b in pairs(d.hll) do
        if b < oldest then
          redis.call('UNLINK', hkey(dim, b))
          d.hll[b] = nil
        end
      end
      if d.over >= cutoff then
        local keys = {}
        for b in pairs(d.hll) do keys[#keys + 1] = hkey(dim, b) end
        local est = n
        if #keys > 0 then est = math.max(redis.call('PFCOUNT', unpack(keys)), n) end
        return est, 1
      end
      for b in pairs(d.hll) do redis.call('UNLINK', hkey(dim, b)) end
      d.hll = {}
      d.over = nil
    end
    return n, 0
  end

  local s = load()
  local bms = 100
  local out = {}
  refresh = s == nil
  local dropped = {}
  for i = 1, #updates do
    local u = updates[i]
    local w, ts, firstTs, count, sets, tags, samples = u[1], u[3], u[4], u[5], u[6], u[7], u[8]
    bms = u[2]
    if s and ts - s.c > s.w then
      -- Quiet for a whole window: start over.
      wipe(s)
      s = nil
      refresh = true
      dropped = {}
    end
    if not s then s = fresh(w, ts, firstTs) end
    s.w = w
    if ts > s.c then s.c = ts end
    if firstTs < s.f then s.f = firstTs end
    -- The window of window-spec.ts: whole buckets, the oldest one that counts and its start.
    local oldest = math.floor(s.c / bms) - math.floor(w / bms) + 1
    local cutoff = oldest * bms
    if count > 0 then
      local b = math.floor(ts / bms)
      s.buckets[b] = (s.buckets[b] or 0) + count
    end
    local events = 0
    for b, n in pairs(s.buckets) do
      if b < oldest then
        s.buckets[b] = nil
        dropped[#dropped + 1] = 'b:' .. num(b)
      else
        events = events + n
      end
    end

    for j = 1, #tags, 2 do
      local name = tags[j]
      if s.tags[name] == nil then
        s.tagList[#s.tagList + 1] = name
        s.tags[name] = 0
      end
      s.tags[name] = s.tags[name] + tags[j + 1]
    end
    for j = 1, #samples do
      if #s.samples < maxSamples then s.samples[#s.samples + 1] = samples[j] end
    end

    local setsOut = {}
    local touched = {}
    for j = 1, #sets do
      local dim, pairsOf = sets[j][1], sets[j][2]
      local d = s.dims[dim]
      if not d then
        d = { hll = {}, n = 0, lo = 1e300 } -- lo: no member yet
        s.dims[dim] = d
        s.dimList[#s.dimList + 1] = dim
        refresh = true
      end
      local z = zkey(dim)
      local args = {}
      local byBucket = {}
      for p = 1, #pairsOf, 2 do
        local m, t = pairsOf[p], pairsOf[p + 1]
        if t >= cutoff then
          args[#args + 1] = num(t)
          args[#args + 1] = m
          if t < d.lo then d.lo = t end
          if #args >= 2 * CHUNK then
            -- GT: a late, out-of-order sighting never moves a member's last-seen time back.
            d.n = d.n + redis.call('ZADD', z, 'GT', unpack(args))
            args = {}
          end
          if d.over then
            local b = math.floor(t / bms)
            local l = byBucket[b]
            if not l then l = {}; byBucket[b] = l end
            l[#l + 1] = m
          end
        end
      end
      if #args > 0 then d.n = d.n + redis.call('ZADD', z, 'GT', unpack(args)) end
      for b, ms in pairs(byBucket) do
        local hk = hkey(dim, b)
        if not d.hll[b] then refresh = true end
        for start = 1, #ms, CHUNK do
          redis.call('PFADD', hk, unpack(ms, start, math.min(start + CHUNK - 1, #ms)))
        end
        d.hll[b] = true
      end
      if not touched[dim] then
        touched[dim] = true
        setsOut[#setsOut + 1] = dim
      end
    end
    for _, dim in ipairs(s.dimList) do
      if not touched[dim] then setsOut[#setsOut + 1] = dim end
    end
    local setsFlat = {}
    for _, dim in ipairs(setsOut) do
      local n, est = trimSet(dim, s.dims[dim], cutoff, bms, oldest, s.c)
      setsFlat[#setsFlat + 1] = dim
      setsFlat[#setsFlat + 1] = num(n)
      setsFlat[#setsFlat + 1] = est
    end
    local tagsFlat = {}
    for _, name in ipairs(s.tagList) do
      tagsFlat[#tagsFlat + 1] = name
      tagsFlat[#tagsFlat + 1] = num(s.tags[name])
    end
    -- One string per snapshot: a reply of nested arrays costs more to build and to parse.
    out[i] = num(events) .. '\\0' .. num(s.f) .. '\\0' .. num(s.c) .. '\\0' .. (#setsFlat / 3) .. '\\0' ..
      table.concat(setsFlat, '\\0') .. '\\0' .. table.concat(tagsFlat, '\\0')
  end

  -- Save the meta hash: its fields are only ever added or overwritten, except buckets that
  -- left the window (HDEL) and a restart (wipe: DEL).
  if #dropped > 0 then redis.call('HDEL', metaKey, unpack(dropped)) end
  local flat = { 'w', num(s.w), 'bm', num(bms), 'c', num(s.c), 'f', num(s.f) }
  for b, n in pairs(s.buckets) do
    flat[#flat + 1] = 'b:' .. num(b)
    flat[#flat + 1] = num(n)
  end
  for _, name in ipairs(s.tagList) do
    flat[#flat + 1] = 't:' .. name
    flat[#flat + 1] = num(s.tags[name])
  end
  for i, v in ipairs(s.samples) do
    flat[#flat + 1] = 's:' .. i
    flat[#flat + 1] = v
  end
  for _, dim in ipairs(s.dimList) do
    local d = s.dims[dim]
    local v = num(d.n) .. ',' .. num(d.lo)
    if d.over then
      local bs = {}
      for b in pairs(d.hll) do bs[#bs + 1] = num(b) end
      v = v .. '|' .. num(d.over) .. '|' .. table.concat(bs, ',')
    end
    flat[#flat + 1] = 'd:' .. dim
    flat[#flat + 1] = v
  end
  -- Every key of K gets the same TTL in the same call, so none outlives the meta hash that
  -- counts it. The TTL (2 x window of wall time + slack) is set again when a key is created and
  -- once the clock has moved a bucket past the last setting: a key keeps getting events of the
  -- same bucket for 2 x window of wall time only if its events arrive about 20 times slower
  -- than their own time passes.
  refresh = refresh or not s.x or s.c >= s.x + bms
  if refresh then s.x = s.c end
  flat[#flat + 1] = 'x'
  flat[#flat + 1] = num(s.x)
  redis.call('HSET', metaKey, unpack(flat))
  if refresh then
    local ttl = math.ceil(2 * s.w + slack)
    redis.call('PEXPIRE', metaKey, ttl)
    for _, dim in ipairs(s.dimList) do
      redis.call('PEXPIRE', zkey(dim), ttl)
      for b in pairs(s.dims[dim].hll) do redis.call('PEXPIRE', hkey(dim, b), ttl) end
    end
  end
  return out, s.c, s.w
end

-- Every logical key of a shard is listed in the shard's index, scored by the end of its window
-- in event time (clock + window). Over maxPerShard keys, like MemoryStore.sweep: first the keys
-- whose window has passed (before the shard's latest clock in this call), then the stalest.
local function evict(idxKey, member)
  local base = string.sub(idxKey, 1, -3) .. member
  local meta = base .. ':m'
  local flat = redis.call('HGETALL', meta)
  for i = 1, #flat, 2 do
    if string.sub(flat[i], 1, 2) == 'd:' then
      local dim, v = string.sub(flat[i], 3), flat[i + 1]
      redis.call('UNLINK', base .. ':z:' .. dim)
      local bar = string.find(v, '|', 1, true)
      if bar then
        local bar2 = string.find(v, '|', bar + 1, true)
        for b in string.gmatch(string.sub(v, bar2 + 1), '[^,]+') do
          redis.call('UNLINK', base .. ':h:' .. dim .. ':' .. b)
        end
      end
    end
  end
  redis.call('UNLINK', meta)
end

local out = {}
local nIdx = batch.n
local now, ttlMax = {}, {}
for g = 1, #groups do
  local metaKey = KEYS[g]
  local o, c, w = applyKey(metaKey, groups[g])
  out[g] = o
  local ix = batch.i[g]
  local idxKey = KEYS[#groups + ix]
  -- The index member is the key's base after the shard's "P{n}" (the index key minus ":i").
  local member = string.sub(metaKey, #idxKey - 1, -3)
  redis.call('ZADD', idxKey, c + w, member)
  if not now[ix] or c > now[ix] then now[ix] = c end
  if not ttlMax[ix] or w > ttlMax[ix] then ttlMax[ix] = w end
end
local evicted = 0
for ix = 1, nIdx do
  local idxKey = KEYS[#groups + ix]
  if now[ix] then
    local n = redis.call('ZCARD', idxKey)
    if n > maxPerShard then
      local gone = redis.call('ZRANGEBYSCORE', idxKey, '-inf', '(' .. num(now[ix]), 'LIMIT', 0, n - maxPerShard)
      for _, m in ipairs(gone) do evict(idxKey, m); redis.call('ZREM', idxKey, m) end
      n = n - #gone
      if n > maxPerShard then
        -- Still over: the stalest tenth of the bound goes, so this runs once in a while only.
        local drop = n - math.floor(maxPerShard * 0.9)
        local stale = redis.call('ZPOPMIN', idxKey, drop)
        for i = 1, #stale, 2 do evict(idxKey, stale[i]) end
        evicted = evicted + drop
      end
    end
    redis.call('PEXPIRE', idxKey, math.ceil(2 * ttlMax[ix] + slack))
  end
end
if ARGV[6] then
  -- The caller's commit (an agent's read positions) lands in the same atomic step as its windows.
  redis.call('SET', KEYS[#groups + nIdx + 1], ARGV[6])
end
out[#groups + 1] = evicted
return out
`;

/**
 * What an alert needs after its verdict, for one logical key: its samples and, per dimension, the
 * members still inside the key's window (score ≥ its start, window-spec.ts), unsorted.
 * KEYS: meta, then one zset per dimension. Returns {{sample...}, {member...} per zset}.
 */
export const READS_LUA = `
local out = {}
local m = redis.call('HMGET', KEYS[1], 'c', 'w', 'bm')
local samples = {}
if m[1] and m[2] and m[3] then
  local all = redis.call('HGETALL', KEYS[1])
  local at = {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 's:' then at[#at + 1] = { tonumber(string.sub(all[i], 3)), all[i + 1] } end
  end
  table.sort(at, function(a, b) return a[1] < b[1] end)
  for i, p in ipairs(at) do samples[i] = p[2] end
end
out[1] = samples
if not (m[1] and m[2] and m[3]) then
  for i = 2, #KEYS do out[i] = {} end
  return out
end
local c, w, bms = tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
local cutoff = (math.floor(c / bms) - math.floor(w / bms) + 1) * bms
for i = 2, #KEYS do
  out[i] = redis.call('ZRANGEBYSCORE', KEYS[i], string.format('%.17g', cutoff), '+inf')
end
return out
`;

/**
 * Raises incidents to a level atomically, on event time, like MemoryStore.escalate, in order.
 * KEYS: one incident hash per request. ARGV: slackMs, then per request level, ttlMs,
 * idCandidate, nowMs. Returns per request {raised(0|1), id, level, created(0|1)}. The hash also
 * gets a real PEXPIRE of its remaining event-time life plus slack, so a forgotten incident leaves
 * Redis on its own.
 */
export const ESCALATE_LUA = `
local slack = tonumber(ARGV[1])
local function num(x) return string.format('%.17g', x) end
local function one(key, level, ttl, candidate, now)
  local cur = redis.call('HMGET', key, 'id', 'l', 'e')
  local id, cl, ce = cur[1], tonumber(cur[2]), tonumber(cur[3])
  if id and (not cl or not ce or ce <= now) then id = false end
  if not id then
    redis.call('DEL', key)
    redis.call('HSET', key, 'id', candidate, 'l', num(level), 'e', num(now + ttl))
    redis.call('PEXPIRE', key, math.ceil(ttl + slack))
    return { 1, candidate, num(level), 1 }
  end
  if level > cl then
    redis.call('HSET', key, 'l', num(level), 'e', num(now + ttl))
    redis.call('PEXPIRE', key, math.ceil(ttl + slack))
    return { 1, id, num(level), 0 }
  end
  local e = math.max(ce, now + ttl)
  redis.call('HSET', key, 'e', num(e))
  redis.call('PEXPIRE', key, math.ceil(e - now + slack))
  return { 0, id, num(cl), 0 }
end
local out = {}
for i = 1, #KEYS do
  local a = 1 + (i - 1) * 4
  out[i] = one(KEYS[i], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), ARGV[a + 3], tonumber(ARGV[a + 4]))
end
return out
`;
