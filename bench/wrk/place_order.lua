-- wrk script: POST /v1/orders, one 1-unit order per request, each with an
-- order id of its own (prefix, wrk thread, per-thread counter).
--   wrk -t2 -c16 -d8s --latency -s place_order.lua http://127.0.0.1:8000/v1/orders -- C HOT-C WH acme
local threads = 0

function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

local counter = 0
local prefix, sku, location, account

function init(args)
  prefix = args[1] or "W"
  sku = args[2] or "HOT-C"
  location = args[3] or "WH"
  account = args[4] or "acme"
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  counter = counter + 1
  local body = string.format(
    '{"id":"%s%d-%d","account":"%s","lines":[{"line":"1","sku":"%s","quantity":1,"location":"%s"}]}',
    prefix, thread_number, counter, account, sku, location)
  return wrk.format(nil, nil, nil, body)
end
