-- POST /api/v1/projects with a JSON body (the token comes with -H like the other runs).
dofile(os.getenv("SAFAPAC_WRK_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"project_name":"wrk %d"}', n))
end
