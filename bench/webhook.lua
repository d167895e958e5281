-- bench/webhook.lua: wrk script that POSTs Twilio-style webhook bodies.
--
--   wrk ... -s bench/webhook.lua http://127.0.0.1:PORT -- KIND RUNID [PATH]
--
-- KIND: wait, information, operator, incoming (first contact: no Digits,
-- a customer's From), guidance, exit, status: POST to /minicc/KIND;
-- operatorline: /minicc/operator for 50 operator calls per thread in turn;
-- cbwait, cboperator: /minicc/cb/wait and /minicc/cb/operator, with
-- call-backs on; live: GET /minicc/live?format=json;
-- static: GET PATH (the file the handlers are compared with); mix: the
-- soak's call mix (see pick_mix).  RUNID: 8 hex digits, new for every wrk
-- run, so that CallSids never repeat across runs on the same database.
--
-- Every request but a wait poll gets a fresh CallSid ("CA" + 32 hex digits):
--   RUNID (8) .. thread number (2) .. random per-thread salt (6) .. counter (16)
-- Unique CallSids matter: a repeated one would turn an insert into an
-- update, and the recording webhooks would create fewer rows.
--
-- With MINICC_CHECK=1 in the environment, every answer is checked (status
-- 200, and a well-formed TwiML document: XML declaration, one <Response>
-- root, balanced tags, sane attributes and entities) and counted; bodies
-- that fail are written to $MINICC_BADDIR.  Without it no response()
-- callback exists, so wrk does not pay for one in the speed runs.
--
-- done() prints one machine-readable line for bench/lib.sh:
--   RESULT requests=N duration_s=S rps=R p50_ms=.. p99_ms=.. errors=E ...

local kind, runid, static_path
tid = 0                     -- this thread's number: a global, set by setup()
local salt = 0
local counter = 0
local line = 0              -- operatorline: the call of the last request

local threads = {}          -- main state: every thread, for done()
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("tid", nthreads)
   threads[nthreads] = thread
end

function init(args)
   kind = args[1] or "wait"
   runid = args[2] or "00000000"
   -- 8 hex digits, or every CallSid is malformed and answered 400
   assert(#runid == 8 and runid:match("^%x+$"), "RUNID must be 8 hex digits")
   static_path = args[3] or "/static/wait.xml"
   -- a thread's own random sequence: the seed mixes the time, the thread
   -- number and the run id, so that two threads never share a salt
   math.randomseed(os.time() * 1000 + tid * 7919 + tonumber(runid, 16) % 100000)
   math.random(); math.random()
   salt = math.random(0, 0xffffff)
end

local function sid(prefix)
   counter = counter + 1
   return string.format("%s%s%02x%06x%016x", prefix, runid, tid % 256, salt, counter)
end

local function hex32()
   local t = {}
   for i = 1, 4 do t[i] = string.format("%08x", math.random(0, 0x7fffffff)) end
   return table.concat(t)
end

local account = "AC" .. "0123456789abcdef0123456789abcdef"
local queue = "QU" .. "fedcba9876543210fedcba9876543210"
local number = "%2B18005551212"     -- the call center's number

-- A customer's caller ID: random, so that the operators lookup misses
-- (a customer's first contact) and its index is really searched.
local function customer()
   return string.format("%%2B1415%07d", math.random(0, 9999999))
end

-- The parameters Twilio sends with every voice webhook (about 480 bytes,
-- as a real request: the handlers parse all of them).
local function call_params(callsid, from, status)
   return "AccountSid=" .. account .. "&ApiVersion=2010-04-01&CallSid=" .. callsid ..
      "&CallStatus=" .. status .. "&Called=" .. number ..
      "&CalledCity=&CalledCountry=US&CalledState=&CalledZip=" ..
      "&Caller=" .. from .. "&CallerCity=SAN+FRANCISCO&CallerCountry=US" ..
      "&CallerState=CA&CallerZip=94107&Direction=inbound&From=" .. from ..
      "&FromCity=SAN+FRANCISCO&FromCountry=US&FromState=CA&FromZip=94107" ..
      "&To=" .. number .. "&ToCity=&ToCountry=US&ToState=&ToZip="
end

-- The callers a thread's wait polls come from: Twilio polls the wait URL
-- again and again for each caller waiting, so a wait poll is one of a
-- thread's 500 callers (the live view counts them: polls.c), not a new
-- one each time.
local waiting = {}
local function waiting_caller()
   local i = math.random(1, 500)
   if not waiting[i] then waiting[i] = sid("CA") end
   return waiting[i]
end

-- A wait loop's poll: the queue's figures Twilio sends with it.
local function wait_params()
   return call_params(waiting_caller(), customer(), "in-progress") ..
      "&QueueSid=" .. queue .. "&QueuePosition=" .. math.random(1, 20) ..
      "&QueueTime=" .. math.random(0, 300) .. "&AvgQueueTime=95&CurrentQueueSize=20"
end

local bodies = {
   wait = function()
      return "/minicc/wait", wait_params()
   end,
   information = function()
      return "/minicc/information", call_params(sid("CA"), customer(), "in-progress") ..
         "&Digits=2"
   end,
   operator = function()
      return "/minicc/operator", call_params(sid("CA"), "%2B15005550006", "in-progress")
   end,
   -- the loop requests of operator calls already on the line (their rows
   -- stored: an update that keeps the state), 50 per thread in turn
   operatorline = function()
      line = line % 50 + 1
      return "/minicc/operator", call_params(string.format("CA%s%02x%06x%016x",
         runid, tid % 256, salt, line), "%2B15005550006", "in-progress")
   end,
   -- with call-backs on (MiniCCCallback On at /minicc/cb/)
   cbwait = function()
      return "/minicc/cb/wait", wait_params()
   end,
   cboperator = function()
      return "/minicc/cb/operator", call_params(sid("CA"), "%2B15005550006", "in-progress") ..
         "&DialCallStatus=no-answer"
   end,
   incoming = function()
      return "/minicc/incoming", call_params(sid("CA"), customer(), "ringing")
   end,
   incoming1 = function()
      return "/minicc/incoming", call_params(sid("CA"), customer(), "in-progress") ..
         "&Digits=1"
   end,
   incoming2 = function()
      return "/minicc/incoming", call_params(sid("CA"), customer(), "in-progress") ..
         "&Digits=2"
   end,
   guidance = function()
      return "/minicc/guidance", call_params(sid("CA"), customer(), "in-progress") ..
         "&QueueSid=" .. queue .. "&QueueTime=" .. math.random(0, 120) ..
         "&DequeingCallSid=CA" .. hex32()
   end,
   exit = function()
      local result = math.random(1, 10) <= 7 and "bridged" or "hangup"
      return "/minicc/exit", call_params(sid("CA"), customer(), "completed") ..
         "&QueueResult=" .. result .. "&QueueSid=" .. queue ..
         "&QueueTime=" .. math.random(0, 300)
   end,
   status = function()
      return "/minicc/status", call_params(sid("CA"), customer(), "completed") ..
         "&CallDuration=" .. math.random(10, 900) ..
         "&CallbackSource=call-progress-events&SequenceNumber=0" ..
         "&Timestamp=Tue%2C+24+Nov+2026+12%3A00%3A00+%2B0000"
   end,
}

-- The soak's mix: 60 % wait polls, 20 % incoming (14 first contact, 3
-- key 1, 3 key 2), 20 % recordings (operator, guidance, exit, status 5 each).
local function pick_mix()
   local r = math.random(1, 100)
   if r <= 60 then return "wait"
   elseif r <= 74 then return "incoming"
   elseif r <= 77 then return "incoming1"
   elseif r <= 80 then return "incoming2"
   elseif r <= 85 then return "operator"
   elseif r <= 90 then return "guidance"
   elseif r <= 95 then return "exit"
   else return "status" end
end

local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
   local k = kind
   if k == "live" then
      return wrk.format("GET", "/minicc/live?format=json")
   end
   if k == "static" then
      -- the same client-side work as a webhook (a body is built and a
      -- SID made), so that wrk's own CPU, on the same 2 cores, costs both
      -- sides alike; only the GET goes out
      bodies.wait()
      return wrk.format("GET", static_path)
   elseif k == "mix" then
      k = pick_mix()
   end
   local path, body = bodies[k]()
   return wrk.format("POST", path, form, body)
end

-- ---- checking (MINICC_CHECK=1) ---------------------------------------------

-- A small well-formedness check of the TwiML: the declaration libxml2
-- writes, then one element tree rooted at <Response>, tags balanced,
-- attributes name="value" without '<', text without a stray '<' and with
-- only the five XML entities or numeric references.
local function entities_ok(s)
   for ent in s:gmatch("&([^;]*);?") do
      if not (ent == "amp" or ent == "lt" or ent == "gt" or ent == "quot" or
              ent == "apos" or ent:match("^#%d+$") or ent:match("^#x%x+$")) then
         return false
      end
   end
   -- every '&' must start a reference that ends with ';'
   local amps = select(2, s:gsub("&", ""))
   local refs = select(2, s:gsub("&[#%w]+;", ""))
   return amps == refs
end

local decl = '<?xml version="1.0" encoding="UTF-8"?>'

local function well_formed(body)
   if not body or body:sub(1, #decl) ~= decl then return false, "declaration" end
   local pos, stack, roots, closed = #decl + 1, {}, 0, false
   while true do
      local lt = body:find("<", pos, true)
      local text = body:sub(pos, (lt or #body + 1) - 1)
      if #stack == 0 and text:match("%S") then return false, "text outside the root" end
      if not entities_ok(text) then return false, "entity in text" end
      if not lt then break end
      local gt = body:find(">", lt, true)
      if not gt then return false, "unclosed tag" end
      local tag = body:sub(lt + 1, gt - 1)
      if tag:sub(1, 1) == "/" then
         local name = tag:match("^/([%a_][%w_.-]*)%s*$")
         if not name or stack[#stack] ~= name then return false, "mismatched </" .. tostring(name) .. ">" end
         stack[#stack] = nil
         if #stack == 0 then closed = true end
      else
         local name, attrs, slash = tag:match("^([%a_][%w_.-]*)(.-)(/?)$")
         if not name then return false, "bad tag <" .. tag .. ">" end
         if #stack == 0 then
            if closed or name ~= "Response" then return false, "root is not one <Response>" end
            roots = roots + 1
         end
         local rest = attrs:gsub('%s+[%a_][%w_.-]*="[^"<]*"', "")
         if rest:match("%S") then return false, "bad attributes in <" .. name .. ">" end
         for v in attrs:gmatch('="([^"]*)"') do
            if not entities_ok(v) then return false, "entity in attribute" end
         end
         if slash == "" then
            stack[#stack + 1] = name
         elseif #stack == 0 then
            closed = true
         end
      end
      pos = gt + 1
   end
   if #stack ~= 0 or roots ~= 1 then return false, "unbalanced" end
   return true
end

-- What the answer is, to count the mix (the request is not known here:
-- wrk does not say which request a response belongs to).
local function classify(body)
   if body:find("<Response/>", 1, true) then return "empty"
   elseif body:find("<Hangup", 1, true) then return "trouble"
   elseif body:find("<Gather", 1, true) then return "menu"
   elseif body:find("<Dial>", 1, true) then return "operator"
   elseif body:find("<Play>", 1, true) then return "wait"
   elseif body:find("<Redirect", 1, true) then return "redirect"
   elseif body:find("<Enqueue", 1, true) then return "enqueue"
   else return "say" end
end

if os.getenv("MINICC_CHECK") == "1" then
   local baddir = os.getenv("MINICC_BADDIR") or "/tmp"
   ok_count, bad_count, bad_status = 0, 0, 0
   classes = { empty = 0, trouble = 0, menu = 0, operator = 0, wait = 0,
               redirect = 0, enqueue = 0, say = 0 }
   local saved = {}

   function response(status, headers, body)
      local good, why = false, "status " .. status
      if status == 200 then good, why = well_formed(body) end
      if good then
         ok_count = ok_count + 1
         local c = classify(body)
         classes[c] = classes[c] + 1
         -- one sample of each class, for xmllint in bench/soak
         if not saved[c] then
            saved[c] = true
            local f = io.open(string.format("%s/sample-%s-%d.xml", baddir, c, tid), "w")
            if f then f:write(body); f:close() end
         end
      else
         bad_count = bad_count + 1
         if status ~= 200 then bad_status = bad_status + 1 end
         if bad_count <= 20 then
            local f = io.open(string.format("%s/bad-%d-%d.txt", baddir, tid, bad_count), "w")
            if f then f:write(status, " ", tostring(why), "\n", body or ""); f:close() end
         end
      end
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   local line = string.format(
      "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
      "errors=%d connect=%d read=%d write=%d timeout=%d status=%d",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect + e.read + e.write + e.timeout + e.status,
      e.connect, e.read, e.write, e.timeout, e.status)
   if os.getenv("MINICC_CHECK") == "1" then
      local ok, bad, badst = 0, 0, 0
      local cls = {}
      for _, t in ipairs(threads) do
         ok = ok + (t:get("ok_count") or 0)
         bad = bad + (t:get("bad_count") or 0)
         badst = badst + (t:get("bad_status") or 0)
         local c = t:get("classes")
         if c then
            for k, v in pairs(c) do cls[k] = (cls[k] or 0) + v end
         end
      end
      line = line .. string.format(" checked_ok=%d checked_bad=%d bad_status=%d", ok, bad, badst)
      for _, k in ipairs({ "wait", "menu", "enqueue", "redirect", "trouble", "operator", "say", "empty" }) do
         line = line .. string.format(" answers_%s=%d", k, cls[k] or 0)
      end
   end
   io.write(line, "\n")
end
