/**
 * The Lua behind RedisStore, kept as string constants rather than `.lua` files because `tsc`
 * copies no assets into dist/: a script read from disk next to the compiled JS would be missing
 * from the published package. ioredis sends each one with EVAL the first time on a connection and
 * with EVALSHA after that (see `defineCommand`), so they cost one round trip, never two.
 *
 * Key layout: keys.ts. Every key has a PEXPIRE of 2 × window + slack, set again as its clock
 * moves on: a memory bound only, the window itself slides on event time. The bucket size of a
 * window comes from the client (window-spec.ts is its one definition) and is kept in the state.
 *
 * A logical key's state (clock, buckets, tags, samples, per set its count and overflow) is one
 * MessagePack string, read and written whole with Redis' own cmsgpack: decoding a hash of
 * fields in Lua cost more than everything else a script does per key. Numbers in replies travel
 * as strings formatted with %.17g: Lua's own tostring keeps 14 digits, which is only one digit of
 * headroom above epoch milliseconds (OBSERVE_LUA uses it for integers below 1e14, where it is
 * exact and several times faster).
 */

/**
 * Applies a whole batch: for each logical key (all of its keys in one slot on a Cluster), its
 * updates in order, and returns its state after each. Every key it touches is in KEYS.
 * KEYS: per logical key its state `P{n}K:v`, its HyperLogLog hash `P{n}K:h`, then one set
 * `P{n}K:z:<dim>` per declared dimension; then the index `P{n}:i` of each shard they are in; then
 * two scratch keys (under the first key's tag) when there is a key; then the commit key when
 * ARGV[6] is given.
 * ARGV: maxMembers, maxSamples, ttl slack ms, a JSON object {g: per logical key the array of its
 * updates `[windowMs, bucketMs, ts, firstTs, count, [[dim, [member, t, member, t...]]...],
 * [tag, n, tag, n...], [sample...]]`, o: per logical key the position of its state key in KEYS,
 * d: per logical key its declared dimensions (in the order of its set keys), i: per logical key
 * the position of its shard's index among the index keys, n: the number of index keys, ip: the
 * position of the first, x: the first scratch key's, cp: the commit key's}, the most keys per
 * shard, then optionally the commit value.
 * Returns, per logical key, one string per update: `events, firstSeen, lastSeen, number of sets,
 * (dim, count, estimate 0|1) per set, (tag, value) per tag`, joined by NUL (codec.ts parses it);
 * then the number of keys evicted over the bound; then the keys that left their shard's index
 * (`[index position, member, score, ...]`, the score their window's end) for EVICT_LUA to
 * delete. A key whose state holds a set not declared makes the whole batch change nothing and
 * answer `{'undeclared', [group, dim...]}`.
 * Mirrors MemoryStore.apply/trimSet step for step; read those for the reasoning.
 */
export const OBSERVE_LUA = `
local maxMembers = tonumber(ARGV[1])
local maxSamples = tonumber(ARGV[2])
local slack = tonumber(ARGV[3])
local batch = cjson.decode(ARGV[4])
local maxPerShard = tonumber(ARGV[5])
local groups, offsets, declared, at = batch.g, batch.o, batch.d, batch.i
local nGroups, nIdx, firstIdx = #groups, batch.n, batch.ip
-- Two scratch keys for HyperLogLog work (declared after the index keys), deleted at the end.
local X, Y = KEYS[batch.x], KEYS[batch.x + 1]
local floor, ceil, call, sub = math.floor, math.ceil, redis.call, string.sub
-- unpack() is bounded by the Lua C stack (about 8000 values): send members in chunks.
local CHUNK = 500
local usedScratch = false
-- Set when this call creates a key that may not exist yet (a set emptied by its trim, a
-- HyperLogLog hash or field): the key's TTLs are then set again before the call ends.
local created = false

-- Integers below 1e14 (epoch ms, counts) print exactly, and much faster, with tostring.
local function num(x)
  if x == floor(x) and x < 1e14 and x > -1e14 then return tostring(x) end
  return string.format('%.17g', x)
end

-- A bucket's HyperLogLog is a field of the key's :h hash (dim:bucket), worked on in scratch X.
local function hllAdd(hk, field, ms, from, to)
  local blob = call('HGET', hk, field)
  if blob then call('SET', X, blob) else call('DEL', X); created = true end
  for start = from, to, CHUNK do call('PFADD', X, unpack(ms, start, math.min(start + CHUNK - 1, to))) end
  call('HSET', hk, field, call('GET', X))
  usedScratch = true
end

local function hllCount(hk, dim, hll)
  call('DEL', X)
  for b in pairs(hll) do
    local blob = call('HGET', hk, dim .. ':' .. num(b))
    if blob then
      call('SET', Y, blob)
      call('PFMERGE', X, Y)
    end
  end
  usedScratch = true
  return call('PFCOUNT', X)
end

-- MemoryStore.trimSet, step for step. d: {n = members held, lo = lower bound of their times,
-- over = clock of the last overflow, hll = {bucket = true}}.
local function trimSet(z, hk, dim, d, cutoff, bms, oldest, clock)
  -- The member count and a lower bound of their times are kept in the key's state: most calls
  -- need neither ZREMRANGEBYSCORE nor ZCARD.
  if d.lo < cutoff then
    if d.n > 0 then d.n = d.n - call('ZREMRANGEBYSCORE', z, '-inf', '(' .. num(cutoff)) end
    d.lo = cutoff
  end
  local n = d.n
  if n > maxMembers then
    if not d.over then
      -- First overflow: seed the HLL with every member still held, like the memory store.
      local b = floor(clock / bms)
      local all = call('ZRANGE', z, 0, -1)
      hllAdd(hk, dim .. ':' .. num(b), all, 1, #all)
      d.hll[b] = true
    end
    d.over = clock
    -- Keep the most recently seen members.
    call('ZREMRANGEBYRANK', z, 0, n - maxMembers - 1)
    n = maxMembers
    d.n = n
  end
  if d.over then
    local gone = {}
    for b in pairs(d.hll) do if b < oldest then gone[#gone + 1] = b end end
    for i = 1, #gone do
      call('HDEL', hk, dim .. ':' .. num(gone[i]))
      d.hll[gone[i]] = nil
    end
    if d.over >= cutoff then
      return math.max(hllCount(hk, dim, d.hll), n), 1
    end
    for b in pairs(d.hll) do call('HDEL', hk, dim .. ':' .. num(b)) end
    d.hll = {}
    d.over = nil
  end
  return n, 0
end

local function fresh(w, ts, firstTs)
  return { w = w, c = ts, f = firstTs, b = {}, t = {}, tl = {}, sn = 0, s = '', d = {}, dl = {} }
end

-- Pass 1: every group's state, and a check that each of its dimensions has a declared key.
-- Before anything is written: a batch with a key whose set was not declared changes nothing
-- and comes back as {'undeclared', {group, dim, group, dim...}} for the caller to send again.
local states = {}
local zkeys = {}
local missing = {}
for g = 1, nGroups do
  local o = offsets[g]
  local zk = {}
  local dl = declared[g]
  for j = 1, #dl do zk[dl[j]] = KEYS[o + 1 + j] end
  zkeys[g] = zk
  local raw = call('GET', KEYS[o])
  if raw then
    local s = cmsgpack.unpack(raw)
    for j = 1, #s.dl do
      if not zk[s.dl[j]] then
        missing[#missing + 1] = g
        missing[#missing + 1] = s.dl[j]
      end
    end
    states[g] = s
  else
    states[g] = false
  end
end
if #missing > 0 then return { 'undeclared', missing } end

local function applyGroup(g, updates)
  local o = offsets[g]
  local metaKey, hk, zk = KEYS[o], KEYS[o + 1], zkeys[g]
  local s = states[g] or nil
  created = false
  local idxKey = KEYS[firstIdx + at[g] - 1]
  -- The index member: K (the state key after the shard's tag, without ":v"), then ":<dim>" for
  -- each of its dimensions, so that an eviction can declare every key it deletes.
  local base = sub(metaKey, #idxKey - 1, -3)
  local function indexMember(st)
    local m = base
    for j = 1, #st.dl do m = m .. ':' .. st.dl[j] end
    return m
  end
  local prevMember = s and indexMember(s)
  local refresh = s == nil
  local bms = 100
  local out = {}
  for i = 1, #updates do
    local u = updates[i]
    local w, ts, firstTs, count, sets, tags, samples = u[1], u[3], u[4], u[5], u[6], u[7], u[8]
    bms = u[2]
    if s and ts - s.c > s.w then
      -- Quiet for a whole window: start over.
      for j = 1, #s.dl do call('DEL', zk[s.dl[j]]) end
      call('DEL', hk)
      s = nil
    end
    if not s then
      s = fresh(w, ts, firstTs)
      refresh = true
    end
    s.w = w
    if ts > s.c then s.c = ts end
    if firstTs < s.f then s.f = firstTs end
    -- The window of window-spec.ts: whole buckets, the oldest one that counts and its start.
    local oldest = floor(s.c / bms) - floor(w / bms) + 1
    local cutoff = oldest * bms
    local buckets = s.b
    if count > 0 then
      local b = floor(ts / bms)
      buckets[b] = (buckets[b] or 0) + count
    end
    local events = 0
    for b, n in pairs(buckets) do
      if b < oldest then buckets[b] = nil else events = events + n end
    end
    local st = s.t
    for j = 1, #tags, 2 do
      local name = tags[j]
      local v = st[name]
      if v == nil then
        s.tl[#s.tl + 1] = name
        v = 0
      end
      st[name] = v + tags[j + 1]
    end
    -- The first few samples, kept as one NUL-separated string (one object to pack, not one per
    -- sample; a file name holds no NUL).
    for j = 1, math.min(maxSamples - s.sn, #samples) do
      s.s = s.sn == 0 and samples[j] or s.s .. '\\0' .. samples[j]
      s.sn = s.sn + 1
    end

    local touched = {}
    local setsOut = {}
    for j = 1, #sets do
      local dim, pairsOf = sets[j][1], sets[j][2]
      local d = s.d[dim]
      if not d then
        d = { hll = {}, n = 0, lo = 1e300 } -- lo: no member yet
        s.d[dim] = d
        s.dl[#s.dl + 1] = dim
        refresh = true
      end
      local z = zk[dim]
      -- No member held: the set's key is gone (trimmed empty, or never made) and ZADD makes it.
      if d.n == 0 then created = true end
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
            d.n = d.n + call('ZADD', z, 'GT', unpack(args))
            args = {}
          end
          if d.over then
            local b = floor(t / bms)
            local l = byBucket[b]
            if not l then l = {}; byBucket[b] = l end
            l[#l + 1] = m
          end
        end
      end
      if #args > 0 then d.n = d.n + call('ZADD', z, 'GT', unpack(args)) end
      for b, ms in pairs(byBucket) do
        if not d.hll[b] then refresh = true end
        hllAdd(hk, dim .. ':' .. num(b), ms, 1, #ms)
        d.hll[b] = true
      end
      if not touched[dim] then
        touched[dim] = true
        setsOut[#setsOut + 1] = dim
      end
    end
    for j = 1, #s.dl do
      local dim = s.dl[j]
      if not touched[dim] then setsOut[#setsOut + 1] = dim end
    end
    local flat = { num(events), num(s.f), num(s.c), tostring(#setsOut) }
    for j = 1, #setsOut do
      local dim = setsOut[j]
      local n, est = trimSet(zk[dim], hk, dim, s.d[dim], cutoff, bms, oldest, s.c)
      flat[#flat + 1] = dim
      flat[#flat + 1] = num(n)
      flat[#flat + 1] = est
    end
    if #setsOut == 0 then flat[#flat + 1] = '' end
    local tl = s.tl
    for j = 1, #tl do
      flat[#flat + 1] = tl[j]
      flat[#flat + 1] = num(st[tl[j]])
    end
    if #tl == 0 then flat[#flat + 1] = '' end
    -- One string per snapshot: a reply of nested arrays costs more to build and to parse.
    out[i] = table.concat(flat, '\\0')
  end
  s.bm = bms
  local member = indexMember(s)
  if prevMember and prevMember ~= member then call('ZREM', idxKey, prevMember) end
  -- Every key of K lives as long as its state: 2 x window of wall time + slack, set again on the
  -- state each call and on the sets once the clock has moved a bucket past the last setting (a
  -- key keeps getting events of one bucket for 2 x window of wall time only if its events
  -- arrive about 20 times slower than their own time passes).
  refresh = refresh or created or not s.x or s.c >= s.x + bms
  if refresh then s.x = s.c end
  local ttl = ceil(2 * s.w + slack)
  call('SET', metaKey, cmsgpack.pack(s), 'PX', ttl)
  if refresh then
    local hasHll = false
    for j = 1, #s.dl do
      call('PEXPIRE', zk[s.dl[j]], ttl)
      if s.d[s.dl[j]].over then hasHll = true end
    end
    if hasHll then call('PEXPIRE', hk, ttl) end
  end
  call('ZADD', idxKey, s.c + s.w, member)
  return out, s.c, s.w
end

local out = {}
local now, ttlMax = {}, {}
for g = 1, nGroups do
  local o, c, w = applyGroup(g, groups[g])
  out[g] = o
  local ix = at[g]
  if not now[ix] or c > now[ix] then now[ix] = c end
  if not ttlMax[ix] or w > ttlMax[ix] then ttlMax[ix] = w end
end
if usedScratch then call('DEL', X, Y) end

-- Over maxPerShard keys in a shard, like MemoryStore.sweep: first the keys whose window has
-- passed (before the shard's latest clock in this call), then the stalest tenth of the bound.
-- They leave the index here; their keys are deleted by EVICT_LUA, which can declare them.
local evicted = 0
local victims = {}
for ix = 1, nIdx do
  local idxKey = KEYS[firstIdx + ix - 1]
  if now[ix] then
    local n = call('ZCARD', idxKey)
    if n > maxPerShard then
      local gone = call('ZRANGEBYSCORE', idxKey, '-inf', '(' .. num(now[ix]), 'WITHSCORES', 'LIMIT', 0, n - maxPerShard)
      for i = 1, #gone, 2 do
        call('ZREM', idxKey, gone[i])
        victims[#victims + 1] = ix
        victims[#victims + 1] = gone[i]
        victims[#victims + 1] = gone[i + 1]
      end
      n = n - #gone / 2
      if n > maxPerShard then
        local drop = n - floor(maxPerShard * 0.9)
        local stale = call('ZPOPMIN', idxKey, drop)
        for i = 1, #stale, 2 do
          victims[#victims + 1] = ix
          victims[#victims + 1] = stale[i]
          victims[#victims + 1] = stale[i + 1]
        end
        evicted = evicted + drop
      end
    end
    call('PEXPIRE', idxKey, ceil(2 * ttlMax[ix] + slack))
  end
end
if ARGV[6] then
  -- The caller's commit (an agent's read positions) lands in the same atomic step as its windows.
  call('SET', KEYS[batch.cp], ARGV[6])
end
out[nGroups + 1] = evicted
out[nGroups + 2] = victims
return out
`;

/**
 * Deletes the keys of logical keys that OBSERVE_LUA took out of their shard's index, unless one
 * was updated meanwhile (another agent's update between the two calls): its member is back in
 * the index, or its state's window now ends elsewhere than the score it left with (a new event,
 * a start over with other sets).
 * KEYS: per evicted key its shard's index, its state, its HyperLogLog hash, then its sets.
 * ARGV: per evicted key its index member, its number of sets and its index score. Returns the
 * number deleted.
 */
export const EVICT_LUA = `
local k, gone = 1, 0
for a = 1, #ARGV, 3 do
  local member, nz, score = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local untouched = not redis.call('ZSCORE', KEYS[k], member)
  if untouched then
    local raw = redis.call('GET', KEYS[k + 1])
    if raw then
      local s = cmsgpack.unpack(raw)
      untouched = s.c + s.w == score
    end
  end
  if untouched then
    redis.call('UNLINK', unpack(KEYS, k + 1, k + 2 + nz))
    gone = gone + 1
  end
  k = k + 3 + nz
end
return gone
`;

/**
 * What an alert needs after its verdict, for one logical key: its samples and, per dimension, the
 * members still inside the key's window (score ≥ its start, window-spec.ts), unsorted.
 * KEYS: its state, then one zset per dimension. Returns {{sample...}, {member...} per zset}.
 */
export const READS_LUA = `
local out = {}
local raw = redis.call('GET', KEYS[1])
if not raw then
  for i = 1, #KEYS do out[i] = {} end
  return out
end
local s = cmsgpack.unpack(raw)
local samples = {}
if s.sn > 0 then
  for v in string.gmatch(s.s .. '\\0', '([^%z]*)%z') do samples[#samples + 1] = v end
end
out[1] = samples
local cutoff = (math.floor(s.c / s.bm) - math.floor(s.w / s.bm) + 1) * s.bm
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
